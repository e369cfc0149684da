/** `npx tsx check <scenario>` resolves here (tsx adds the .ts); it hands over to src/cli. */
import { main } from './src/cli/main';
import { scenarios } from './scenarios/index';

// why quietly: `check --list | head` closes the pipe early; that is the reader's choice, not an error
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

void main(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: process.stderr.isTTY === true,
  env: process.env,
}, scenarios).then((code) => {
  process.exitCode = code;
});

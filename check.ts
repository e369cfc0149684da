/** `npx tsx check <scenario>` resolves here (tsx adds the .ts); it hands over to src/cli. */
import { main } from './src/cli/main';
import { scenarios } from './scenarios/index';

process.exitCode = main(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: process.stderr.isTTY === true,
  env: process.env,
}, scenarios);

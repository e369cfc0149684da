#!/usr/bin/env node
/**
 * The installed `weft` command (package.json `bin`, built to dist/src/cli/bin.js): `weft check
 * ./race.ts` checks the scenarios the user's own files export. The registry is empty; scenarios
 * come from the files named on the command line (TypeScript ones load through tsx, a dependency).
 * A leading `check` is accepted and dropped, so `weft check x.ts` and `weft x.ts` are the same.
 *
 * Why main is imported dynamically: node starts running this file before the CLI's module graph
 * is loaded, so `--version` and a bad first argument need nothing else (see bench/cold-start.ts).
 */
import type { Io } from './main';

// why quietly: `weft check --list | head` closes the pipe early; that is the reader's choice
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const io: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  isTTY: process.stderr.isTTY === true,
  env: process.env,
};

const argv = process.argv.slice(2);
if (argv[0] === 'check') argv.shift();

const { main } = await import('./main');
// why await on either: main returns an exit code, or a promise of one
process.exitCode = await main(argv, io, []);

/**
 * The process around `main`: stdout, stderr and the environment as its Io, a closed pipe as a quiet
 * end, and the exit code. Both entry points use it: the repository's check.ts and the installed bin.
 */
import { main, type Io, type Registry } from './main';

/** What an entry point hands the CLI: see `main` for `registry` and `command`. */
export interface Launch {
  readonly registry: Registry;
  readonly command?: string;
  /** The arguments (default: the process's own). */
  readonly argv?: readonly string[];
}

export async function runProcess(launch: Launch): Promise<void> {
  // why quietly: `check --list | head` closes the pipe early; that is the reader's choice, not an error
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
  process.exitCode = await main(launch.argv ?? process.argv.slice(2), io, launch.registry, launch.command);
}

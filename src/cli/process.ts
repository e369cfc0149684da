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
  // why a handler: Ctrl-C then stops the search and prints what was explored (exit 130). Why a
  // repeat within a second is ignored: one Ctrl-C under `npx tsx` arrives more than once (the
  // terminal signals the whole process group, and npm and tsx each relay it again); a later one
  // ends the process at once, for whatever does not stop
  const interrupt = new AbortController();
  let firstAt = 0;
  const onSigint = (): void => {
    if (!interrupt.signal.aborted) {
      firstAt = performance.now();
      interrupt.abort();
    } else if (performance.now() - firstAt > 1000) process.exit(130);
  };
  process.on('SIGINT', onSigint);
  const io: Io = {
    out: (s) => void process.stdout.write(s),
    err: (s) => void process.stderr.write(s),
    isTTY: process.stderr.isTTY === true,
    env: process.env,
    interrupt: interrupt.signal,
  };
  try {
    process.exitCode = await main(launch.argv ?? process.argv.slice(2), io, launch.registry, launch.command);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

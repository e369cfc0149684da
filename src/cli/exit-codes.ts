/** The process exit codes; CI gates on them. */
export const EXIT = {
  /** Every verdict is what its variant declares. */
  ok: 0,
  /** Some verdict is not: a bug that no longer reproduces, a fix that is violated, a search cut short. */
  mismatch: 1,
  /** Bad usage, or a broken scenario (it throws, a replay diverges); one line says why. */
  broken: 2,
  /** Stopped by Ctrl-C (SIGINT), after printing what was explored: 128 + SIGINT, as shells expect. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

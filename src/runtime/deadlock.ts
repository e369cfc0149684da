import type { ThreadContext } from './op';

/** A thread that has not finished, with the step it is stuck on. */
export interface BlockedThread {
  readonly thread: ThreadContext;
  readonly label: string;
  readonly waitsFor: string | null;
}

/**
 * The message of the deadlock check: every unfinished thread, the step it is blocked on and what it
 * waits for, so a wait-for cycle can be read off directly.
 */
export function describeDeadlock(blocked: readonly BlockedThread[]): string {
  const parts = blocked.map(
    (b) =>
      `${b.thread.letter} (${b.thread.name}) blocked in ${b.label}` +
      (b.waitsFor ? ` waiting for ${b.waitsFor}` : ''),
  );
  return `no thread can run: ${parts.join('; ')}`;
}

import type { ThreadContext } from './op';
import type { Invariant } from './scenario';
import type { CheckId } from './check-id';

/**
 * A rule applied to every execution. Built-in faults that a primitive detects while running an op
 * (oops, BUG_ON, bad unlock) are thrown as `KernelFault` instead; deadlock is decided by the
 * runtime when nothing can run. Checks here are the ones that look at state between steps.
 */
export interface Check {
  /** The id reported in a violation. */
  readonly id: CheckId;
  /** After every step: a message when the check fails, else null. */
  readonly afterStep?: (world: object) => string | null;
  /** When a thread's body returns: a message when the check fails, else null. */
  readonly atThreadEnd?: (thread: ThreadContext) => string | null;
}

/** A finding of one execution. */
export interface Violation {
  /** Which check fired. */
  readonly check: CheckId;
  /** What went wrong, in kernel terms. */
  readonly message: string;
  /** The state the violation is about (`mn->hlist.pprev = NULL`), when the check knows it. */
  readonly state?: string;
  /** 1-based step at which it fired (after the last step, for a deadlock). */
  readonly step: number;
  /** The thread whose step fired it, or -1 when no single thread did (deadlock). */
  readonly thread: number;
  /** Whether the execution stopped here (a crash or a hang), or went on (an invariant). */
  readonly fatal: boolean;
}

/** Scenario invariant as a check. */
export function invariantCheck<W extends object>(inv: Invariant<W>): Check {
  return {
    id: inv.id,
    afterStep: (world) => {
      const r = inv.check(world as W);
      return r === true ? null : r;
    },
  };
}

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

const ARMED_KEY = 'weft:thread-end-checks';

/**
 * Arms `check` for the rest of the current execution: every thread that returns from now on is
 * asked, after the lock-leak check. For detectors whose books a model fills while the threads run
 * (an invalidate_range_start not yet ended, a page reference not yet put): they arm once per
 * execution, when their books are made, so nothing is asked of executions that never use them.
 * The list lives in the execution's ghost map, which the runtime clears before every execution.
 */
export function armThreadEndCheck(self: ThreadContext, check: Check): void {
  let armed = self.ghost.get(ARMED_KEY) as Check[] | undefined;
  if (armed === undefined) self.ghost.set(ARMED_KEY, (armed = []));
  if (!armed.includes(check)) armed.push(check);
}

/** The checks armed in the current execution, in the order they were armed. */
export function armedThreadEndChecks(ghost: ReadonlyMap<string, unknown>): readonly Check[] {
  return (ghost.get(ARMED_KEY) as Check[] | undefined) ?? NONE_ARMED;
}

const NONE_ARMED: readonly Check[] = [];

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

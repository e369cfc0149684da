/**
 * might_sleep(): the sleeping primitives (mutex, rwsem, synchronize_*, wait_event, completions,
 * sleeping allocations) call `mightSleep` at the start of their op's `run`; a scenario marks any
 * other call that may sleep (a callback that takes a sleeping lock, msleep) with `mightSleepStep`.
 * The rule itself lives in src/checks/sleep-in-atomic.ts.
 */
import { checkMightSleep, inAtomic, type Op, perform, type SharedObject, type Steps, type ThreadContext, wouldSleepInAtomic } from '../../src/index';
import type { Touch } from './lifetime';

export { inAtomic, wouldSleepInAtomic };

/** might_sleep() inside an op's run: throws sleep-in-atomic when the thread is atomic. */
export function mightSleep(self: ThreadContext, label: string): void {
  checkMightSleep(self, label);
}

// why one shared object with `read` access: the check reads only the thread's own state, so these
// steps commute with each other and with everything else but what QUIESCENT_SLEEP orders.
const SCHEDULER: SharedObject = { name: 'scheduler' };

/**
 * What a sleep does to a classic-RCU domain with `sleepIsQuiescent` (models/rcu.ts): it ends the
 * sleeper's read section, as rcu_read_unlock does. Which domain the thread is in is known only when
 * the step runs, so every step that may sleep declares an `rcu-exit` of this one object, and every
 * grace-period step of such a domain an `rcu-sync` of it: sleeps commute among themselves and with
 * everything else, and are ordered against those grace periods. Worlds without such a domain pay
 * nothing. Not covered: the objects a callback frees when a sleep ends its grace period (see the
 * Choices of models/rcu.ts).
 */
export const QUIESCENT_SLEEP: SharedObject = { name: 'rcu:sleep-is-quiescent' };

/** The `alsoTouches` of a step that may sleep. */
export const SLEEPS: readonly Touch[] = [{ object: QUIESCENT_SLEEP, access: 'rcu-exit' }];

/** `touches` plus the declaration of a sleep. */
export function withSleep(touches: readonly Touch[] | undefined): readonly Touch[] {
  return touches === undefined || touches.length === 0 ? SLEEPS : [...touches, ...SLEEPS];
}

/** One step that may sleep (msleep, a blocking callback body) and does nothing else. */
export function* mightSleepStep(label: string): Steps<void> {
  const op: Op<void> = { object: SCHEDULER, access: 'read', label, alsoTouches: SLEEPS, run: (self) => mightSleep(self, label) };
  yield* perform(op);
}

/**
 * might_sleep(): the sleeping primitives (mutex, rwsem, synchronize_*, wait_event, completions,
 * sleeping allocations) call `mightSleep` at the start of their op's `run`; a scenario marks any
 * other call that may sleep (a callback that takes a sleeping lock, msleep) with `mightSleepStep`.
 * The rule itself lives in src/checks/sleep-in-atomic.ts.
 */
import { checkMightSleep, inAtomic, wouldSleepInAtomic } from '../src/checks/sleep-in-atomic';
import { perform, type Op, type SharedObject, type Steps, type ThreadContext } from '../src/runtime/op';

export { inAtomic, wouldSleepInAtomic };

/** might_sleep() inside an op's run: throws sleep-in-atomic when the thread is atomic. */
export function mightSleep(self: ThreadContext, label: string): void {
  checkMightSleep(self, label);
}

// why one shared object with `read` access: the check reads only the thread's own state, so these
// steps commute with each other and with everything else.
const SCHEDULER: SharedObject = { name: 'scheduler' };

/** One step that may sleep (msleep, a blocking callback body) and does nothing else. */
export function* mightSleepStep(label: string): Steps<void> {
  const op: Op<void> = { object: SCHEDULER, access: 'read', label, run: (self) => mightSleep(self, label) };
  yield* perform(op);
}

/**
 * struct completion: complete() lets one waiter through (or banks the event for the next one),
 * complete_all() lets every present and future waiter through, wait_for_completion() may sleep
 * until then. The completer is often an external event — a device interrupt, a bio end_io — which
 * a scenario writes as a thread of its own (wrap its body in `hardirq` from irq.ts to run it in IRQ
 * context, where sleeping is a bug).
 */
import { hbAcquire, hbRelease, type Op, perform, type SharedObject, type Steps } from '../src/index';
import { mightSleep, SLEEPS, wouldSleepInAtomic } from './kit/might-sleep';
import { withOps } from './kit/with-ops';

/** complete_all() sets done to this, as the kernel sets UINT_MAX. */
const DONE_ALL = Number.POSITIVE_INFINITY;

export interface Completion extends SharedObject {
  // invariant: done counts complete() calls not yet consumed by a waiter; DONE_ALL after complete_all
  done: number;
  /** The ops of this completion, allocated once. */
  readonly ops: { readonly complete: Op<void>; readonly completeAll: Op<void>; readonly wait: Op<void>; readonly tryWait: Op<boolean> };
}

function doneKey(this: Completion): number {
  return this.done;
}

export function newCompletion(name: string): Completion {
  const waitLabel = `wait_for_completion(&${name})`;
  return withOps<Completion>({ name, done: 0, stateKey: doneKey }, (c) => ({
    complete: {
      object: c,
      access: 'write',
      label: `complete(&${name})`,
      run: (self) => {
        hbRelease(self, c);
        if (c.done !== DONE_ALL) c.done++;
      },
    },
    completeAll: {
      object: c,
      access: 'write',
      label: `complete_all(&${name})`,
      run: (self) => {
        hbRelease(self, c);
        c.done = DONE_ALL;
      },
    },
    wait: {
      object: c,
      access: 'write',
      label: waitLabel,
      alsoTouches: SLEEPS,
      enabled: (self) => c.done > 0 || wouldSleepInAtomic(self),
      enabledAt: (done, waiter) => done > 0 || wouldSleepInAtomic(waiter),
      waitsFor: () => `complete(&${name})`,
      run: (self) => {
        mightSleep(self, waitLabel);
        if (c.done !== DONE_ALL) c.done--;
        hbAcquire(self, c);
      },
    },
    tryWait: {
      object: c,
      access: 'write',
      label: `try_wait_for_completion(&${name})`,
      run: (self) => {
        if (c.done === 0) return false;
        if (c.done !== DONE_ALL) c.done--;
        hbAcquire(self, c);
        return true;
      },
    },
  }));
}

export function* complete(c: Completion): Steps<void> {
  yield* perform(c.ops.complete);
}

export function* completeAll(c: Completion): Steps<void> {
  yield* perform(c.ops.completeAll);
}

/** wait_for_completion: may sleep until complete() / complete_all(). */
export function* waitForCompletion(c: Completion): Steps<void> {
  yield* perform(c.ops.wait);
}

/** try_wait_for_completion: consume a completion if one is there; never sleeps. */
export function* tryWaitForCompletion(c: Completion): Steps<boolean> {
  return yield* perform(c.ops.tryWait);
}

/** completion_done(): whether a wait would not sleep; for models and invariants, not a step. */
export function completionDone(c: Completion): boolean {
  return c.done > 0;
}

/**
 * wait_queue_head_t with wait_event / wake_up. wait_event re-evaluates its condition after every
 * wake-up and sleeps again while it is false, so a wake-up for another reason (or a condition made
 * false again before the waiter ran) is harmless. As in the kernel, a waiter is on the queue
 * *before* it tests the condition (prepare_to_wait, then the test: one step here), so a waker that
 * sets the condition and then calls wake_up can never be missed; a hand-rolled "test, then sleep"
 * in two steps can, and models it as `waitEventRacy`.
 *
 * The condition is any function of the world, possibly read without a lock (S12d). The step that
 * evaluates it declares `reads` (the object the condition reads) as its object when given, so a
 * partial-order reduction sees it conflict with the write that makes the condition true.
 */
import { hbAcquire, hbRelease, type Op, perform, type SharedObject, type Steps, type ThreadContext, threadName } from '../src/index';
import { mightSleep, SLEEPS, withSleep } from './kit/might-sleep';
import { withOps } from './kit/with-ops';

export interface WaitQueue extends SharedObject {
  /** Threads on the queue (prepared to wait, not yet woken). */
  readonly waiters: Set<ThreadContext>;
  /** Threads woken since they last slept; they run again and re-test their condition. */
  readonly woken: Set<ThreadContext>;
  /** The ops of this queue, allocated once. */
  readonly ops: { readonly schedule: Op<void>; readonly wakeUp: Op<void> };
}

/** The sum of 2^t over woken threads t: a bit set per thread, exact up to 53 threads. */
function wokenKey(this: WaitQueue): number {
  let key = 0;
  for (const t of this.woken) key += 2 ** t.id;
  return key;
}

export function newWaitQueue(name: string): WaitQueue {
  return withOps<WaitQueue>({ name, waiters: new Set(), woken: new Set(), stateKey: wokenKey }, (wq) => ({
    schedule: {
      object: wq,
      // why a write: it takes the sleeper off `woken`, which another sleeper's enabled reads (and
      // the queue's stateKey gives), so two sleepers' schedule() do not commute as reads would
      access: 'write',
      label: `schedule() on ${name}`,
      enabled: (self) => wq.woken.has(self),
      enabledAt: (woken, waiter) => Math.floor(woken / 2 ** waiter.id) % 2 === 1,
      waitsFor: () => `a wake_up(&${name})`,
      run: (self) => {
        wq.woken.delete(self);
        hbAcquire(self, wq);
      },
    },
    wakeUp: {
      object: wq,
      access: 'write',
      label: `wake_up(&${name})`,
      run: (self) => {
        hbRelease(self, wq);
        for (const t of wq.waiters) wq.woken.add(t);
        wq.waiters.clear();
      },
    },
  }));
}

/**
 * wait_event(wq, cond): may sleep; returns once `cond()` is true, re-testing it after each wake.
 * `condLabel` is the condition in kernel terms (`mmu_interval_read_retry(…) == false`).
 */
export function* waitEvent(wq: WaitQueue, condLabel: string, cond: () => boolean, reads?: SharedObject): Steps<void> {
  const label = `wait_event(${wq.name}, ${condLabel})`;
  const test: Op<boolean> = {
    object: reads ?? wq,
    access: reads ? 'read' : 'write',
    label,
    // why: the test also puts the waiter on (or takes it off) the queue. What `cond` reads beyond
    // `reads` is the caller's to declare: it must read nothing else another thread writes.
    alsoTouches: reads ? withSleep([{ object: wq, access: 'write' }]) : SLEEPS,
    run: (self) => {
      mightSleep(self, label);
      if (cond()) {
        wq.waiters.delete(self);
        return true;
      }
      wq.waiters.add(self);
      return false;
    },
  };
  while (!(yield* perform(test))) yield* perform(wq.ops.schedule);
}

/**
 * A buggy hand-rolled wait: test the condition, then (a separate step) go to sleep. A wake_up
 * between the two is lost, and the waiter may sleep forever (reported as a deadlock).
 */
export function* waitEventRacy(wq: WaitQueue, condLabel: string, cond: () => boolean, reads?: SharedObject): Steps<void> {
  for (;;) {
    const ok = yield* perform({ object: reads ?? wq, access: 'read', label: `if (${condLabel})`, run: () => cond() });
    if (ok) return;
    yield* perform<void>({
      object: wq,
      access: 'write',
      label: `add_wait_queue(${wq.name}); schedule()`,
      alsoTouches: SLEEPS,
      run: (self) => {
        mightSleep(self, `schedule() on ${wq.name}`);
        wq.waiters.add(self);
      },
    });
    yield* perform(wq.ops.schedule);
  }
}

/** wake_up(wq): every (non-exclusive) waiter runs again and re-tests its condition. */
export function* wakeUp(wq: WaitQueue): Steps<void> {
  yield* perform(wq.ops.wakeUp);
}

/** Who is waiting on `wq`, for invariants and messages. */
export function describeWaiters(wq: WaitQueue): string {
  return [...wq.waiters].map(threadName).join(', ') || 'nobody';
}

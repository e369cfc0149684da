import { describe, expect, it } from 'vitest';
import { newSpinlock, spinLock, spinUnlock, type Spinlock } from '../../models/spinlock';
import { newWaitQueue, waitEvent, waitEventRacy, wakeUp, type WaitQueue } from '../../models/waitqueue';
import { perform } from '../../src/runtime/op';
import { checksFiredAnywhere } from '../helpers/detectors';
import { firedChecks, program, runSchedule } from '../helpers/program';

interface W {
  wq: WaitQueue;
  l: Spinlock;
  done: boolean;
  flag: { name: string };
}
const world = (): W => ({ wq: newWaitQueue('wq'), l: newSpinlock('l'), done: false, flag: { name: 'done' } });

function* setDone(w: W) {
  yield* perform<void>({ object: w.flag, access: 'write', label: 'done = true', run: () => void (w.done = true) });
}

describe('wait queue', () => {
  it('wait_event returns at once when the condition already holds', () => {
    const p = program<W>({ setup: world, threads: { waker: function* (w) { yield* setDone(w); }, waiter: function* (w) { yield* waitEvent(w.wq, 'done', () => w.done, w.flag); } } });
    const t = runSchedule(p, 'A B');
    expect(t.steps.map((s) => s.label)).toEqual(['done = true', 'wait_event(wq, done)']);
  });

  it('set-then-wake is never lost: no schedule hangs', () => {
    const p = program<W>({
      setup: world,
      threads: {
        waker: function* (w) { yield* setDone(w); yield* wakeUp(w.wq); },
        waiter: function* (w) { yield* waitEvent(w.wq, 'done', () => w.done, w.flag); },
      },
    });
    expect(checksFiredAnywhere(p)).toEqual(new Set());
  });

  it('the condition is re-evaluated on wake: a wake-up without it sends the waiter back to sleep', () => {
    const p = program<W>({
      setup: world,
      threads: {
        waker: function* (w) { yield* wakeUp(w.wq); yield* setDone(w); yield* wakeUp(w.wq); },
        waiter: function* (w) { yield* waitEvent(w.wq, 'done', () => w.done, w.flag); },
      },
    });
    const t = runSchedule(p, 'B A B B A A B B');
    expect(t.steps.map((s) => `${s.label}${s.result === null ? '' : ` → ${s.result}`}`)).toEqual([
      'wait_event(wq, done) → false',
      'wake_up(&wq)',
      'schedule() on wq',
      'wait_event(wq, done) → false',
      'done = true',
      'wake_up(&wq)',
      'schedule() on wq',
      'wait_event(wq, done) → true',
    ]);
  });

  it('a hand-rolled test-then-sleep loses the wake-up: deadlock saying what it waits for', () => {
    const p = program<W>({
      setup: world,
      threads: {
        waker: function* (w) { yield* setDone(w); yield* wakeUp(w.wq); },
        waiter: function* (w) { yield* waitEventRacy(w.wq, 'done', () => w.done, w.flag); },
      },
    });
    const t = runSchedule(p, 'B A A B');
    expect(firedChecks(t)).toEqual(['deadlock']);
    expect(t.violations[0]!.message).toMatch(/B \(waiter\) blocked in schedule\(\) on wq waiting for a wake_up\(&wq\)/);
  });

  it('wait_event may sleep: a bug under a spinlock', () => {
    const p = program<W>({
      setup: world,
      threads: { waiter: function* (w) { yield* spinLock(w.l); yield* waitEvent(w.wq, 'done', () => true); yield* spinUnlock(w.l); } },
    });
    expect(firedChecks(runSchedule(p, 'A A'))).toEqual(['sleep-in-atomic']);
  });
});

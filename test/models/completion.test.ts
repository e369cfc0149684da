import { describe, expect, it } from 'vitest';
import { complete, completeAll, completionDone, newCompletion, tryWaitForCompletion, waitForCompletion, type Completion } from '../../models/completion';
import { hardirq } from '../../models/irq';
import { newSpinlock, spinLock, spinUnlock, type Spinlock } from '../../models/spinlock';
import { checksFiredAnywhere } from '../helpers/detectors';
import { firedChecks, program, runSchedule, runSerial } from '../helpers/program';

interface W {
  c: Completion;
  l: Spinlock;
}
const world = (): W => ({ c: newCompletion('bio_done'), l: newSpinlock('l') });

describe('completion', () => {
  it('an external event (an IRQ handler) completes the wait; complete before wait is banked', () => {
    const p = program<W>({
      setup: world,
      threads: {
        submitter: function* (w) { yield* waitForCompletion(w.c); },
        irq: function* (w) { yield* hardirq('bio_endio', complete(w.c)); },
      },
    });
    expect(checksFiredAnywhere(p)).toEqual(new Set());
    expect(() => runSchedule(p, 'A')).toThrow(/A, which cannot run here|ended after/);
    expect(runSchedule(p, 'B B B A').steps.map((s) => s.label)).toEqual([
      'irq entry: bio_endio',
      'complete(&bio_done)',
      'irq exit: bio_endio',
      'wait_for_completion(&bio_done)',
    ]);
  });

  it('one complete() lets one waiter through; complete_all() lets all', () => {
    const two = (done: (w: W) => ReturnType<typeof complete>) =>
      program<W>({
        setup: world,
        threads: {
          a: function* (w) { yield* waitForCompletion(w.c); },
          b: function* (w) { yield* waitForCompletion(w.c); },
          event: function* (w) { yield* done(w); },
        },
      });
    const one = runSerial(two((w) => complete(w.c)));
    expect(firedChecks(one)).toEqual(['deadlock']);
    expect(one.violations[0]!.message).toMatch(/waiting for complete\(&bio_done\)/);
    expect(checksFiredAnywhere(two((w) => completeAll(w.c)))).toEqual(new Set());
  });

  it('try_wait_for_completion never sleeps; completion_done peeks', () => {
    const got: boolean[] = [];
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          yield* spinLock(w.l);
          got.push(yield* tryWaitForCompletion(w.c));
          yield* spinUnlock(w.l);
          yield* complete(w.c);
          expect(completionDone(w.c)).toBe(true);
          got.push(yield* tryWaitForCompletion(w.c));
        },
      },
    });
    expect(runSerial(p).violations).toEqual([]);
    expect(got.slice(-2)).toEqual([false, true]);
  });

  it('wait_for_completion may sleep: a bug under a spinlock or in IRQ context', () => {
    const locked = program<W>({ setup: world, threads: { a: function* (w) { yield* spinLock(w.l); yield* waitForCompletion(w.c); } } });
    expect(firedChecks(runSerial(locked))).toEqual(['sleep-in-atomic']);
    const inIrq = program<W>({ setup: world, threads: { a: function* (w) { yield* hardirq('handler', waitForCompletion(w.c)); } } });
    expect(runSerial(inIrq).violations[0]!.message).toMatch(/atomic since step 1 \(in hardirq handler\)/);
  });
});

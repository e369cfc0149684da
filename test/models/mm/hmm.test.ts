import { describe, expect, it } from 'vitest';
import { newFolio, type Folio } from '../../../models/mm/folio';
import {
  deviceCommit,
  deviceCommitUnlocked,
  deviceInvalidate,
  deviceNoFreed,
  hmmMirrorSync,
  insertIntervalSubAtSetup,
  intervalInvalidateEnd,
  intervalInvalidateStart,
  mmuIntervalReadBegin,
  newDevice,
  newSubscriptions,
  type Device,
  type IntervalSub,
  type Subscriptions,
} from '../../../models/mm/hmm';
import { freeObject } from '../../../models/kit/lifetime';
import { perform, type Steps } from '../../../src/runtime/op';
import { keepLastWorld } from '../../helpers/last-world';
import { firedChecks, program, runSchedule, runSerial } from '../../helpers/program';

interface W {
  subs: Subscriptions;
  sub: IntervalSub;
  dev: Device;
  p: Folio;
  log: unknown[];
}

function world(): W {
  const subs = newSubscriptions('mm');
  return { subs, sub: insertIntervalSubAtSetup(subs, 'sub', 0x0, 0x2000), dev: newDevice('dev'), p: newFolio('P'), log: [] };
}

function* invalidate(w: W, start = 0x0, end = 0x2000): Steps {
  const cur = yield* intervalInvalidateStart(w.sub, start, end);
  if (cur !== null) yield* deviceInvalidate(w.dev, w.sub, cur, start, end);
  yield* intervalInvalidateEnd(w.subs);
}

describe('interval notifier (99cb252f5e68)', () => {
  it('invalidate_seq is odd between start and end of an overlapping range, even again after', () => {
    const kept = keepLastWorld(world);
    runSerial(
      program<W>({
        setup: kept.setup,
        threads: {
          a: function* (w) {
            w.log.push(w.subs.invalidateSeq);
            const cur = yield* intervalInvalidateStart(w.sub, 0x1000, 0x3000);
            w.log.push(cur, w.subs.invalidateSeq);
            yield* deviceInvalidate(w.dev, w.sub, cur!, 0x1000, 0x3000);
            w.log.push(w.sub.invalidateSeq);
            yield* intervalInvalidateEnd(w.subs);
            w.log.push(w.subs.invalidateSeq);
          },
        },
      }),
    );
    expect(kept.last().log).toEqual([2, 3, 3, 3, 4]);
  });

  it('a range that does not overlap the subscription leaves the sequence even and calls nobody', () => {
    const kept = keepLastWorld(world);
    runSerial(
      program<W>({
        setup: kept.setup,
        threads: {
          a: function* (w) {
            w.log.push(yield* intervalInvalidateStart(w.sub, 0x2000, 0x3000), w.subs.invalidateSeq);
            yield* intervalInvalidateEnd(w.subs);
          },
        },
      }),
    );
    expect(kept.last().log).toEqual([null, 2]);
  });

  it('read_begin on an idle subscription does not wait; read_retry sees a callback that ran since', () => {
    const kept = keepLastWorld(world);
    runSerial(
      program<W>({
        setup: kept.setup,
        threads: {
          a: function* (w) {
            const seq = yield* mmuIntervalReadBegin(w.sub);
            yield* invalidate(w);
            w.log.push(yield* deviceCommit(w.dev, w.sub, seq, 0x1000, w.p, 'retry-check'));
            const again = yield* mmuIntervalReadBegin(w.sub);
            w.log.push(yield* deviceCommit(w.dev, w.sub, again, 0x1000, w.p, 'retry-check'));
          },
        },
      }),
    );
    expect(kept.last().log).toEqual([false, true]);
    expect(kept.last().dev.dpte.get(0x1000)).toBe(kept.last().p);
  });

  it('read_begin during an invalidation of the subscription sleeps until range_end wakes it', () => {
    const p = program<W>({
      setup: world,
      threads: {
        inv: function* (w) {
          yield* invalidate(w);
        },
        reader: function* (w) {
          yield* mmuIntervalReadBegin(w.sub);
        },
      },
    });
    // A: start, callback; B: read_begin sees it invalidating, tests the condition (false) and sleeps;
    // A: end, wake_up; B: schedule, re-test (true)
    const t = runSchedule(p, 'A2 B2 A2 B2');
    expect(t.status).toBe('complete');
    expect(t.steps.map((s) => s.label)).toContain('schedule() on mm->notifier_subscriptions->wq');
    // B cannot run a third step before A ends the range and wakes it
    expect(() => runSchedule(p, 'A2 B3')).toThrow(/B \(reader\) is blocked: schedule\(\) on mm->notifier_subscriptions->wq/);
  });

  it('a callback without mmu_interval_set_seq leaves read_retry false; one without the zap keeps the entry', () => {
    const kept = keepLastWorld(() => {
      const w = world();
      w.dev.dpte.set(0x1000, w.p);
      return w;
    });
    runSerial(
      program<W>({
        setup: kept.setup,
        threads: {
          a: function* (w) {
            const seq = yield* mmuIntervalReadBegin(w.sub);
            let cur = yield* intervalInvalidateStart(w.sub, 0x0, 0x2000);
            yield* deviceInvalidate(w.dev, w.sub, cur!, 0x0, 0x2000, { setSeq: false, zap: true });
            yield* intervalInvalidateEnd(w.subs);
            w.log.push(w.dev.dpte.get(0x1000) ?? null, w.sub.invalidateSeq === seq);
            w.dev.dpte.set(0x1000, w.p);
            cur = yield* intervalInvalidateStart(w.sub, 0x0, 0x2000);
            yield* deviceInvalidate(w.dev, w.sub, cur!, 0x0, 0x2000, { setSeq: true, zap: false });
            yield* intervalInvalidateEnd(w.subs);
            w.log.push(w.dev.dpte.get(0x1000) === w.p, w.sub.invalidateSeq === seq);
          },
        },
      }),
    );
    // zapped, seq unchanged (a later read_retry passes); then kept, seq moved
    expect(kept.last().log).toEqual([null, true, true, false]);
  });

  it('read_begin with wait: false returns the odd seq of an invalidation in progress at once', () => {
    const kept = keepLastWorld(world);
    const p = (wait: boolean) =>
      program<W>({
        setup: kept.setup,
        threads: {
          inv: function* (w) {
            yield* invalidate(w);
          },
          reader: function* (w) {
            w.log.push(yield* mmuIntervalReadBegin(w.sub, { wait }));
          },
        },
      });
    // A: start and callback; then B runs on: it has one step without the wait, and sleeps with it
    expect(runSchedule(p(false), 'A2 B1 A2').status).toBe('complete');
    expect(kept.last().log).toEqual([3]);
    expect(() => runSchedule(p(true), 'A2 B3')).toThrow(/B \(reader\) is blocked/);
  });

  it('v4.14 sync hook zaps the device entries in its range only', () => {
    const kept = keepLastWorld(() => {
      const w = world();
      w.dev.dpte.set(0x1000, w.p);
      w.dev.dpte.set(0x5000, w.p);
      return w;
    });
    runSerial(program<W>({ setup: kept.setup, threads: { a: (w) => hmmMirrorSync(w.dev, 0x0, 0x2000, 'hmm_invalidate_range_end()') } }));
    expect(kept.last().dev.dpte.get(0x1000)).toBeNull();
    expect(kept.last().dev.dpte.get(0x5000)).toBe(kept.last().p);
  });

  it('misuse: a commit that skips read_retry, or programs after dropping the lock, maps a page an invalidation already zapped', () => {
    for (const commit of ['no-retry', 'unlocked'] as const) {
      const kept = keepLastWorld(world);
      runSerial(
        program<W>({
          setup: kept.setup,
          threads: {
            a: function* (w) {
              const seq = yield* mmuIntervalReadBegin(w.sub);
              yield* invalidate(w);
              if (commit === 'no-retry') yield* deviceCommit(w.dev, w.sub, seq, 0x1000, w.p, 'no-retry-check');
              else yield* deviceCommitUnlocked(w.dev, w.sub, seq, 0x1000, w.p);
            },
          },
        }),
      );
      // 'unlocked' in one thread: the retry test runs after the callback, so it does give up
      expect(kept.last().dev.dpte.get(0x1000) ?? null).toBe(commit === 'no-retry' ? kept.last().p : null);
    }
  });

  it('deviceNoFreed fires when a device entry maps a freed page', () => {
    const t = runSerial(
      program<W>({
        setup: () => {
          const w = world();
          w.dev.dpte.set(0x1000, w.p);
          return w;
        },
        invariants: [deviceNoFreed((w: W) => w.dev)],
        threads: {
          a: function* (w) {
            yield* perform<void>({ object: w.p, access: 'write', label: 'free P', run: (self) => freeObject(w.p, self, 'free P') });
          },
        },
      }),
    );
    expect(firedChecks(t)).toEqual(['smmu-no-freed']);
  });
});

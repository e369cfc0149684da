import { describe, expect, it } from 'vitest';
import { mutexLock, mutexTrylock, mutexUnlock, newMutex, type Mutex } from '../../models/mutex';
import { newSpinlock, spinLock, spinUnlock, type Spinlock } from '../../models/spinlock';
import { exploreProgram, firedChecks, program, runSchedule } from '../helpers/program';

interface W {
  m: Mutex;
  l: Spinlock;
  inside: number;
  maxInside: number;
}
const world = (): W => ({ m: newMutex('m'), l: newSpinlock('l'), inside: 0, maxInside: 0 });

function* critical(w: W) {
  yield* mutexLock(w.m);
  w.inside++;
  w.maxInside = Math.max(w.maxInside, w.inside);
  yield* mutexUnlock(w.m);
  w.inside--;
}

describe('mutex', () => {
  it('excludes: no schedule has two threads inside', () => {
    const exclusion = { id: 'mutual-exclusion', description: '', check: (w: W) => w.maxInside <= 1 || 'two inside' };
    const v = exploreProgram(program<W>({ setup: world, threads: { a: critical, b: critical, c: critical }, invariants: [exclusion] }));
    expect(v.kind).toBe('holds');
  });

  it('a waiter is not runnable while the owner holds it, and says whom it waits for', () => {
    const p = program<W>({ setup: world, threads: { a: critical, b: critical } });
    expect(() => runSchedule(p, 'A B')).toThrow(/B, which cannot run here/);
    const t = runSchedule(p, 'A A B B');
    expect(t.steps[1]!.blocked).toEqual([{ thread: 1, label: 'mutex_lock(&m)', waitsFor: 'm held by A (a)' }]);
    expect(t.status).toBe('complete');
  });

  it('recursive mutex_lock never returns: deadlock naming the owner as itself', () => {
    const p = program<W>({ setup: world, threads: { a: function* (w) { yield* mutexLock(w.m); yield* mutexLock(w.m); } } });
    const t = runSchedule(p, 'A');
    expect(firedChecks(t)).toEqual(['deadlock']);
    expect(t.violations[0]!.message).toMatch(/mutex_lock\(&m\) waiting for m held by A \(a\) itself/);
  });

  it('mutex_lock under a spinlock sleeps in atomic context, even when the mutex is free', () => {
    const p = program<W>({
      setup: world,
      threads: { a: function* (w) { yield* spinLock(w.l); yield* mutexLock(w.m); yield* mutexUnlock(w.m); yield* spinUnlock(w.l); } },
    });
    const t = runSchedule(p, 'A2');
    expect(firedChecks(t)).toEqual(['sleep-in-atomic']);
    expect(t.violations[0]!.message).toMatch(/mutex_lock\(&m\).*atomic since step 1 \(spin_lock\(&l\)\)/);
  });

  it('a contended mutex_lock in atomic context still reports the sleep, not a wait', () => {
    const p = program<W>({
      setup: world,
      threads: {
        owner: function* (w) { yield* mutexLock(w.m); yield* spinLock(w.l); yield* spinUnlock(w.l); yield* mutexUnlock(w.m); },
        atomic: function* (w) { yield* spinLock(w.l); yield* mutexLock(w.m); },
      },
    });
    expect(firedChecks(runSchedule(p, 'A B B'))).toEqual(['sleep-in-atomic']);
  });

  it('mutex_trylock never sleeps: fine under a spinlock, fails while held', () => {
    const got: boolean[] = [];
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) { yield* mutexLock(w.m); yield* mutexUnlock(w.m); },
        b: function* (w) {
          yield* spinLock(w.l);
          const ok = yield* mutexTrylock(w.m);
          got.push(ok);
          if (ok) yield* mutexUnlock(w.m);
          yield* spinUnlock(w.l);
        },
      },
    });
    expect(runSchedule(p, 'A B B B A').violations).toEqual([]);
    expect(runSchedule(p, 'B B B B A A').violations).toEqual([]);
    expect(got).toEqual([false, true]);
  });

  it('unlock by a non-owner and double unlock are unlock-not-held', () => {
    const foreign = program<W>({
      setup: world,
      threads: { a: function* (w) { yield* mutexLock(w.m); yield* mutexUnlock(w.m); }, b: function* (w) { yield* mutexUnlock(w.m); } },
    });
    const t = runSchedule(foreign, 'A B');
    expect(firedChecks(t)).toEqual(['unlock-not-held']);
    expect(t.violations[0]!.message).toMatch(/mutex_unlock\(&m\) by B \(b\).*owned by A \(a\)/);
    const twice = program<W>({ setup: world, threads: { a: function* (w) { yield* mutexLock(w.m); yield* mutexUnlock(w.m); yield* mutexUnlock(w.m); } } });
    expect(runSchedule(twice, 'A3').violations[0]!.message).toMatch(/is not locked/);
  });

  it('returning with the mutex held is a lock leak', () => {
    const p = program<W>({ setup: world, threads: { a: function* (w) { yield* mutexLock(w.m); } } });
    expect(firedChecks(runSchedule(p, 'A'))).toEqual(['lock-leak']);
  });
});

import { describe, expect, it } from 'vitest';
import {
  newSpinlock,
  spinIsLocked,
  spinLock,
  spinLockIrqsave,
  spinLockNested,
  spinTrylock,
  spinUnlock,
  spinUnlockIrqrestore,
  type Spinlock,
} from '../../models/spinlock';
import { exploreProgram, firedChecks, program, runSchedule } from '../helpers/program';

interface W {
  l: Spinlock;
  inside: number;
  maxInside: number;
}
const world = (): W => ({ l: newSpinlock('l'), inside: 0, maxInside: 0 });

function* critical(w: W) {
  yield* spinLock(w.l);
  w.inside++;
  w.maxInside = Math.max(w.maxInside, w.inside);
  yield* spinUnlock(w.l);
  w.inside--;
}

describe('spinlock', () => {
  it('excludes: no schedule has two threads inside', () => {
    const exclusion = { id: 'mutual-exclusion', description: '', check: (w: W) => w.maxInside <= 1 || 'two inside' };
    const v = exploreProgram(program<W>({ setup: world, threads: { a: critical, b: critical }, invariants: [exclusion] }));
    expect(v.kind).toBe('holds');
    // Two lock/unlock pairs: only A-first or B-first, the waiter never interleaves inside.
    expect(v.stats.executions).toBe(2);
  });

  it('the same check fires without the lock: the invariant is not vacuous', () => {
    const exclusion = { id: 'mutual-exclusion', description: '', check: (w: W) => w.maxInside <= 1 || 'two inside' };
    // Each thread takes a lock of its own: steps that exclude nobody.
    const racy = (own: Spinlock) =>
      function* (w: W) {
        yield* spinLock(own);
        w.inside++;
        w.maxInside = Math.max(w.maxInside, w.inside);
        yield* spinUnlock(own);
        w.inside--;
      };
    const threads = { a: racy(newSpinlock('la')), b: racy(newSpinlock('lb')) };
    const t = runSchedule(program<W>({ setup: world, threads, invariants: [exclusion] }), 'A B A B');
    expect(firedChecks(t)[0]).toBe('mutual-exclusion');
  });

  it('a blocked thread cannot be scheduled: replaying B while A holds the lock diverges', () => {
    const p = program<W>({ setup: world, threads: { a: critical, b: critical } });
    expect(() => runSchedule(p, 'A B')).toThrow(/B, which cannot run here/);
  });

  it('double unlock is unlock-not-held', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          yield* spinLock(w.l);
          yield* spinUnlock(w.l);
          yield* spinUnlock(w.l);
        },
      },
    });
    const t = runSchedule(p, 'A3');
    expect(firedChecks(t)).toEqual(['unlock-not-held']);
    expect(t.violations[0]!.message).toMatch(/not held/);
  });

  it('unlock by a non-owner is unlock-not-held and names the owner', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          yield* spinLock(w.l);
          yield* spinUnlock(w.l);
        },
        b: function* (w) {
          yield* spinUnlock(w.l);
        },
      },
    });
    const t = runSchedule(p, 'A B');
    expect(firedChecks(t)).toEqual(['unlock-not-held']);
    expect(t.violations[0]!.message).toMatch(/held by A/);
  });

  it('recursive spin_lock spins forever: deadlock, saying who holds it', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          yield* spinLock(w.l);
          yield* spinLock(w.l);
        },
      },
    });
    const t = runSchedule(p, 'A');
    expect(firedChecks(t)).toEqual(['deadlock']);
    expect(t.violations[0]!.message).toMatch(/A \(a\) blocked in spin_lock\(&l\) waiting for l held by A/);
  });

  it('returning with the lock held is a lock leak', () => {
    const p = program<W>({ setup: world, threads: { a: function* (w) { yield* spinLock(w.l); } } });
    expect(firedChecks(runSchedule(p, 'A'))).toEqual(['lock-leak']);
  });

  it('trylock never blocks and reports failure while the lock is held', () => {
    const got: boolean[] = [];
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          yield* spinLock(w.l);
          yield* spinUnlock(w.l);
        },
        b: function* (w) {
          const ok = yield* spinTrylock(w.l);
          got.push(ok);
          if (ok) yield* spinUnlock(w.l);
        },
      },
    });
    runSchedule(p, 'A B A');
    runSchedule(p, 'B2 A2');
    expect(got).toEqual([false, true]);
  });
});

describe('spinlock: irqsave, nesting, lockdep classes', () => {
  it('spin_lock_irqsave / spin_unlock_irqrestore: atomic in between, labels say irqsave', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          const flags = yield* spinLockIrqsave(w.l);
          expect(spinIsLocked(w.l)).toBe(true);
          yield* spinUnlockIrqrestore(w.l, flags);
        },
        b: critical,
      },
    });
    const t = runSchedule(p, 'A A B B');
    expect(t.steps.map((s) => s.label)).toEqual(['spin_lock_irqsave(&l)', 'spin_unlock_irqrestore(&l)', 'spin_lock(&l)', 'spin_unlock(&l)']);
    expect(() => runSchedule(p, 'A B')).toThrow(/B, which cannot run here/);
  });

  it('restoring flags saved by another lock is unlock-not-held', () => {
    const p = program<W & { m: Spinlock }>({
      setup: () => ({ ...world(), m: newSpinlock('m') }),
      threads: {
        a: function* (w) {
          const flags = yield* spinLockIrqsave(w.m);
          yield* spinLock(w.l);
          yield* spinUnlockIrqrestore(w.l, flags);
        },
      },
    });
    expect(firedChecks(runSchedule(p, 'A3'))).toContain('unlock-not-held');
  });

  it('locks made with one lockdep class nest only with spin_lock_nested', () => {
    const twoOfAClass = () => ({ ...world(), p: newSpinlock('p1', { lockClass: 'ptl' }), q: newSpinlock('p2', { lockClass: 'ptl' }) });
    type W2 = ReturnType<typeof twoOfAClass>;
    const plain = program<W2>({
      setup: twoOfAClass,
      threads: { a: function* (w) { yield* spinLock(w.p); yield* spinLock(w.q); yield* spinUnlock(w.q); yield* spinUnlock(w.p); } },
    });
    expect(firedChecks(runSchedule(plain, 'A4'))).toEqual(['lock-order']);
    const nested = program<W2>({
      setup: twoOfAClass,
      threads: { a: function* (w) { yield* spinLock(w.p); yield* spinLockNested(w.q, 1); yield* spinUnlock(w.q); yield* spinUnlock(w.p); } },
    });
    expect(runSchedule(nested, 'A4').violations).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import {
  newSpinlock,
  spinIsLocked,
  spinLock,
  spinLockIrqsave,
  spinLockBh,
  spinLockIrq,
  spinLockNested,
  spinLockNestLock,
  spinTrylock,
  spinUnlock,
  spinUnlockBh,
  spinUnlockIrq,
  spinUnlockIrqrestore,
  type Spinlock,
} from '../../models/spinlock';
import { hardirq, irqsDisabled, localBhEnable, localIrqDisable, localIrqEnable } from '../../models/irq';
import { mightSleepStep } from '../../models/kit/might-sleep';
import type { ThreadBody } from '../../src/runtime/scenario';
import { exploreProgram, firedChecks, program, runSchedule, runSerial } from '../helpers/program';

/** How a replay that schedules the blocked thread B fails (the message names B as not runnable). */
const BLOCKED_B = /replay diverged at step \d+: (the schedule runs B, which cannot run here|B \(\w+\) is blocked)/;

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
    expect(() => runSchedule(p, 'A B')).toThrow(BLOCKED_B);
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
    expect(() => runSchedule(p, 'A B')).toThrow(BLOCKED_B);
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

  it('spin_lock_nest_lock: one class nests while the nest lock is held, and only then', () => {
    const twoOfAClass = () => ({ ...world(), nest: newSpinlock('mm->mmap_sem'), p: newSpinlock('M1->i_mmap_lock', { lockClass: 'i_mmap' }), q: newSpinlock('M2->i_mmap_lock', { lockClass: 'i_mmap' }) });
    type W2 = ReturnType<typeof twoOfAClass>;
    const under = program<W2>({
      setup: twoOfAClass,
      threads: {
        a: function* (w) {
          yield* spinLock(w.nest);
          yield* spinLockNestLock(w.p, w.nest);
          yield* spinLockNestLock(w.q, w.nest);
          yield* spinUnlock(w.q);
          yield* spinUnlock(w.p);
          yield* spinUnlock(w.nest);
        },
      },
    });
    const t = runSerial(under);
    expect(t.violations).toEqual([]);
    expect(t.steps[2]!.label).toBe('spin_lock_nest_lock(&M2->i_mmap_lock, &mm->mmap_sem)');
    const notHeld = program<W2>({
      setup: twoOfAClass,
      threads: { a: function* (w) { yield* spinLockNestLock(w.p, w.nest); yield* spinLockNestLock(w.q, w.nest); yield* spinUnlock(w.q); yield* spinUnlock(w.p); } },
    });
    expect(firedChecks(runSerial(notHeld))).toEqual(['lock-order']);
  });
});

describe('spinlock: _irq and _bh variants', () => {
  type W2 = W & { m: Spinlock };
  const one = (body: ThreadBody<W2>) => program<W2>({ setup: () => ({ ...world(), m: newSpinlock('m') }), threads: { a: body } });

  it('spin_lock_irq / spin_unlock_irq: lock and IRQs off together, IRQs back on after', () => {
    let offInside = false;
    let offAfter = true;
    const t = runSerial(
      one(function* (w, self) {
        yield* spinLockIrq(w.l);
        offInside = irqsDisabled(self);
        yield* spinUnlockIrq(w.l);
        offAfter = irqsDisabled(self);
      }),
    );
    expect(t.violations).toEqual([]);
    expect(t.steps.map((s) => s.label)).toEqual(['spin_lock_irq(&l)', 'spin_unlock_irq(&l)']);
    expect([offInside, offAfter]).toEqual([true, false]);
  });

  it('the _irq and _bh variants exclude like spin_lock', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) { yield* spinLockIrq(w.l); yield* spinUnlockIrq(w.l); },
        b: function* (w) { yield* spinLockBh(w.l); yield* spinUnlockBh(w.l); },
      },
    });
    expect(() => runSchedule(p, 'A B')).toThrow(BLOCKED_B);
    expect(runSchedule(p, 'A A B B').violations).toEqual([]);
  });

  it('spin_unlock_irq with IRQs already on is unlock-not-held', () => {
    // The inner spin_unlock_irq turned IRQs on; the outer one finds them on.
    const twice = one(function* (w) {
      yield* spinLockIrq(w.l);
      yield* spinUnlock(w.l);
      yield* localIrqEnable();
      yield* spinLock(w.l);
      yield* spinUnlockIrq(w.l);
    });
    const t = runSerial(twice);
    expect(firedChecks(t)).toEqual(['unlock-not-held']);
    expect(t.violations[0]!.message).toMatch(/spin_unlock_irq\(&l\) by A \(a\) at step 5, but local IRQs were already enabled/);
  });

  it('spin_unlock_irq inside an outer IRQs-off section turns IRQs on under it: bug-on', () => {
    const nested = one(function* (w) {
      const flags = yield* spinLockIrqsave(w.m);
      yield* spinLockIrq(w.l);
      yield* spinUnlockIrq(w.l);
      yield* spinUnlockIrqrestore(w.m, flags);
    });
    const t = runSerial(nested);
    expect(firedChecks(t)).toEqual(['bug-on']);
    expect(t.violations[0]!.message).toMatch(/turned IRQs on inside an IRQs-off section begun at step 1 \(spin_lock_irqsave\(&m\): IRQs off\)/);
    const inHandler = one((w) => hardirq('dev', (function* () { yield* spinLockIrq(w.l); yield* spinUnlockIrq(w.l); })()));
    expect(runSerial(inHandler).violations[0]!.message).toMatch(/inside an IRQs-off section begun at step 1 \(in hardirq dev\)/);
  });

  it('spin_lock_bh holds softirqs off and is atomic; spin_unlock_bh without a disable is unlock-not-held', () => {
    const sleepy = one(function* (w) { yield* spinLockBh(w.l); yield* mightSleepStep('msleep(1)'); });
    expect(runSerial(sleepy).violations[0]!.message).toMatch(/atomic since step 1 \(spin_lock_bh\(&l\): BH off\)/);
    const unbalanced = one(function* (w) {
      yield* spinLockBh(w.l);
      yield* localBhEnable();
      yield* spinUnlockBh(w.l);
    });
    const t = runSerial(unbalanced);
    expect(firedChecks(t)).toEqual(['unlock-not-held']);
    expect(t.violations[0]!.message).toMatch(/spin_unlock_bh\(&l\) by A \(a\) at step 3, but local softirqs were not disabled/);
  });

  it('spin_unlock_bh with IRQs off is the kernel WARN in __local_bh_enable_ip', () => {
    const p = one(function* (w) {
      yield* spinLockBh(w.l);
      yield* localIrqDisable();
      yield* spinUnlockBh(w.l);
    });
    const t = runSerial(p);
    expect(firedChecks(t)).toEqual(['bug-on']);
    expect(t.violations[0]!.message).toMatch(/WARN_ON_ONCE\(in_irq\(\) \|\| irqs_disabled\(\)\)/);
  });

  it('balanced nesting: bh under irqsave under nothing, released in reverse, leaves nothing held', () => {
    const p = one(function* (w, self) {
      yield* spinLockBh(w.l);
      const f = yield* spinLockIrqsave(w.m);
      yield* spinUnlockIrqrestore(w.m, f);
      yield* spinUnlockBh(w.l);
      expect(self.held).toEqual([]);
    });
    expect(runSerial(p).violations).toEqual([]);
  });

  it('returning from spin_lock_irqsave without the restore leaks the lock and the IRQs-off section', () => {
    const t = runSerial(one(function* (w) { yield* spinLockIrqsave(w.l); }));
    expect(firedChecks(t)).toEqual(['lock-leak']);
    expect(t.violations[0]!.message).toBe('A (a) returned still holding spin_lock_irqsave(&l): IRQs off (step 1), spin_lock_irqsave(&l) (step 1)');
  });
});

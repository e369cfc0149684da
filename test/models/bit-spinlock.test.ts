import { describe, expect, it } from 'vitest';
import { foundViolation } from '../helpers/detectors';
import { bitSpinLock, bitSpinTrylock, bitSpinUnlock, newBitSpinlock, type BitSpinlock } from '../../models/bit-spinlock';
import { kfree, newMortal, type Mortal } from '../../models/kit/lifetime';
import { mightSleepStep } from '../../models/kit/might-sleep';
import { exploreProgram, firedChecks, program, runSchedule, runSerial } from '../helpers/program';

interface W {
  page: Mortal;
  lock: BitSpinlock;
  inside: number;
  maxInside: number;
}
const world = (): W => {
  const page = newMortal('head');
  return { page, lock: newBitSpinlock(page, 'PG_compound_lock'), inside: 0, maxInside: 0 };
};

function* critical(w: W) {
  yield* bitSpinLock(w.lock);
  w.inside++;
  w.maxInside = Math.max(w.maxInside, w.inside);
  yield* bitSpinUnlock(w.lock);
  w.inside--;
}

describe('bit spinlock', () => {
  it('excludes like a spinlock, with labels naming the bit and the object', () => {
    const exclusion = { id: 'mutual-exclusion', description: '', check: (w: W) => w.maxInside <= 1 || 'two inside' };
    const p = program<W>({ setup: world, threads: { a: critical, b: critical }, invariants: [exclusion] });
    expect(exploreProgram(p).kind).toBe('holds');
    expect(runSchedule(p, 'A A B B').steps[0]!.label).toBe('bit_spin_lock(PG_compound_lock, &head->flags)');
  });

  it('holding it is atomic', () => {
    const p = program<W>({ setup: world, threads: { a: function* (w) { yield* bitSpinLock(w.lock); yield* mightSleepStep('lock_page(head)'); } } });
    expect(firedChecks(runSerial(p))).toEqual(['sleep-in-atomic']);
  });

  it('locking the bit of a freed object is a use after free naming the free', () => {
    const p = program<W>({
      setup: world,
      threads: {
        freer: function* (w) { yield* kfree(w.page, '__free_pages(head)'); },
        locker: function* (w) { yield* bitSpinLock(w.lock); yield* bitSpinUnlock(w.lock); },
      },
    });
    const t = runSchedule(p, 'A B');
    expect(firedChecks(t)).toEqual(['use-after-free']);
    expect(t.violations[0]!.message).toMatch(/bit_spin_lock.*by B \(locker\) at step 2.*freed by A \(freer\) at step 1 in __free_pages\(head\)/);
  });

  it('a waiter spinning on the bit of an object freed under it runs into the fault, not a hang', () => {
    const p = program<W>({
      setup: world,
      threads: {
        holder: function* (w) { yield* bitSpinLock(w.lock); yield* kfree(w.page, '__free_pages(head)'); },
        waiter: function* (w) { yield* bitSpinLock(w.lock); },
      },
    });
    expect(firedChecks(runSchedule(p, 'A A B'))).toEqual(['lock-leak', 'use-after-free']);
  });

  it('trylock fails while held; unlock by a non-holder is unlock-not-held', () => {
    const got: boolean[] = [];
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) { yield* bitSpinLock(w.lock); yield* bitSpinUnlock(w.lock); },
        b: function* (w) { got.push(yield* bitSpinTrylock(w.lock)); },
      },
    });
    runSchedule(p, 'A B A');
    expect(got).toEqual([false]);
    const foreign = program<W>({
      setup: world,
      threads: { a: function* (w) { yield* bitSpinLock(w.lock); yield* bitSpinUnlock(w.lock); }, b: function* (w) { yield* bitSpinUnlock(w.lock); } },
    });
    expect(firedChecks(runSchedule(foreign, 'A B'))).toEqual(['unlock-not-held']);
  });
});

describe('bit spinlock: partial-order reduction sees the container', () => {
  it('dfs finds a trylock or unlock placed after the free of the page that holds the bit', () => {
    const p = program<{ page: Mortal; lock: BitSpinlock }>({
      setup: () => {
        const page = newMortal('head');
        return { page, lock: newBitSpinlock(page, 'PG_compound_lock') };
      },
      threads: {
        a: function* (w) {
          if (yield* bitSpinTrylock(w.lock)) yield* bitSpinUnlock(w.lock);
        },
        b: function* (w) { yield* kfree(w.page); },
      },
    });
    expect(foundViolation(p, 'use-after-free')?.message).toMatch(/bit_spin_(try|un)lock.*freed by .* in kfree\(head\)/);
  });
});

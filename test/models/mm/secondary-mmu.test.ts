import { describe, expect, it } from 'vitest';
import { newFolio, type Folio } from '../../../models/mm/folio';
import {
  mmuNotifierChangePte,
  mmuNotifierInvalidatePage,
  mmuNotifierInvalidateRangeEnd,
  mmuNotifierInvalidateRangeStart,
  newMmuNotifierMm,
  srcuReadSide,
} from '../../../models/mm/mmu-notifier';
import {
  kvmMapSpte,
  kvmNotifierState,
  mappedSptes,
  newKvm,
  noSpteInActiveRange,
  setSpteAtSetup,
  smmuNoFreed,
  type Kvm,
  type KvmOptions,
} from '../../../models/mm/secondary-mmu';
import { spinLock, spinUnlock } from '../../../models/spinlock';
import { newSrcu } from '../../../models/srcu';
import type { Steps } from '../../../src/runtime/op';
import { keepLastWorld } from '../../helpers/last-world';
import { firedChecks, program, runSerial } from '../../helpers/program';

interface W {
  kvm: Kvm;
  p: Folio;
  q: Folio;
}

function world(options: KvmOptions = {}): () => W {
  return () => {
    const mm = newMmuNotifierMm<Folio>('mm', srcuReadSide(newSrcu('srcu')));
    return { kvm: newKvm(mm, 'kvm', options), p: newFolio('P'), q: newFolio('Q') };
  };
}

/** Runs `body` as one thread and returns the final world and the checks that fired. */
function runOne(setup: () => W, body: (w: W) => Steps, invariants = [noSpteInActiveRange((w: W) => w.kvm), smmuNoFreed((w: W) => w.kvm)]) {
  const kept = keepLastWorld(setup);
  const t = runSerial(program<W>({ setup: kept.setup, threads: { a: body }, invariants }));
  return { w: kept.last(), fired: firedChecks(t), trace: t };
}

function* mapUnderLock(w: W, page: Folio, address = 0x1000): Steps<boolean> {
  yield* spinLock(w.kvm.mmuLock);
  const mapped = yield* kvmMapSpte(w.kvm, address, page);
  yield* spinUnlock(w.kvm.mmuLock);
  return mapped;
}

describe('secondary MMU (KVM): range callbacks and the fault path', () => {
  it('range_start raises count and zaps sptes in the range; range_end bumps seq, then lowers count', () => {
    const states: { count: number; seq: number; sptes: number }[] = [];
    const { w, fired } = runOne(
      () => {
        const w = world()();
        setSpteAtSetup(w.kvm, 0x1000, w.p);
        setSpteAtSetup(w.kvm, 0x3000, w.q);
        return w;
      },
      function* (w) {
        const mm = w.kvm.notifier.mm;
        yield* mmuNotifierInvalidateRangeStart(mm, 0x0, 0x2000);
        states.push({ count: w.kvm.count, seq: w.kvm.seq, sptes: mappedSptes(w.kvm).length });
        yield* mmuNotifierInvalidateRangeEnd(mm, 0x0, 0x2000);
        states.push({ count: w.kvm.count, seq: w.kvm.seq, sptes: mappedSptes(w.kvm).length });
      },
    );
    expect(fired).toEqual([]);
    // runSerial runs the program twice (choose, then record): take the last run's two states
    expect(states.slice(-2)).toEqual([
      { count: 1, seq: 0, sptes: 1 },
      { count: 0, seq: 1, sptes: 1 },
    ]);
    expect(w.kvm.spte.get(0x3000)).toBe(w.q); // outside the range: kept
  });

  it('the fault path reads count and seq under mmu_lock, and maps', () => {
    const { w, fired } = runOne(world(), function* (w) {
      yield* spinLock(w.kvm.mmuLock);
      const s = yield* kvmNotifierState(w.kvm);
      expect(s).toEqual({ count: 0, seq: 0 });
      yield* kvmMapSpte(w.kvm, 0x1000, w.p);
      yield* spinUnlock(w.kvm.mmuLock);
    });
    expect(fired).toEqual([]);
    expect(w.kvm.spte.get(0x1000)).toBe(w.p);
  });

  it('an spte the fault path maps inside an outstanding range violates no-spte-in-active-range', () => {
    const { fired, trace } = runOne(world(), function* (w) {
      const mm = w.kvm.notifier.mm;
      yield* mmuNotifierInvalidateRangeStart(mm, 0x0, 0x2000);
      yield* mapUnderLock(w, w.p, 0x1000);
      yield* mmuNotifierInvalidateRangeEnd(mm, 0x0, 0x2000);
    });
    expect(fired).toEqual(['no-spte-in-active-range']);
    expect(trace.violations[0]!.message).toMatch(/spte\[0x1000\] while A's invalidate_range_start\(0x0, 0x2000\) is outstanding/);
  });

  it('mapping outside the range, or after range_end, is allowed', () => {
    const { fired } = runOne(world(), function* (w) {
      const mm = w.kvm.notifier.mm;
      yield* mmuNotifierInvalidateRangeStart(mm, 0x0, 0x2000);
      yield* mapUnderLock(w, w.p, 0x2000);
      yield* mmuNotifierInvalidateRangeEnd(mm, 0x0, 0x2000);
      yield* mapUnderLock(w, w.q, 0x1000);
    });
    expect(fired).toEqual([]);
  });

  it('invalidate_page bumps seq inside its mmu_lock section; with seqBumpOutsideLock in a later step', () => {
    for (const outside of [false, true]) {
      const { w, trace } = runOne(
        () => {
          const w = world({ seqBumpOutsideLock: outside })();
          setSpteAtSetup(w.kvm, 0x1000, w.p);
          return w;
        },
        function* (w) {
          yield* mmuNotifierInvalidatePage(w.kvm.notifier.mm, 0x1000);
        },
      );
      const zap = trace.steps.find((s) => /kvm_mmu_notifier_invalidate_page/.test(s.label))!;
      expect(zap.label.includes('seq++')).toBe(!outside);
      expect(w.kvm.seq).toBe(1);
      expect(w.kvm.spte.get(0x1000)).toBeNull();
      expect(trace.steps.some((s) => /after spin_unlock/.test(s.label))).toBe(outside);
    }
  });

  it('misuse: mmu_set_spte without mmu_lock is a lockdep_assert_held failure', () => {
    const { fired } = runOne(world(), function* (w) {
      yield* kvmMapSpte(w.kvm, 0x1000, w.p);
    });
    expect(fired).toEqual(['bug-on']);
  });

  it('misuse: range_end without range_start drives count negative (BUG_ON)', () => {
    const { fired } = runOne(world(), function* (w) {
      yield* mmuNotifierInvalidateRangeEnd(w.kvm.notifier.mm, 0x0, 0x2000);
    });
    expect(fired).toEqual(['bug-on']);
  });
});

describe('secondary MMU (KVM): change_pte behaviours', () => {
  /** change_pte(0x1000, Q) inside `nest` outstanding range_starts (the caller's own included). */
  function changePteNested(options: KvmOptions, nest: number, existing: boolean) {
    return runOne(
      () => {
        const w = world(options)();
        if (existing) setSpteAtSetup(w.kvm, 0x1000, w.p);
        return w;
      },
      function* (w) {
        const mm = w.kvm.notifier.mm;
        // the ranges are set up by hand so that the caller's start does not zap the spte first
        w.kvm.count = nest;
        yield* mmuNotifierChangePte(mm, 0x1000, w.q);
      },
      [],
    ).w;
  }

  it('rewrite (default): rewrites an existing spte, never creates one', () => {
    const existing = changePteNested({}, 1, true);
    expect(existing.kvm.spte.get(0x1000)).toBe(existing.q);
    expect(changePteNested({}, 1, false).kvm.spte.get(0x1000) ?? null).toBeNull();
  });

  it('create: creates the spte whatever else is outstanding', () => {
    const w = changePteNested({ changePte: 'create' }, 2, false);
    expect(w.kvm.spte.get(0x1000)).toBe(w.q);
  });

  it('create-unless-nested: creates only when the caller\'s own start is the only one outstanding', () => {
    const sole = changePteNested({ changePte: 'create-unless-nested' }, 1, false);
    expect(sole.kvm.spte.get(0x1000)).toBe(sole.q);
    const nested = changePteNested({ changePte: 'create-unless-nested' }, 2, false);
    expect(nested.kvm.spte.get(0x1000) ?? null).toBeNull();
  });

  it('change_pte bumps seq, so a fault that sampled seq before it retries', () => {
    const w = changePteNested({ changePte: 'create' }, 1, false);
    expect(w.kvm.seq).toBe(1);
  });
});

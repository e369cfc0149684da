/**
 * The KVM-like secondary MMU client, the parts secondary-mmu.test.ts leaves out: ->release and
 * invalidate_page as mmu-notifier walks reach them, waiting on mmu_lock, accessed-bit propagation,
 * INV-SMMU-NO-FREED, and the seq/count protocol under exploration.
 */
import { describe, expect, it } from 'vitest';
import { folioPut, newFolio, type Folio } from '../../../models/mm/folio';
import {
  callRelease,
  mmuNotifierInvalidatePage,
  mmuNotifierInvalidateRangeEnd,
  mmuNotifierInvalidateRangeStart,
  newMmuNotifierMm,
  srcuReadSide,
  type MmuNotifierMm,
} from '../../../models/mm/mmu-notifier';
import { kvmMapSpte, kvmNotifierState, kvmReadSeq, mappedSptes, newKvm, setSpteAtSetup, smmuNoFreed, type Kvm, type KvmOptions } from '../../../models/mm/secondary-mmu';
import { spinLock, spinUnlock } from '../../../models/spinlock';
import { newSrcu } from '../../../models/srcu';
import type { Steps } from '../../../src/runtime/op';
import type { ThreadBody } from '../../../src/runtime/scenario';
import { keepLastWorld } from '../../helpers/last-world';
import { exploreProgram, firedChecks, program, runSchedule, runSerial } from '../../helpers/program';

interface W {
  mm: MmuNotifierMm<Folio>;
  kvm: Kvm;
  p1: Folio;
  p2: Folio;
  p3: Folio;
}
const A1 = 0x1000;
const A2 = 0x2000;
const A3 = 0x3000;

function world(options: KvmOptions = {}): () => W {
  return () => {
    const mm = newMmuNotifierMm<Folio>('mm', srcuReadSide(newSrcu('srcu')));
    const kvm = newKvm(mm, 'kvm', options);
    const [p1, p2, p3] = [newFolio('p1'), newFolio('p2'), newFolio('p3')];
    setSpteAtSetup(kvm, A1, p1);
    setSpteAtSetup(kvm, A2, p2);
    return { mm, kvm, p1, p2, p3 };
  };
}

function runOne(body: ThreadBody<W>, options: KvmOptions = {}) {
  const keep = keepLastWorld(world(options));
  const t = runSerial(program<W>({ setup: keep.setup, threads: { a: body } }));
  return { t, w: keep.last() };
}

const addresses = (kvm: Kvm) => mappedSptes(kvm).map(([a, p]) => `${a.toString(16)}:${p.name}`);

describe('secondary MMU (KVM) callbacks', () => {
  it('->release zaps every spte and marks the VM released: the fault path maps nothing afterwards', () => {
    let mapped: boolean | null = null;
    const { t, w } = runOne(function* (w) {
      yield* callRelease(w.kvm.notifier);
      yield* spinLock(w.kvm.mmuLock);
      mapped = yield* kvmMapSpte(w.kvm, A3, w.p3);
      yield* spinUnlock(w.kvm.mmuLock);
    });
    expect(t.violations).toEqual([]);
    expect(t.steps[0]!.label).toBe('kvm_mmu_notifier_release(): zap all sptes of kvm');
    expect(w.kvm.released).toBe(true);
    expect(mappedSptes(w.kvm)).toEqual([]);
    expect(mapped).toBe(false);
  });

  it('invalidate_page bumps seq and zaps only its address', () => {
    const { w } = runOne((w) => mmuNotifierInvalidatePage(w.mm, A1));
    expect(w.kvm.seq).toBe(1);
    expect(addresses(w.kvm)).toEqual(['2000:p2']);
  });

  it('a callback waits while another thread holds mmu_lock', () => {
    const p = program<W>({
      setup: world(),
      threads: {
        fault: function* (w) { yield* spinLock(w.kvm.mmuLock); yield* spinUnlock(w.kvm.mmuLock); },
        zap: (w) => mmuNotifierInvalidatePage(w.mm, A1),
      },
    });
    // B's walk reaches the callback at its third step; A holds mmu_lock from its first.
    expect(() => runSchedule(p, 'A B B B')).toThrow(/replay diverged at step 4: (the schedule runs B, which cannot run here|B \(zap\) is blocked)/);
    expect(runSchedule(p, 'A B B A B B B').violations).toEqual([]);
  });

  it('propagateAccessed: zapping a mapped page sets PG_referenced inside the mmu_lock section, as a step on the page', () => {
    const { t, w } = runOne((w) => mmuNotifierInvalidatePage(w.mm, A1), { propagateAccessed: true });
    expect(t.steps.map((s) => s.label).slice(2, 5)).toEqual([
      'kvm_mmu_notifier_invalidate_page(0x1000): seq++, zap spte',
      'kvm_set_pfn_accessed(p1)',
      'spin_unlock(&kvm->mmu_lock)',
    ]);
    expect(w.p1.flags.has('referenced')).toBe(true);
    // Nothing mapped at the address: the section is one step and no page is touched.
    const empty = runOne((w) => mmuNotifierInvalidatePage(w.mm, A3), { propagateAccessed: true });
    expect(empty.t.steps.map((s) => s.label).filter((l) => l.startsWith('kvm_set_pfn_accessed'))).toEqual([]);
  });

  it('setting PG_referenced on a page already freed is a use after free', () => {
    const { t } = runOne(function* (w) {
      yield* folioPut(w.p1);
      yield* mmuNotifierInvalidatePage(w.mm, A1);
    }, { propagateAccessed: true });
    expect(firedChecks(t)).toEqual(['use-after-free']);
  });
});

describe('secondary MMU (KVM) fault-path pieces', () => {
  it('mmu_notifier_retry state must be read under mmu_lock (lockdep_assert_held)', () => {
    const { t } = runOne(function* (w) { yield* kvmNotifierState(w.kvm); });
    expect(firedChecks(t)).toEqual(['bug-on']);
    expect(t.violations[0]!.message).toMatch(/lockdep_assert_held\(&kvm->mmu_lock\) failed in mmu_notifier_retry/);
  });

  it('the seq/count protocol: a fault that snapshots seq before an invalidation retries, on every schedule', () => {
    const seen: string[] = [];
    const fault = (checks: boolean) =>
      function* (w: W): Steps {
        const mmuSeq = yield* kvmReadSeq(w.kvm);
        yield* spinLock(w.kvm.mmuLock);
        const s = yield* kvmNotifierState(w.kvm);
        const retry = checks && (s.count > 0 || s.seq !== mmuSeq);
        if (!retry) yield* kvmMapSpte(w.kvm, A3, w.p3);
        yield* spinUnlock(w.kvm.mmuLock);
        seen.push(retry ? 'retry' : 'mapped');
      };
    const invalidate = function* (w: W): Steps {
      yield* mmuNotifierInvalidateRangeStart(w.mm, A3, A3 + 0x1000);
      yield* mmuNotifierInvalidateRangeEnd(w.mm, A3, A3 + 0x1000);
    };
    // The rule the protocol exists for (cddb8a5c14): no spte inside a range while it is invalidated.
    const noSpteWhileCounted = {
      id: 'no-spte-while-counted',
      description: 'spte[0x3000] is not mapped while an invalidation of it is outstanding',
      check: (w: W) => w.kvm.count === 0 || w.kvm.spte.get(A3) == null || 'spte[0x3000] mapped inside the invalidated range',
    };
    const p = program<W>({ setup: world(), threads: { fault: fault(true), invalidate }, invariants: [noSpteWhileCounted] });
    // Each walk is five steps (srcu lock, first, callback, next, srcu unlock).
    // Snapshot first, the whole invalidation, then the locked check: seq moved on.
    runSchedule(p, 'A B10 A3');
    // Snapshot and locked check inside the bracket: count > 0.
    runSchedule(p, 'A B5 A3 B5');
    // No invalidation in between: the fault maps (and the invalidation zaps it afterwards).
    runSchedule(p, 'A5 B10');
    expect(seen).toEqual(['retry', 'retry', 'mapped']);
    expect(exploreProgram(p).kind).toBe('holds');
    // Without the check, some schedule maps inside the bracket.
    const unchecked = program<W>({ setup: world(), threads: { fault: fault(false), invalidate }, invariants: [noSpteWhileCounted] });
    const v = exploreProgram(unchecked);
    expect(v.kind === 'violated' && v.violations[0]!.check).toBe('no-spte-while-counted');
  });

  it('smmu-no-freed fires when a page is freed while an spte still maps it, and not once it is zapped first', () => {
    const inv = [smmuNoFreed((w: W) => w.kvm)];
    const freedMapped = runSerial(program<W>({ setup: world(), threads: { a: function* (w) { yield* folioPut(w.p2); } }, invariants: inv }));
    expect(firedChecks(freedMapped)).toEqual(['smmu-no-freed']);
    expect(freedMapped.violations[0]!.message).toBe('p2 was freed while kvm spte[0x2000] still maps it');
    const zappedFirst = runSerial(
      program<W>({
        setup: world(),
        threads: { a: function* (w) { yield* mmuNotifierInvalidatePage(w.mm, A2); yield* folioPut(w.p2); } },
        invariants: inv,
      }),
    );
    expect(zappedFirst.violations).toEqual([]);
  });
});

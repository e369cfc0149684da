/**
 * Lock order inside mm_take_all_locks(): anon_vma locks before i_mmap locks inverts the rmap order
 * (races.md S7b, EXTENDED). 2.6.27-rc.
 *
 * Commits:
 * - cddb8a5c14 "mmu-notifiers: core" added mm_take_all_locks(); its first version took every
 *   anon_vma lock, then every i_mmap lock.
 * - 7cd5a02f54f4 "mm: fix mm_take_all_locks() locking order" (2.6.27-rc): lockdep reported a
 *   possible circular dependency from qemu-kvm, because the rmap order elsewhere (vma_adjust) is
 *   i_mmap_lock → anon_vma->lock; the fix takes all i_mmap locks first.
 *
 * A cycle needs two mms, since both paths hold their own mmap_sem for write: a file M mapped
 * privately by both, and an anon_vma A shared by them after fork. Thread A registers a notifier on
 * mm1 (mmu_notifier_register → mm_take_all_locks); thread B is vma_adjust() on mm2's private file
 * VMA of M whose anon_vma is A (mprotect splitting the VMA, say), under mm2's mmap_sem. The two
 * variants differ only in the order mm_take_all_locks() takes its two passes.
 *
 * 7cd5a02f54f4 has one part, the order of the two passes, and `buggy` is its removal; the
 * scenario declares no invariant of its own (lockdep's `lock-order` and `deadlock` are built in).
 * Merging the passes again (each VMA's anon_vma locks right after its i_mmap lock, as a 2015
 * cleanup proposed) is the mutant `merged-passes` (`mutants`, run by
 * test/scenarios/mm-take-all-locks-lock-order.test.ts). With one VMA per mm it is the fixed order,
 * so it needs `--param vmas=2`: mm1 gets an anonymous VMA (its heap, anon_vma H) in front of the
 * file VMA. The merged pass then takes H->lock, and holds it while it takes M->i_mmap_lock
 * (anon_vma → i_mmap; A->lock, taken next with H's class held, adds no edge), and vma_adjust's
 * i_mmap → anon_vma closes the cycle. Behind the file VMA the heap would change nothing: the
 * merged pass would reach M first. The fixed order holds with the extra VMA (test). The cycle is
 * one of classes: vma_adjust's anon_vma is A, not H, so lockdep reports it and no schedule
 * deadlocks (test). A deadlock would need vma_adjust under M's lock wanting H, on a private VMA of
 * M whose anon_vma root is the heap's; the model builds none (anon_vma merging asks for the same
 * vm_file, and fork gives a child VMA its parent VMA's root).
 *
 * Parameters: `vmas` (default 1, at most 2): 2 puts mm1's heap VMA in front of its file VMA.
 *
 * Choices:
 * - 2.6.27 locks: i_mmap_lock and anon_vma->lock are spinlocks, mmap_sem an rwsem, and the global
 *   mm_all_locks_mutex a mutex. mm_take_all_locks takes them with spin_lock_nest_lock under
 *   mm1's mmap_sem, so the heap's and the file VMA's anon_vma locks nest legally; as in the
 *   kernel's lockdep, the second of them adds no dependency (src/checks/lockdep.ts).
 * - vma_adjust's work under the two locks (the tree updates) is one step on the anon_vma: it is
 *   what the locks protect, and nothing else reads it here.
 * - No deadlocking schedule is needed for the verdict: lockdep reports the inversion from the two
 *   edge sets alone, as it did in 2.6.27-rc1. The deadlock is reachable too (the test shows it).
 */
import { newZone, type Zone } from '../models/mm/allocator';
import {
  ERA_3X,
  ERA_ANON_FIRST,
  newAllLocksMm,
  spinlockRmapLock,
  type AllLocksEra,
  type AllLocksVma,
  type AllLocksMm,
} from '../models/mm/mm-take-all-locks';
import { newMmuNotifier, newMmuNotifierMm, type MmuNotifier } from '../models/mm/mmu-notifier';
import { mmuNotifierRegister } from '../models/mm/mmu-notifier-register';
import { newMutex } from '../models/mutex';
import { downWrite, newRwsem, upWrite, type Rwsem } from '../models/rwsem';
import { newSpinlock, spinLock, spinUnlock, type Spinlock } from '../models/spinlock';
import { defineScenario, perform, type Steps, type Variant } from '../src/index';

interface World {
  /** mm1, on which A registers. */
  readonly mm1: AllLocksMm;
  readonly mn: MmuNotifier;
  readonly zone: Zone;
  /** mm2's mmap_sem, held by B's caller. */
  readonly mm2MmapSem: Rwsem;
  /** M's i_mmap_lock and A's anon_vma->lock, shared by both mms. */
  readonly iMmapLock: Spinlock;
  readonly anonVmaLock: Spinlock;
}

// ---- A: mmu_notifier_register() on mm1, first version (anon first) and 7cd5a02f54f4 ----------

function registerWith(era: AllLocksEra): (w: World) => Steps {
  return function* (w) {
    yield* mmuNotifierRegister(w.mn, { locks: w.mm1, era, zone: w.zone });
  };
}

// ---- B: vma_adjust() on mm2, the same in both variants -----------------------------------------

function* vmaAdjust(w: World): Steps {
  yield* downWrite(w.mm2MmapSem); // the caller's (mprotect → split_vma)
  yield* spinLock(w.iMmapLock);
  yield* spinLock(w.anonVmaLock);
  yield* perform<void>({
    object: w.anonVmaLock,
    access: 'write',
    label: 'vma_adjust: update vm_start/vm_pgoff, the i_mmap tree and the anon_vma list',
    run: () => {},
  });
  yield* spinUnlock(w.anonVmaLock);
  yield* spinUnlock(w.iMmapLock);
  yield* upWrite(w.mm2MmapSem);
}

/**
 * The fixed variant with one part of 7cd5a02f54f4 changed. Not in `variants`: a mutant is a test
 * of the fix (test/scenarios), not a kernel version. Run it with `vmas: 2`.
 */
export const mutants: Readonly<Record<'merged-passes', Variant<World>>> = {
  'merged-passes': {
    summary: "one pass taking each VMA's i_mmap lock, then its anon_vma locks: the heap's anon_vma lock is held for the file's i_mmap lock (mutant, vmas=2)",
    expect: { violated: 'lock-order' },
    threads: { register: registerWith({ ...ERA_3X, order: 'merged' }), vmaAdjust },
  },
};

export default defineScenario({
  id: 'mm-take-all-locks-lock-order',
  title: 'mm_take_all_locks took anon_vma locks before i_mmap locks, against the rmap order of vma_adjust',
  commits: ['cddb8a5c14 mmu-notifiers: core', '7cd5a02f54f4 mm: fix mm_take_all_locks() locking order'],
  params: { vmas: 1 },
  paramLimits: { vmas: { min: 1, max: 2 } },
  setup: ({ vmas }): World => {
    const iMmapLock = newSpinlock('M->i_mmap_lock', { lockClass: '&mapping->i_mmap_lock' });
    const anonVmaLock = newSpinlock('A->lock', { lockClass: '&anon_vma->lock' });
    const mmapSemClass = { lockClass: '&mm->mmap_sem' };
    const fileVma: AllLocksVma = { name: 'mm1 vma', mapping: spinlockRmapLock(iMmapLock), anonVmas: [spinlockRmapLock(anonVmaLock)], vmaLock: null };
    // why in front: the merged pass reaches the heap's anon_vma before the file's i_mmap lock
    const heap: AllLocksVma = { name: 'mm1 heap', mapping: null, anonVmas: [spinlockRmapLock(newSpinlock('H->lock', { lockClass: '&anon_vma->lock' }))], vmaLock: null };
    const mm1 = newAllLocksMm('mm1', {
      allLocksMutex: newMutex('mm_all_locks_mutex'),
      mmapLock: newRwsem('mm1->mmap_sem', mmapSemClass),
      vmas: vmas >= 2 ? [heap, fileVma] : [fileVma],
    });
    const notifierMm = newMmuNotifierMm('mm1');
    return {
      mm1,
      mn: newMmuNotifier(notifierMm, 'kvm->mmu_notifier'),
      zone: newZone('zone', { freePages: 1 }),
      mm2MmapSem: newRwsem('mm2->mmap_sem', mmapSemClass),
      iMmapLock,
      anonVmaLock,
    };
  },
  variants: {
    buggy: {
      summary: 'hypothetical interleaving: 2.6.27-rc1 only (fixed before v2.6.27): mm_take_all_locks() takes anon_vma locks, then i_mmap locks',
      expect: { violated: 'lock-order' },
      threads: { register: registerWith(ERA_ANON_FIRST), vmaAdjust },
    },
    fixed: {
      summary: '7cd5a02f54f4: all i_mmap locks first, the rmap order',
      expect: 'holds',
      threads: { register: registerWith(ERA_3X), vmaAdjust },
    },
  },
});

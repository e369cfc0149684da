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
 * cleanup proposed) orders them wrongly only across two VMAs of the registering mm, an anon_vma of
 * one before the i_mmap lock of the next, which needs a second VMA in the registering mm (and, for
 * a cycle, a vma_adjust elsewhere under that i_mmap lock and that anon_vma's root). With one VMA
 * per mm that mutant is the fixed order, so it is not modelled here.
 *
 * Choices:
 * - 2.6.27 locks: i_mmap_lock and anon_vma->lock are spinlocks, mmap_sem an rwsem, and the global
 *   mm_all_locks_mutex a mutex. Each mm has one VMA, so mm_take_all_locks takes one lock per class
 *   (the spinlock model has no nest-lock form; see models/mm-take-all-locks.ts).
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
  type AllLocksMm,
} from '../models/mm/mm-take-all-locks';
import { newMmuNotifier, newMmuNotifierMm, type MmuNotifier } from '../models/mm/mmu-notifier';
import { mmuNotifierRegister } from '../models/mm/mmu-notifier-register';
import { newMutex } from '../models/mutex';
import { downWrite, newRwsem, upWrite, type Rwsem } from '../models/rwsem';
import { newSpinlock, spinLock, spinUnlock, type Spinlock } from '../models/spinlock';
import { defineScenario, perform, type Steps } from '../src/index';

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

export default defineScenario({
  id: 'mm-take-all-locks-lock-order',
  title: 'mm_take_all_locks took anon_vma locks before i_mmap locks, against the rmap order of vma_adjust',
  commits: ['cddb8a5c14 mmu-notifiers: core', '7cd5a02f54f4 mm: fix mm_take_all_locks() locking order'],
  setup: (): World => {
    const iMmapLock = newSpinlock('M->i_mmap_lock', { lockClass: '&mapping->i_mmap_lock' });
    const anonVmaLock = newSpinlock('A->lock', { lockClass: '&anon_vma->lock' });
    const mmapSemClass = { lockClass: '&mm->mmap_sem' };
    const mm1 = newAllLocksMm('mm1', {
      allLocksMutex: newMutex('mm_all_locks_mutex'),
      mmapLock: newRwsem('mm1->mmap_sem', mmapSemClass),
      vmas: [{ name: 'mm1 vma', mapping: spinlockRmapLock(iMmapLock), anonVmas: [spinlockRmapLock(anonVmaLock)], vmaLock: null }],
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

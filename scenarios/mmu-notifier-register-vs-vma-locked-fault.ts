/**
 * Per-VMA locks join the "all locks" of mm_take_all_locks(), v6.4–v6.5 (races.md S7c, EXTENDED).
 *
 * Commits:
 * - eeff9a5d47f8 "mm/mmap: prevent pagefault handler from racing with mmu_notifier registration"
 *   (v6.4, per-VMA lock series): a page fault under the per-VMA read lock holds none of mmap_lock,
 *   i_mmap or anon_vma locks, yet can issue invalidate_range_start/end (wp_page_copy), so
 *   registration could land inside its window. mm_take_all_locks() now write-locks every VMA
 *   first, before the i_mmap and anon_vma passes, the order of the fault path.
 * - Jann Horn, "mm: Don't drop VMA locks in mm_drop_all_locks()" (July 2023; mainline hash not
 *   checked here): mm_drop_all_locks() ended every VMA write lock (vma_end_write_all), although
 *   they are meant to last until mmap_write_unlock/downgrade, so it also released a VMA write lock
 *   the *caller* had taken before registering (the posting's hypothetical munmap → split → SGX
 *   open → register path). The fix leaves VMA write locks alone.
 *
 * Threads: A is a write fault on a COW page of an anonymous VMA, handled under the per-VMA lock
 * (lock_vma_under_rcu → do_wp_page → wp_page_copy: invalidate_range_start, PTE switched to the
 * copy under the PTL, invalidate_range_end), falling back to mmap_read_lock when the VMA lock
 * cannot be had. B registers KVM's notifier:
 * - `buggy`: mm_take_all_locks() without VMA locks (the series before eeff9a5d47f8): KVM's
 *   range_end can come without its start, mmu_notifier_count goes to -1 (BUG_ON);
 * - `fixed`: eeff9a5d47f8;
 * - `early-release`: v6.4 called from a path that had write-locked the VMA itself
 *   (mmap_write_lock, vma_start_write, __mmu_notifier_register, then more changes to the VMA):
 *   mm_drop_all_locks() releases the caller's VMA write lock (`vma-write-lock-kept`), and the
 *   caller's next change finds the VMA unlocked (vma_assert_write_locked);
 * - `early-release-fixed`: the same caller after Jann Horn's fix.
 *
 * The fault's copy is allocated (vma_alloc_folio, GFP_HIGHUSER_MOVABLE) before range_start from a
 * zone at its watermark, so it enters direct reclaim under the VMA read lock (or mmap_lock for
 * read), and reclaim's try_to_unmap() of an LRU page Q of the same anon_vma takes the anon_vma
 * rwsem for read (folio_lock_anon_vma_read, sleeping when the trylock fails). That is the fault
 * path's order eeff9a5d47f8 keeps: vm_lock, then the rmap locks. v6.4's fault never reaches
 * __anon_vma_prepare under the VMA lock: lock_vma_under_rcu() refuses a VMA whose anon_vma is not
 * set up yet (the fault then retries under mmap_lock), so anon_vma_prepare() returns at once there.
 *
 * Each part of eeff9a5d47f8 is needed, and a variant or a mutant (`mutants`, run by
 * test/scenarios/mmu-notifier-register-vs-vma-locked-fault.test.ts) shows it:
 * - the VMA pass itself: `buggy` (registration inside the fault's window, KVM's BUG_ON);
 * - the VMA pass *first*: `vma-locks-last` takes it after the rmap passes, and B, holding the
 *   anon_vma rwsem for write, waits in vma_start_write for the fault to leave the VMA, while the
 *   fault, in reclaim under the VMA read lock, sleeps on that rwsem (`deadlock`; lockdep's report
 *   of the same inversion needs B's blocked down_write recorded, which the model's lockdep does
 *   only for an acquisition that happens).
 * Jann Horn's fix has one part, the vma_end_write_all() it deletes: `early-release` keeps it.
 *
 * Choices:
 * - Q's unmap (its PTE, the notifier calls try_to_unmap_one makes, the free) is one read step on
 *   Q: it happens under the anon_vma lock, which every variant's mm_take_all_locks takes, so no
 *   registration lands in its window; the reclaimed page goes back to the zone as one count.
 * - lock_vma_under_rcu is vma_start_read alone (the RCU section around the VMA lookup orders
 *   nothing here: no VMA is freed); A's PTL section (ptep_clear_flush, set_pte_at of the copy,
 *   the rmap and refcount updates) is one step: no other thread touches the PTL or the pages.
 * - The VMA is anonymous with one anon_vma, so mm_take_all_locks() takes the VMA lock and the
 *   anon_vma rwsem; there is no file VMA.
 * - No range-pairing invariant: the fault pairs its own start and end in every variant; a
 *   registration inside the window shows up as the client's count going negative (`bug-on`).
 */
import { named, observing } from '../models/kit/ghost';
import { kmalloc, newZone, type GfpFlags, type Zone } from '../models/mm/allocator';
import { anonVmaUnlockRead, folioLockAnonVmaRead, newAnonVma, type AnonVma } from '../models/mm/anon-vma';
import { newFolio, type Folio } from '../models/mm/folio';
import { fused } from '../models/kit/fused';
import {
  ERA_V6_4,
  ERA_V6_5,
  newAllLocksMm,
  rwsemRmapLock,
  vmaWriteLockKept,
  type AllLocksEra,
  type AllLocksMm,
} from '../models/mm/mm-take-all-locks';
import {
  mmuNotifierInvalidateRangeEnd,
  mmuNotifierInvalidateRangeStart,
  rangePairing,
  srcuReadSide,
  type MmuNotifierMm,
} from '../models/mm/mmu-notifier';
import { mmuNotifierRegister, newLazyMmuNotifierMm } from '../models/mm/mmu-notifier-register';
import { newMutex } from '../models/mutex';
import { newPageTable, ptepClearFlush, setPteAt, setPteAtSetup, type PageTable } from '../models/mm/pte';
import { newRcu, type Rcu } from '../models/rcu';
import { newKvm, type Kvm } from '../models/mm/secondary-mmu';
import { spinLock, spinUnlock } from '../models/spinlock';
import { newSrcu } from '../models/srcu';
import {
  mmapReadLock,
  mmapReadUnlock,
  mmapWriteLock,
  mmapWriteUnlock,
  newMmLocks,
  newVmaLock,
  vmaEndRead,
  vmaModify,
  vmaStartRead,
  vmaStartWrite,
  type MmLocks,
  type VmaLock,
} from '../models/mm/vma-lock';
import { defineScenario, perform, type Steps, type Variant } from '../src/index';

const ADDR = 0x1000;
const END = 0x2000;

interface World {
  readonly mm: MmLocks;
  readonly vma: VmaLock;
  readonly locks: AllLocksMm;
  readonly notifierMm: MmuNotifierMm<Folio>;
  readonly kvm: Kvm;
  /** The slab memory registration allocates from (it has room). */
  readonly zone: Zone;
  /** The zone user pages come from: at its watermark, so the fault's allocation reclaims. */
  readonly userZone: Zone;
  readonly anonVma: AnonVma;
  readonly rcu: Rcu;
  /** An LRU page of the same anon_vma that direct reclaim picks (try_to_unmap). */
  readonly lruPage: Folio;
  readonly pt: PageTable<Folio>;
  /** The COW page mapped read-only, and the copy the fault maps instead. */
  readonly oldPage: Folio;
  readonly newPage: Folio;
}

/** The per-VMA lock series before eeff9a5d47f8: faults under VMA locks exist, mm_take_all_locks has no VMA pass. */
const ERA_NO_VMA_LOCKS: AllLocksEra = { ...ERA_V6_4, lockVmas: false, dropEndsVmaWriteLocks: false };

const GFP_HIGHUSER_MOVABLE: GfpFlags = { name: 'GFP_HIGHUSER_MOVABLE', maySleep: true, mayReclaim: true };

// ---- direct reclaim in the fault's allocation -------------------------------------------------

/** try_to_unmap(Q) from shrink_folio_list: rmap_walk_anon under the anon_vma read lock (may sleep). */
function* tryToUnmapLruPage(w: World): Steps {
  const q = w.lruPage;
  const av = yield* folioLockAnonVmaRead(q, w.rcu, { recheck: false });
  if (av === null) return;
  yield* perform<void>({ object: q, access: 'read', label: `try_to_unmap_one(${q.name}, vma)`, run: () => {} });
  yield* anonVmaUnlockRead(av);
}

// ---- A: a write fault on a COW page, the same in every variant --------------------------------

/** wp_page_copy(): the PTE moves to a copy between invalidate_range_start and _end. */
function* wpPageCopy(w: World): Steps {
  const { notifierMm: mm, pt, newPage } = w;
  // the copy; direct reclaim runs here, under the VMA read lock (or mmap_lock for read)
  yield* kmalloc(w.userZone, GFP_HIGHUSER_MOVABLE, 'vma_alloc_folio(GFP_HIGHUSER_MOVABLE, 0, vma, 0x1000)');
  yield* mmuNotifierInvalidateRangeStart(mm, ADDR, END);
  yield* fused(
    () => spinLock(pt.ptl),
    () => ptepClearFlush(pt, ADDR),
    () => setPteAt(pt, ADDR, { page: newPage, writable: true }),
    () => spinUnlock(pt.ptl),
  );
  yield* mmuNotifierInvalidateRangeEnd(mm, ADDR, END);
}

function* pageFault(w: World): Steps {
  if (yield* vmaStartRead(w.vma)) {
    // lock_vma_under_rcu
    yield* wpPageCopy(w);
    yield* vmaEndRead(w.vma);
    return;
  }
  yield* mmapReadLock(w.mm); // lock_mm_and_find_vma
  yield* wpPageCopy(w);
  yield* mmapReadUnlock(w.mm);
}

// ---- B: registration -----------------------------------------------------------------------------

function kvmCreateVm(era: AllLocksEra): (w: World) => Steps {
  return function* (w) {
    yield* mmuNotifierRegister(w.kvm.notifier, { locks: w.locks, era, zone: w.zone });
  };
}

/** A path that write-locks the VMA, registers a notifier under its mmap lock, then changes the VMA. */
function splitThenRegister(era: AllLocksEra): (w: World) => Steps {
  return function* (w) {
    yield* mmapWriteLock(w.mm);
    yield* vmaStartWrite(w.vma); // __split_vma
    yield* mmuNotifierRegister(w.kvm.notifier, { locks: w.locks, era, zone: w.zone, callerHoldsMmapLock: true });
    yield* vmaModify(w.vma, 'the caller goes on changing the VMA it write-locked (vma_assert_write_locked)');
    yield* mmapWriteUnlock(w.mm);
  };
}

// why no range-pairing here: the fault pairs its own start and end in every variant; what a
// registration in the window breaks is the client's count, which KVM's BUG_ON reports
const invariants = [
  // why the mutex and mm_lock_seq: the ghost books are written by their holder, in those steps
  observing(vmaWriteLockKept((w: World) => w.locks), named('mm', 'mm_all_locks_mutex', 'mm->mm_lock_seq')),
];

/**
 * The fixed variant with one part of eeff9a5d47f8 removed. Not in `variants`: a mutant is a test
 * of the fix (test/scenarios), not a kernel version.
 */
export const mutants: Readonly<Record<'vma-locks-last', Variant<World>>> = {
  'vma-locks-last': {
    summary: 'eeff9a5d47f8 with the VMA write locks taken after the i_mmap and anon_vma passes (mutant)',
    expect: { violated: 'deadlock' },
    invariants,
    threads: { fault: pageFault, register: kvmCreateVm({ ...ERA_V6_4, vmaPass: 'last' }) },
  },
};

export default defineScenario({
  id: 'mmu-notifier-register-vs-vma-locked-fault',
  title: 'registration vs a page fault under the per-VMA lock: mm_take_all_locks must take VMA locks, and keep the caller\'s',
  commits: [
    'eeff9a5d47f8 mm/mmap: prevent pagefault handler from racing with mmu_notifier registration',
    "mm: Don't drop VMA locks in mm_drop_all_locks() (Jann Horn, July 2023)",
  ],
  setup: (): World => {
    const mm = newMmLocks('mm');
    const vma = newVmaLock('vma', mm);
    const anonVma = newAnonVma('anon_vma');
    const locks = newAllLocksMm('mm', {
      allLocksMutex: newMutex('mm_all_locks_mutex'),
      vmaLocks: mm,
      vmas: [{ name: 'vma', mapping: null, anonVmas: [rwsemRmapLock(anonVma.rwsem)], vmaLock: vma }],
    });
    const notifierMm = newLazyMmuNotifierMm<Folio>('mm', srcuReadSide(newSrcu('srcu')));
    const oldPage = newFolio('P', { ref: 2, mapcount: 2, mapping: anonVma });
    const pt = newPageTable<Folio>('pte');
    setPteAtSetup(pt, ADDR, oldPage, false);
    // why a holder: the reclaim walk is the zone's, and walks pages of the world the zone is in
    const holder: { w: World | null } = { w: null };
    const userZone = newZone('zone (user pages)', { freePages: 0, reclaimWalk: () => tryToUnmapLruPage(holder.w!) });
    holder.w = {
      mm,
      vma,
      locks,
      notifierMm,
      kvm: newKvm(notifierMm, 'kvm', { registered: false }),
      zone: newZone('zone', { freePages: 1 }),
      anonVma,
      rcu: newRcu('rcu'),
      lruPage: newFolio('Q', { ref: 1, mapcount: 1, mapping: anonVma, index: 1 }),
      pt,
      oldPage,
      newPage: newFolio('P_copy', { ref: 1 }),
      userZone,
    };
    return holder.w;
  },
  variants: {
    buggy: {
      summary: 'hypothetical interleaving: per-VMA-locked faults without eeff9a5d47f8 (which landed with them): mm_take_all_locks() leaves VMA locks alone',
      expect: { violated: 'bug-on' },
      invariants,
      threads: { fault: pageFault, register: kvmCreateVm(ERA_NO_VMA_LOCKS) },
    },
    fixed: {
      summary: 'eeff9a5d47f8 (v6.4): mm_take_all_locks() write-locks every VMA first',
      expect: 'holds',
      invariants,
      threads: { fault: pageFault, register: kvmCreateVm(ERA_V6_4) },
    },
    'early-release': {
      summary: "hypothetical interleaving (code in v6.4; the fix's posting calls the path hypothetical): mm_drop_all_locks() ends every VMA write lock, the caller's included",
      expect: { violated: 'vma-write-lock-kept' },
      invariants,
      threads: { fault: pageFault, register: splitThenRegister(ERA_V6_4) },
    },
    'early-release-fixed': {
      summary: "Jann Horn's fix: mm_drop_all_locks() leaves VMA write locks to mmap_write_unlock",
      expect: 'holds',
      invariants,
      threads: { fault: pageFault, register: splitThenRegister(ERA_V6_5) },
    },
  },
});

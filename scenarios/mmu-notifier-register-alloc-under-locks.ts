/**
 * mmu_notifier_register() allocating mm->mmu_notifier_mm under mm_take_all_locks(), v3.7-rc1.
 *
 * Commits:
 * - e0f3c3f78d "mm/mmu_notifier: init notifier if necessary" (v3.7-rc1) saved the allocate-then-
 *   free of an unused mmu_notifier_mm by allocating only when the mm had none — which is only
 *   known under mm_take_all_locks(), so the GFP_KERNEL allocation moved under mmap_sem, every
 *   i_mmap_mutex and every anon_vma mutex of the mm.
 * - 35cfa2b0b4 "mm/mmu_notifier: allocate mmu_notifier in advance" (v3.7-rc3) backed it out after
 *   lockdep reported, from KVM_CREATE_VM, "inconsistent {RECLAIM_FS-ON-W} -> {IN-RECLAIM_FS-W}
 *   usage": kswapd takes i_mmap_mutex in page_referenced(), and register held it across an
 *   allocation that may enter reclaim. Under memory pressure that is a real deadlock: direct
 *   reclaim in the registering task waits on the i_mmap_mutex it holds itself, or the task sleeps
 *   for kswapd while kswapd waits on that mutex.
 *
 * Thread A is mmu_notifier_register() (KVM VM creation), thread B is kswapd running one reclaim
 * pass over a page P of the file mapped by the mm's file VMA (page_referenced → i_mmap_mutex).
 * The two variants differ in where A allocates.
 *
 * Parameters: `freePages` (default 1) free pages when the threads start; with 0 the allocation
 * needs reclaim, and the deadlock itself becomes reachable. `directReclaim` (default 1): whether a
 * sleeping allocation reclaims in the caller or waits for kswapd.
 *
 * 35cfa2b0b4 has three parts:
 * - the kmalloc before mmap_sem and mm_take_all_locks: `buggy` is its removal;
 * - mm_has_notifiers() still asked under the locks, with the allocation made whether or not it will
 *   be needed: the mutant `has-notifiers-unlocked` (`mutants`, run by
 *   test/scenarios/mmu-notifier-register-alloc-under-locks.test.ts) keeps e0f3c3f78d's saving by
 *   asking before the locks; two registrations on one mm (a second VM) both find none, and the
 *   second install replaces the list the first linked its notifier on (`register-links-notifier`;
 *   the first allocation, reachable no more, is a `slab-balance` leak as well).
 *   It needs a second registrant and no kswapd, so it has threads of its own; `twoFixedRegistrations`
 *   is the same pair with the fix, and holds;
 * - kfree() of the unused allocation, with `mmu_notifier_mm = NULL` once it is installed (kfree of
 *   NULL does nothing). The allocation is a slab object with a lifetime (models/mm/slab.ts), and
 *   every variant's final state is held to `slab-balance` (kmemleak's rule: each object allocated
 *   is freed or kept, here by mm->mmu_notifier_mm). Both parts need a second registration, so the
 *   mutants run `twoFixedRegistrations`' two threads: `no-kfree` leaves the second registration's
 *   unused allocation allocated and unreachable (`slab-balance`); `no-null-after-install` makes the
 *   installing registration free the struct it just installed, and the other registration's
 *   spin_lock(&mm->mmu_notifier_mm->lock) touches freed memory (`use-after-free`), whichever
 *   registers first.
 *
 * Choices:
 * - The mm has one file VMA (mapping M) with an anon_vma: mm_take_all_locks takes one lock of each
 *   class. The anon_vma lock plays no part in the race; it is there because register takes it.
 * - The allocation is marked for lockdep whenever it *may* reclaim, as lockdep_trace_alloc did:
 *   the report needs no low-memory schedule, and neither does `reclaim-inversion` here.
 * - Nothing else runs on the mm: no invalidations (S7a covers registration vs invalidation).
 * - Each registration's kmalloc returns its own slab object (`mmu_notifier_mm (kvm)`, `(kvm2)`):
 *   two allocations live at once are two objects; a freed one is not handed out again here.
 * - The list and its lock stay objects of their own, as in the rest of the notifier model; the
 *   installed slab object stands for their memory: linking a notifier dereferences it.
 */
import { ghostObject, ghostStep, named, observing, type Ghost } from '../models/kit/ghost';
import { GFP_KERNEL, kfreeToZone, kmalloc, kswapdPass, newZone, type Zone } from '../models/mm/allocator';
import { ERA_3X, mmDropAllLocks, mmTakeAllLocks, mutexRmapLock, newAllLocksMm, type AllLocksMm } from '../models/mm/mm-take-all-locks';
import { newMmuNotifier, type MmuNotifier } from '../models/mm/mmu-notifier';
import {
  ENOMEM,
  mmHasNotifiers,
  mmuNotifierLink,
  mmuNotifierMmInstall,
  newLazyMmuNotifierMm,
  type LazyMmuNotifierMm,
  registerLinksNotifier,
} from '../models/mm/mmu-notifier-register';
import { newSlabObject, slabBalance, type SlabObject } from '../models/mm/slab';
import { mutexLock, mutexUnlock, newMutex, type Mutex } from '../models/mutex';
import { downWrite, newRwsem, upWrite } from '../models/rwsem';
import { defineScenario, perform, type SharedObject, type Steps, type Variant } from '../src/index';

interface World {
  readonly locks: AllLocksMm;
  /** mapping M's i_mmap_mutex: taken by mm_take_all_locks and by reclaim's rmap walk. */
  readonly iMmap: Mutex;
  /** The LRU page reclaim picks, a page of M. */
  readonly page: SharedObject;
  readonly zone: Zone;
  readonly notifierMm: LazyMmuNotifierMm;
  readonly mn: MmuNotifier;
  /** Ghost: what mmu_notifier_register() returned, null while it runs. */
  readonly register: Ghost<{ returned: number | null }>;
  /** A second VM's notifier on the same mm, registered only by the `has-notifiers-unlocked` mutant. */
  readonly mn2: MmuNotifier;
  readonly register2: Ghost<{ returned: number | null }>;
  /** What each registration's kmalloc returns (register's, register2's). */
  readonly alloc: SlabObject;
  readonly alloc2: SlabObject;
}

/** One registration: its notifier, its return-value ghost, the object its kmalloc returns. */
interface Registrant {
  readonly mn: MmuNotifier;
  readonly ghost: Ghost<{ returned: number | null }>;
  readonly alloc: SlabObject;
}

const FIRST = (w: World): Registrant => ({ mn: w.mn, ghost: w.register, alloc: w.alloc });
const SECOND = (w: World): Registrant => ({ mn: w.mn2, ghost: w.register2, alloc: w.alloc2 });

const ALLOC = 'kmalloc(sizeof(struct mmu_notifier_mm), GFP_KERNEL)';

// ---- A: do_mmu_notifier_register(), buggy (e0f3c3f78d) and fixed (35cfa2b0b4) side by side ----

function* registerAllocUnderLocks(w: World): Steps {
  const { locks, zone, notifierMm } = w;
  let ret = 0;
  yield* downWrite(locks.mmapLock);
  ret = yield* mmTakeAllLocks(locks, ERA_3X);
  if (ret === 0) {
    if (!(yield* mmHasNotifiers(notifierMm))) {
      // e0f3c3f78d: allocate only when needed, known only now, under every lock of the mm
      if (yield* kmalloc(zone, GFP_KERNEL, ALLOC, w.alloc)) yield* mmuNotifierMmInstall(notifierMm, w.alloc);
      else ret = ENOMEM;
    }
    if (ret === 0) yield* mmuNotifierLink(w.mn);
    yield* mmDropAllLocks(locks, ERA_3X);
  }
  yield* upWrite(locks.mmapLock);
  yield* registerReturns(w, ret);
}

/** Ghost: what mmu_notifier_register() returned, recorded as a step of its own. */
function* registerReturns(w: World, ret: number, ghost: Ghost<{ returned: number | null }> = w.register): Steps {
  yield* ghostStep(ghost, 'mmu_notifier_register() returns', () => void (ghost.returned = ret));
}

/**
 * A mutant of 35cfa2b0b4 that keeps e0f3c3f78d's saving without allocating under the locks: it
 * asks mm_has_notifiers() before taking any lock, allocates only if the mm had none, and installs
 * on that stale answer.
 */
function registerTestedUnlocked(pick: (w: World) => Registrant) {
  return function* (w: World): Steps {
    const { locks, zone, notifierMm } = w;
    const { mn, ghost, alloc } = pick(w);
    const had = yield* mmHasNotifiers(notifierMm);
    let ret = 0;
    if (!had && !(yield* kmalloc(zone, GFP_KERNEL, ALLOC, alloc))) ret = ENOMEM;
    if (ret === 0) {
      yield* downWrite(locks.mmapLock);
      ret = yield* mmTakeAllLocks(locks, ERA_3X);
      if (ret === 0) {
        if (!had) yield* mmuNotifierMmInstall(notifierMm, alloc);
        yield* mmuNotifierLink(mn);
        yield* mmDropAllLocks(locks, ERA_3X);
      }
      yield* upWrite(locks.mmapLock);
    }
    yield* registerReturns(w, ret, ghost);
  };
}

/** The two parts of 35cfa2b0b4 that free the allocation it did not use; each mutant drops one. */
interface FreeParts {
  /** kfree(mmu_notifier_mm) after the locks are dropped. */
  readonly kfree: boolean;
  /** mmu_notifier_mm = NULL once mm->mmu_notifier_mm points at it. */
  readonly nullAfterInstall: boolean;
}

const FIX: FreeParts = { kfree: true, nullAfterInstall: true };

/**
 * 35cfa2b0b4's do_mmu_notifier_register(), with mmap_sem taken (models/mm/mmu-notifier-register.ts's
 * mmuNotifierRegister, written out with the allocation's lifetime): kmalloc with no lock held, then
 * mmap_sem and mm_take_all_locks, install if the mm has none, link, drop the locks, kfree.
 */
function registerAllocInAdvance(pick: (w: World) => Registrant, parts: FreeParts = FIX) {
  return function* (w: World): Steps {
    const { locks, zone, notifierMm } = w;
    const { mn, ghost, alloc } = pick(w);
    let ret = ENOMEM;
    if (yield* kmalloc(zone, GFP_KERNEL, ALLOC, alloc)) {
      // the local `mmu_notifier_mm`: what the final kfree frees, NULL once installed
      let unused: SlabObject | null = alloc;
      yield* downWrite(locks.mmapLock);
      ret = yield* mmTakeAllLocks(locks, ERA_3X);
      if (ret === 0) {
        if (!(yield* mmHasNotifiers(notifierMm))) {
          yield* mmuNotifierMmInstall(notifierMm, alloc);
          if (parts.nullAfterInstall) unused = null;
        }
        yield* mmuNotifierLink(mn);
        yield* mmDropAllLocks(locks, ERA_3X);
      }
      yield* upWrite(locks.mmapLock);
      if (parts.kfree && unused !== null) yield* kfreeToZone(zone, 'kfree(mmu_notifier_mm)', unused);
    }
    yield* registerReturns(w, ret, ghost);
  };
}

// ---- B: kswapd, the same in both variants ------------------------------------------------------

/** page_referenced(P) for a file page: the rmap walk of M under its i_mmap_mutex. */
function* pageReferencedFile(w: World): Steps {
  yield* mutexLock(w.iMmap);
  yield* perform<void>({ object: w.page, access: 'read', label: `page_referenced_one(${w.page.name}, vma)`, run: () => {} });
  yield* mutexUnlock(w.iMmap);
}

function* kswapd(w: World): Steps {
  yield* kswapdPass(w.zone);
}

// ---- invariants -------------------------------------------------------------------------------

// kmemleak's view when every thread is done: each allocation freed, or the one the mm points at
const slabBalanced = slabBalance(
  (w: World) => [w.alloc, w.alloc2],
  (w: World) => [{ by: w.notifierMm.name, object: w.notifierMm.installedObject }],
);

const registered = observing(
  registerLinksNotifier(
    (w: World) => w.notifierMm,
    (w: World) => [
      { mn: w.mn, ghost: w.register },
      { mn: w.mn2, ghost: w.register2 },
    ],
  ),
  // why the hlist nodes: with two notifiers on the list, the walk reads the first one's next
  named(
    'kvm->mmu_notifier',
    'kvm2->mmu_notifier',
    'kvm->mmu_notifier->hlist',
    'kvm2->mmu_notifier->hlist',
    'mm->mmu_notifier_mm',
    'mm->mmu_notifier_mm->list',
    'ghost: register returned',
    'ghost: register2 returned',
  ),
);

/**
 * The fixed variant with one part of 35cfa2b0b4 changed. Not in `variants`: a mutant is a test of
 * the fix (test/scenarios), not a kernel version.
 */
export const mutants: Readonly<Record<'has-notifiers-unlocked' | 'no-kfree' | 'no-null-after-install', Variant<World>>> = {
  'has-notifiers-unlocked': {
    summary: 'two registrations that test mm_has_notifiers() before the locks and allocate only if none (mutant)',
    expect: { violated: 'register-links-notifier' },
    invariants: [registered],
    finalState: [slabBalanced],
    threads: { register: registerTestedUnlocked(FIRST), register2: registerTestedUnlocked(SECOND) },
  },
  'no-kfree': {
    summary: 'two 35cfa2b0b4 registrations without the kfree of the unused allocation: it leaks (mutant)',
    expect: { violated: 'slab-balance' },
    invariants: [registered],
    finalState: [slabBalanced],
    threads: { register: registerAllocInAdvance(FIRST, { ...FIX, kfree: false }), register2: registerAllocInAdvance(SECOND, { ...FIX, kfree: false }) },
  },
  'no-null-after-install': {
    summary: 'two 35cfa2b0b4 registrations that keep the pointer after installing it: the kfree frees mm->mmu_notifier_mm (mutant)',
    expect: { violated: 'use-after-free' },
    invariants: [registered],
    finalState: [slabBalanced],
    threads: {
      register: registerAllocInAdvance(FIRST, { ...FIX, nullAfterInstall: false }),
      register2: registerAllocInAdvance(SECOND, { ...FIX, nullAfterInstall: false }),
    },
  },
};

/** The control for the mutants: the same two registrations, each 35cfa2b0b4's. */
export const twoFixedRegistrations: Variant<World> = {
  summary: 'two 35cfa2b0b4 registrations on one mm: one installs, the other frees its allocation',
  expect: 'holds',
  invariants: [registered],
  finalState: [slabBalanced],
  threads: { register: registerAllocInAdvance(FIRST), register2: registerAllocInAdvance(SECOND) },
};

export default defineScenario({
  id: 'mmu-notifier-register-alloc-under-locks',
  title: 'mmu_notifier_register allocates under mm_take_all_locks: reclaim needs the i_mmap_mutex it holds',
  commits: [
    'e0f3c3f78d mm/mmu_notifier: init notifier if necessary',
    '35cfa2b0b4 mm/mmu_notifier: allocate mmu_notifier in advance',
  ],
  params: { freePages: 1, directReclaim: 1 },
  setup: ({ freePages, directReclaim }): World => {
    const iMmap = newMutex('M->i_mmap_mutex', { lockClass: '&mapping->i_mmap_mutex' });
    const anonVmaMutex = newMutex('anon_vma->mutex', { lockClass: '&anon_vma->mutex' });
    const locks = newAllLocksMm('mm', {
      allLocksMutex: newMutex('mm_all_locks_mutex'),
      mmapLock: newRwsem('mm->mmap_sem', { lockClass: '&mm->mmap_sem' }),
      vmas: [{ name: 'vma', mapping: mutexRmapLock(iMmap), anonVmas: [mutexRmapLock(anonVmaMutex)], vmaLock: null }],
    });
    const notifierMm = newLazyMmuNotifierMm('mm');
    const page: SharedObject = { name: 'P' };
    const w = {
      locks,
      iMmap,
      page,
      notifierMm,
      mn: newMmuNotifier(notifierMm, 'kvm->mmu_notifier'),
      register: ghostObject<{ returned: number | null }>('ghost: register returned', { returned: null }),
      mn2: newMmuNotifier(notifierMm, 'kvm2->mmu_notifier'),
      register2: ghostObject<{ returned: number | null }>('ghost: register2 returned', { returned: null }),
      alloc: newSlabObject('mmu_notifier_mm (kvm)'),
      alloc2: newSlabObject('mmu_notifier_mm (kvm2)'),
    } as Omit<World, 'zone'> & { zone: Zone };
    w.zone = newZone('zone', { freePages, directReclaim: directReclaim > 0, reclaimWalk: () => pageReferencedFile(w) });
    return w;
  },
  variants: {
    buggy: {
      summary: 'v3.7-rc1 (e0f3c3f78d): GFP_KERNEL allocation under mmap_sem and every rmap lock',
      expect: { violated: 'reclaim-inversion' },
      invariants: [registered],
      finalState: [slabBalanced],
      threads: { register: registerAllocUnderLocks, kswapd },
    },
    fixed: {
      summary: 'v3.7-rc3 (35cfa2b0b4): allocate before taking any lock, free it if unused',
      expect: 'holds',
      invariants: [registered],
      finalState: [slabBalanced],
      threads: { register: registerAllocInAdvance(FIRST), kswapd },
    },
  },
});

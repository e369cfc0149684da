/**
 * The registration side of mm/mmu_notifier.c: do_mmu_notifier_register() and its pieces, kept
 * apart from models/mmu-notifier.ts (the list, walks and callbacks) because registration brings in
 * the allocator and mm_take_all_locks.
 *
 * Kernel facts (3.x, 35cfa2b0b4 shape; v6.4's __mmu_notifier_register has the same order):
 * - mm->mmu_notifier_mm is allocated by the first registration on an mm; later registrations
 *   free the unused allocation. The allocation is GFP_KERNEL and happens *before* mmap_sem and
 *   mm_take_all_locks (35cfa2b0b4 "allocate mmu_notifier in advance" reverted e0f3c3f78d, which
 *   had moved it under all the locks: reclaim takes i_mmap and anon_vma locks).
 * - With mmap_sem held for write and every rmap lock taken, no invalidate_range_start/end window of
 *   the mm is open (cddb8a5c14, dependency 1), so the new notifier sees each end after its start.
 * - mm_take_all_locks may fail with -EINTR; registration then returns it.
 *
 * Choices:
 * - `mm_has_notifiers(mm)` and installing mm->mmu_notifier_mm are steps on the notifier mm (its
 *   pointer in mm_struct is what they read and write). A mm made with `newMmuNotifierMm` counts as
 *   installed; `newLazyMmuNotifierMm` starts without one.
 * - atomic_inc(&mm->mm_count) (the registration's mm pin) is left out: nothing here drops it.
 * - What mm->mmu_notifier_mm points at is a slab object (models/mm/slab.ts) when the installing
 *   caller passes one: linking a notifier dereferences it, so a freed installed struct is a use
 *   after free. mmuNotifierRegister itself allocates a count in the zone only (S5 writes 35cfa2b0b4's
 *   registration out with the object, to remove its parts one by one).
 */
import { assertLive, type Invariant, perform, type Steps } from '../../src/index';
import { derefThen, touch } from '../kit/lifetime';
import { GFP_KERNEL, kfreeToZone, kmalloc, type Zone } from './allocator';
import type { SlabObject } from './slab';
import { hlistAddHeadRcu, isReachable } from '../hlist-rcu';
import { mmDropAllLocks, mmTakeAllLocks, type AllLocksEra, type AllLocksMm, type SignalPending } from './mm-take-all-locks';
import { newMmuNotifierMm, type MmuNotifier, type MmuNotifierMm, type ReadSide } from './mmu-notifier';
import { downWrite, upWrite } from '../rwsem';
import { spinLock, spinUnlock } from '../spinlock';
import { mmapWriteLock, mmapWriteUnlock } from './vma-lock';

/** A notifier mm whose mm_struct pointer may still be NULL (no registration yet). */
export interface LazyMmuNotifierMm<P = unknown> extends MmuNotifierMm<P> {
  /** mm->mmu_notifier_mm != NULL. */
  installed: boolean;
  /**
   * The slab object mm->mmu_notifier_mm points at, when the installing registration allocated one
   * with a lifetime (models/mm/slab.ts); null otherwise. Linking a notifier dereferences it.
   */
  installedObject: SlabObject | null;
}

/** An mm on which nothing has registered yet: mm_has_notifiers() is false. */
export function newLazyMmuNotifierMm<P = unknown>(mmName = 'mm', readSide: ReadSide | null = null): LazyMmuNotifierMm<P> {
  return { ...newMmuNotifierMm<P>(mmName, readSide), installed: false, installedObject: null };
}

function installedObjectOf<P>(mm: MmuNotifierMm<P>): SlabObject | null {
  return 'installedObject' in mm ? (mm as LazyMmuNotifierMm<P>).installedObject : null;
}

function isInstalled<P>(mm: MmuNotifierMm<P>): boolean {
  return !('installed' in mm) || (mm as LazyMmuNotifierMm<P>).installed;
}

/** mm_has_notifiers(mm): reads mm->mmu_notifier_mm. */
export function* mmHasNotifiers<P>(mm: MmuNotifierMm<P>): Steps<boolean> {
  return yield* perform({ object: mm, access: 'read', label: `mm_has_notifiers(${mm.name})`, run: () => isInstalled(mm) });
}

/**
 * INIT_HLIST_HEAD, spin_lock_init, mm->mmu_notifier_mm = mmu_notifier_mm: publish the allocation
 * (`allocation`, the slab object kmalloc returned, when the caller follows its lifetime).
 * Over one already installed (a caller that tested mm_has_notifiers without the locks), the new,
 * empty list replaces the old: every notifier linked on the old one is no longer reachable from
 * the mm. The model keeps one list object and empties it; the old nodes' links are left as they
 * were, pointing into the struct nobody reaches any more.
 */
export function* mmuNotifierMmInstall<P>(mm: LazyMmuNotifierMm<P>, allocation: SlabObject | null = null): Steps<void> {
  const label = `${mm.name} = mmu_notifier_mm`;
  yield* perform<void>({
    object: mm,
    access: 'write',
    label,
    alsoTouches: allocation === null ? [touch(mm.list, 'write')] : [touch(mm.list, 'write'), touch(allocation, 'write')],
    run: (self) => {
      // why: INIT_HLIST_HEAD and spin_lock_init write into the allocation
      if (allocation !== null) assertLive(allocation, self, label);
      if (mm.installed) mm.list.first = null;
      mm.installed = true;
      mm.installedObject = allocation;
    },
  });
}

/** One mmu_notifier_register() call an invariant follows: the notifier and what the call returned. */
export interface Registration<P = unknown> {
  readonly mn: MmuNotifier<P>;
  /** Ghost: the return value, null while the call runs. */
  readonly ghost: { readonly returned: number | null };
}

/**
 * mmu_notifier_register()'s promise: when it returns 0, mm->mmu_notifier_mm is installed and the
 * notifier is on its list (so the client will hear of every invalidation from then on). The
 * scenario declares what it observes: the notifiers, the notifier mm and its list, the ghosts.
 */
export function registerLinksNotifier<W, P>(mmOf: (w: W) => LazyMmuNotifierMm<P>, registrationsOf: (w: W) => readonly Registration<P>[]): Invariant<W> {
  return {
    id: 'register-links-notifier',
    description: 'when mmu_notifier_register() returns 0, mm->mmu_notifier_mm is installed and the notifier is on its list',
    check: (w) => {
      const mm = mmOf(w);
      for (const r of registrationsOf(w)) {
        if (r.ghost.returned !== 0) continue;
        if (!mm.installed) return `mmu_notifier_register(${r.mn.name}) returned 0 without installing ${mm.name}`;
        if (!isReachable(mm.list, r.mn.hlist)) return `mmu_notifier_register(${r.mn.name}) returned 0, but ${r.mn.name} is not on ${mm.list.name}`;
      }
      return true;
    },
  };
}

/**
 * spin_lock(&mm->mmu_notifier_mm->lock); hlist_add_head_rcu(&mn->hlist, list); spin_unlock. The
 * spin_lock dereferences mm->mmu_notifier_mm: a use after free when the installed object was freed.
 */
export function* mmuNotifierLink<P>(mn: MmuNotifier<P>): Steps<void> {
  // why a read in thread code: the pointer is written only under mmap_lock, which every caller holds
  const struct = installedObjectOf(mn.mm);
  if (struct === null) yield* spinLock(mn.mm.lock);
  else yield* perform(derefThen(struct, mn.mm.lock.ops.lock));
  yield* hlistAddHeadRcu(mn.hlist, mn.mm.list);
  yield* spinUnlock(mn.mm.lock);
}

/** What registration runs against: the mm's locks, their era, and the memory it allocates from. */
export interface RegisterContext {
  readonly locks: AllLocksMm;
  readonly era: AllLocksEra;
  readonly zone: Zone;
  /** signal_pending(current) during mm_take_all_locks; default never. */
  readonly signal?: SignalPending;
  /** __mmu_notifier_register(): the caller already holds the mmap lock for write. */
  readonly callerHoldsMmapLock?: boolean;
}

function* mmapLockForRegister(locks: AllLocksMm): Steps<void> {
  if (locks.vmaLocks !== null) yield* mmapWriteLock(locks.vmaLocks);
  else yield* downWrite(locks.mmapLock);
}

function* mmapUnlockForRegister(locks: AllLocksMm): Steps<void> {
  // why mmap_write_unlock with per-VMA locks: it is what ends the VMA write locks (mm_lock_seq++)
  if (locks.vmaLocks !== null) yield* mmapWriteUnlock(locks.vmaLocks);
  else yield* upWrite(locks.mmapLock);
}

/**
 * mmu_notifier_register(mn, mm) as 35cfa2b0b4 left it: allocate, take mmap_sem for write (unless
 * the caller holds it: __mmu_notifier_register) and all locks, install mm->mmu_notifier_mm if needed, link mn, drop the
 * locks, free the unused allocation. Returns 0, -ENOMEM or -EINTR.
 */
export function* mmuNotifierRegister<P>(mn: MmuNotifier<P>, ctx: RegisterContext): Steps<number> {
  const mm = mn.mm;
  const { locks, era, zone } = ctx;
  if (!(yield* kmalloc(zone, GFP_KERNEL, 'kmalloc(sizeof(struct mmu_notifier_mm), GFP_KERNEL)'))) return ENOMEM;
  let unused = true;
  const take = ctx.callerHoldsMmapLock !== true;
  if (take) yield* mmapLockForRegister(locks);
  const ret = yield* mmTakeAllLocks(locks, era, ctx.signal);
  if (ret === 0) {
    if (!(yield* mmHasNotifiers(mm))) {
      yield* mmuNotifierMmInstall(mm as LazyMmuNotifierMm<P>);
      unused = false;
    }
    yield* mmuNotifierLink(mn);
    yield* mmDropAllLocks(locks, era);
  }
  if (take) yield* mmapUnlockForRegister(locks);
  if (unused) yield* kfreeToZone(zone, 'kfree(mmu_notifier_mm)');
  return ret;
}

export const ENOMEM = -12;

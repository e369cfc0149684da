/**
 * The page allocator as a sleeping kernel allocation sees it: a zone with a count of free pages,
 * GFP flags that say whether the caller may sleep and may enter reclaim, and a reclaim pass that
 * walks the reverse map of an LRU page (taking the locks the rmap walk takes) and frees it.
 *
 * - kmalloc(gfp) with free pages left takes one. Below the watermark (no free page) a GFP_KERNEL
 *   allocation either reclaims in the caller (direct reclaim: the reclaim pass runs in the
 *   allocating thread, PF_MEMALLOC set) or, when the zone does not do direct reclaim, sleeps until
 *   kswapd frees a page. GFP_ATOMIC / GFP_NOWAIT fail instead (kmalloc returns NULL).
 * - Every allocation that may sleep runs might_sleep(); every allocation that may enter FS reclaim
 *   is marked for lockdep (fs_reclaim_acquire/release in the kernel), even when free pages are
 *   plenty: lockdep flags "lock held across a reclaim-capable allocation" from the usage alone, as
 *   3.7-rc1 did for e0f3c3f78d.
 * - kswapd is an actor that runs reclaim passes; a pass is bracketed by enterReclaim/leaveReclaim,
 *   so the locks its rmap walk takes are reclaim locks in the lockdep graph.
 *
 * Choices:
 * - Memory is one counter (the zone's free pages above the min watermark); a reclaim pass frees
 *   one page. The LRU and which page is picked are the scenario's `reclaimWalk`: whatever locks
 *   page_referenced()/try_to_unmap() take on the page it would pick.
 * - The zone is the object of every allocator step (`write`): an allocation and a free do not
 *   commute, two allocations do not either.
 * - What kmalloc returns is, when the caller passes one, a slab object with a lifetime
 *   (models/mm/slab.ts): the allocating step makes it live and kfree frees it, so a use after the
 *   kfree and a leak at the end can be seen. Without one, memory is only the zone's count.
 */
import { enterReclaim, inReclaim, leaveReclaim, markReclaimCapableAllocation, type Op, perform, type SharedObject, type Steps, type ThreadContext } from '../../src/index';
import { fuseBefore } from '../kit/fused';
import { touch } from '../kit/lifetime';
import { mightSleep, SLEEPS } from '../kit/might-sleep';
import { allocateSlabObject, freeSlabObject, type SlabObject } from './slab';

/** The allocation context flags that matter here (gfp_t). */
export interface GfpFlags {
  /** Printed in labels: `GFP_KERNEL`. */
  readonly name: string;
  /** __GFP_DIRECT_RECLAIM (__GFP_WAIT in 3.x): the caller may sleep. */
  readonly maySleep: boolean;
  /** __GFP_FS with direct reclaim: the allocation may recurse into FS reclaim. */
  readonly mayReclaim: boolean;
}

export const GFP_KERNEL: GfpFlags = { name: 'GFP_KERNEL', maySleep: true, mayReclaim: true };
/** May sleep, but reclaim must not recurse into filesystems (no fs_reclaim usage). */
export const GFP_NOFS: GfpFlags = { name: 'GFP_NOFS', maySleep: true, mayReclaim: false };
export const GFP_ATOMIC: GfpFlags = { name: 'GFP_ATOMIC', maySleep: false, mayReclaim: false };

export interface ZoneOptions {
  /** Free pages above the watermark when the threads start. */
  readonly freePages: number;
  /**
   * The rmap walk of one reclaim pass over the page it picks (page_referenced: the i_mmap or
   * anon_vma lock of that page, and back). Runs in the reclaiming thread. Absent: the page reclaim
   * picks is mapped nowhere, and the pass takes no rmap lock.
   */
  readonly reclaimWalk?: () => Steps<void>;
  /** Whether a sleeping allocation below the watermark reclaims itself (default) or waits for kswapd. */
  readonly directReclaim?: boolean;
}

/** A memory zone (its free pages) and how reclaim gets pages back. */
export interface Zone extends SharedObject {
  /** Free pages above the watermark. invariant: >= 0 */
  freePages: number;
  readonly reclaimWalk: (() => Steps<void>) | null;
  readonly directReclaim: boolean;
  /** Ghost: allocations that returned NULL, for invariants. */
  failures: number;
}

export function newZone(name: string, options: ZoneOptions): Zone {
  return { name, freePages: options.freePages, reclaimWalk: options.reclaimWalk ?? null, directReclaim: options.directReclaim ?? true, failures: 0, stateKey: freePagesKey };
}

/** A zone's stateKey: its free pages, which is all a waiter for kswapd asks of it. */
function freePagesKey(this: Zone): number {
  return this.freePages;
}

/** What one attempt at the free list decided. */
type Attempt = 'allocated' | 'failed' | 'reclaim' | 'wait';

function attemptOp(zone: Zone, gfp: GfpFlags, label: string, into: SlabObject | null): Op<Attempt> {
  const sleeps = gfp.maySleep ? SLEEPS : [];
  const touches = into === null ? sleeps : [...sleeps, touch(into, 'write')];
  return {
    object: zone,
    access: 'write',
    label,
    alsoTouches: touches.length > 0 ? touches : undefined,
    run: (self) => {
      if (gfp.maySleep) mightSleep(self, label);
      if (gfp.mayReclaim) markReclaimCapableAllocation(self, label);
      if (zone.freePages > 0) {
        zone.freePages--;
        if (into !== null) allocateSlabObject(into, self, label);
        return 'allocated';
      }
      // why inReclaim: PF_MEMALLOC lets reclaim dip into the reserves and never recurse
      if (!gfp.maySleep || inReclaim(self)) {
        zone.failures++;
        return 'failed';
      }
      return zone.directReclaim && gfp.mayReclaim ? 'reclaim' : 'wait';
    },
  };
}

function waitOp(zone: Zone, label: string, into: SlabObject | null): Op<void> {
  return {
    object: zone,
    access: 'write',
    label: `${label}: wait for kswapd`,
    ...(into === null ? {} : { alsoTouches: [touch(into, 'write')] }),
    enabled: () => zone.freePages > 0,
    enabledAt: (free) => free > 0,
    waitsFor: () => `kswapd to free a page of ${zone.name}`,
    run: (self) => {
      zone.freePages--;
      if (into !== null) allocateSlabObject(into, self, label);
    },
  };
}

/**
 * kmalloc(size, gfp) / alloc_pages(gfp): true when memory was handed out, false for NULL. `label`
 * names the call (`kmalloc(sizeof(struct mmu_notifier_mm), GFP_KERNEL)`); `into`, when given, is
 * the slab object the call returns, live from the step that allocates it.
 */
export function* kmalloc(zone: Zone, gfp: GfpFlags, label: string, into: SlabObject | null = null): Steps<boolean> {
  for (;;) {
    const r = yield* perform(attemptOp(zone, gfp, label, into));
    if (r === 'allocated') return true;
    if (r === 'failed') return false;
    if (r === 'wait') {
      yield* perform(waitOp(zone, label, into));
      return true;
    }
    yield* reclaimPass(zone, 'direct reclaim');
  }
}

/**
 * kfree of memory from this zone: the page goes back to the free list; `obj`, when given, is the
 * slab object freed (a double or invalid free is use-after-free).
 */
export function* kfreeToZone(zone: Zone, label: string, obj: SlabObject | null = null): Steps<void> {
  yield* perform<void>({
    object: zone,
    access: 'write',
    label,
    ...(obj === null ? {} : { alsoTouches: [touch(obj, 'write')] }),
    run: (self) => {
      if (obj !== null) freeSlabObject(obj, self, label);
      zone.freePages++;
    },
  });
}

/**
 * One reclaim pass in the running thread (kswapd's balance_pgdat, or direct reclaim): set
 * PF_MEMALLOC, walk the rmap of the page picked, free it. Entering reclaim costs no step of its own:
 * it is bookkeeping of the walk's first step.
 */
export function* reclaimPass(zone: Zone, who: string): Steps<void> {
  const enter: Op<void> = {
    object: zone,
    access: 'read',
    label: `${who}: current->flags |= PF_MEMALLOC`,
    run: (self: ThreadContext) => enterReclaim(self, `${who} (shrink_page_list)`),
  };
  if (zone.reclaimWalk !== null) yield* fuseBefore(() => perform(enter), zone.reclaimWalk);
  yield* perform<void>({
    object: zone,
    access: 'write',
    label: `${who}: free the reclaimed page; current->flags &= ~PF_MEMALLOC`,
    run: (self) => {
      if (zone.reclaimWalk === null) enterReclaim(self, `${who} (shrink_page_list)`);
      zone.freePages++;
      leaveReclaim(self);
    },
  });
}

/** kswapd: one balance_pgdat pass over the zone. */
export function* kswapdPass(zone: Zone): Steps<void> {
  yield* reclaimPass(zone, 'kswapd');
}

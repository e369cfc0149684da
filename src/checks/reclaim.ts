/**
 * Reclaim-context inversion: a lock that memory reclaim takes must not be held across an
 * allocation that may enter reclaim, or the allocation recurses into reclaim and waits on the lock
 * its own caller holds (or, through other locks, a cycle of such waits). As in the kernel, reclaim
 * is a pseudo-lock in the lockdep graph (`fs_reclaim`), so cycles through other locks are found
 * too; lockdep reports them under `reclaim-inversion`.
 *
 * Hooks for models: the allocator calls `markReclaimCapableAllocation` for each allocation whose
 * flags allow direct reclaim (GFP_KERNEL, not GFP_NOFS/GFP_NOIO/GFP_ATOMIC), and brackets a reclaim
 * pass (direct reclaim in the allocating thread, or a kswapd actor) with `enterReclaim` /
 * `leaveReclaim`.
 */
import { KernelFault } from '../runtime/errors';
import type { SharedObject, ThreadContext } from '../runtime/op';
import { lockdepAcquire, lockdepRelease, RECLAIM_CLASS } from './lockdep';
import { ghostBooks } from './ghost-books';

/** The lock-like object reclaim holds in the lockdep books. */
const RECLAIM: SharedObject = { name: RECLAIM_CLASS };

interface ReclaimBooks {
  /** Per thread: how deeply it is inside reclaim (PF_MEMALLOC). */
  readonly depth: number[];
}

function books(self: ThreadContext): ReclaimBooks {
  return ghostBooks(self, 'reclaim', () => ({ depth: [] }));
}

/** Whether the running thread is inside reclaim; allocations there never recurse into it. */
export function inReclaim(self: ThreadContext): boolean {
  return (books(self).depth[self.id] ?? 0) > 0;
}

/**
 * An allocation that may enter reclaim, at the step labelled `label`: every lock held now gets an
 * order edge into reclaim. Inside reclaim it is a no-op, as PF_MEMALLOC makes it in the kernel.
 */
export function markReclaimCapableAllocation(self: ThreadContext, label: string): void {
  if (inReclaim(self)) return;
  lockdepAcquire(self, RECLAIM, RECLAIM_CLASS, label);
  lockdepRelease(self, RECLAIM);
}

/** The running thread starts a reclaim pass: locks it takes until `leaveReclaim` are reclaim locks. */
export function enterReclaim(self: ThreadContext, label: string): void {
  const b = books(self);
  b.depth[self.id] = (b.depth[self.id] ?? 0) + 1;
  if (b.depth[self.id] === 1) lockdepAcquire(self, RECLAIM, RECLAIM_CLASS, label);
}

/** The running thread's reclaim pass ends. */
export function leaveReclaim(self: ThreadContext): void {
  const b = books(self);
  const depth = b.depth[self.id] ?? 0;
  if (depth === 0) throw new KernelFault('bug-on', `${self.letter} leaves reclaim it never entered`);
  b.depth[self.id] = depth - 1;
  if (depth === 1) lockdepRelease(self, RECLAIM);
}

/**
 * Happens-before as vector clocks (Lamport 1978; Mattern 1989), the books the data-race detector
 * reads. Models call these hooks when they synchronise: a lock release publishes the releaser's
 * clock on the lock, an acquire joins it; a grace period joins the clocks of the readers it waited
 * for; atomics publish and join on every access (the catalogue's memory model is sequentially
 * consistent, so an atomic orders like a tiny lock).
 *
 * The books live in ghost state and only detectors read them, so they never change a schedule.
 */
import type { ThreadContext } from '../runtime/op';
import { ghostBooks } from './ghost-books';

/** Component i is how many synchronisation epochs of thread i this clock has seen (missing = 0). */
export type VectorClock = number[];

interface HappensBeforeBooks {
  // invariant: threads[t][t] >= 1 once thread t has a clock, so a fresh epoch is never "seen" by 0
  readonly threads: VectorClock[];
  /** Clock published on each synchronisation object (a lock, a domain, a token key). */
  readonly published: Map<unknown, VectorClock>;
}

const KEY = 'happens-before';

function books(self: ThreadContext): HappensBeforeBooks {
  return ghostBooks(self, KEY, () => ({ threads: [], published: new Map() }));
}

/** The running thread's clock (live: copy it with `snapshotClock` to keep it). */
export function clockOf(self: ThreadContext): VectorClock {
  const b = books(self);
  let c = b.threads[self.id];
  if (c === undefined) {
    c = [];
    c[self.id] = 1;
    b.threads[self.id] = c;
  }
  return c;
}

/** The running thread's current epoch: its own clock component. */
export function epochOf(self: ThreadContext): number {
  return clockOf(self)[self.id]!;
}

/** Whether epoch `epoch` of thread `thread` happened before everything `self` does from now on. */
export function happenedBefore(self: ThreadContext, thread: number, epoch: number): boolean {
  if (thread === self.id) return true;
  return epoch <= (clockOf(self)[thread] ?? 0);
}

/** into := into ⊔ from. */
export function joinClock(into: VectorClock, from: readonly number[]): void {
  for (let i = 0; i < from.length; i++) {
    const v = from[i];
    if (v !== undefined && v > (into[i] ?? 0)) into[i] = v;
  }
}

/** A copy of the running thread's clock, to be joined later by someone else. */
export function snapshotClock(self: ThreadContext): VectorClock {
  return clockOf(self).slice();
}

/**
 * Release: publish what the thread has done so far on `sync` (joined, so several releasers — rwsem
 * readers, RCU readers — all reach the next acquirer), then start a new epoch.
 */
export function hbRelease(self: ThreadContext, sync: unknown): void {
  const b = books(self);
  const c = clockOf(self);
  const p = b.published.get(sync);
  if (p === undefined) b.published.set(sync, c.slice());
  else joinClock(p, c);
  c[self.id] = c[self.id]! + 1;
}

/** Publish the thread's clock on `sync` without starting a new epoch (one release, two places). */
export function hbPublish(self: ThreadContext, sync: unknown): void {
  const b = books(self);
  const p = b.published.get(sync);
  if (p === undefined) b.published.set(sync, clockOf(self).slice());
  else joinClock(p, clockOf(self));
}

/** Acquire: everything published on `sync` so far happens before the thread's next steps. */
export function hbAcquire(self: ThreadContext, sync: unknown): void {
  const p = books(self).published.get(sync);
  if (p !== undefined) joinClock(clockOf(self), p);
}

/** Acquire a clock kept aside (a grace period's snapshot of readers that had already left). */
export function hbAcquireClock(self: ThreadContext, clock: readonly number[]): void {
  joinClock(clockOf(self), clock);
}

/** A copy of what has been published on `sync` so far (empty if nothing). */
export function publishedClock(self: ThreadContext, sync: unknown): VectorClock {
  return books(self).published.get(sync)?.slice() ?? [];
}

/** Acquire and release at once: a fully ordered atomic read-modify-write. */
export function hbAtomic(self: ThreadContext, sync: unknown): void {
  hbAcquire(self, sync);
  hbRelease(self, sync);
}

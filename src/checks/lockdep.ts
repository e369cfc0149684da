/**
 * Lock-order validation in the style of the kernel's lockdep: a graph over lock *classes* (a name
 * given when a lock is made, shared by all locks made with that name), with an edge A → B whenever
 * a thread acquires B by a blocking call while holding A. A cycle is a potential deadlock even when
 * this schedule ran through it, and is reported (non-fatally, as lockdep prints a splat and goes
 * on) with the acquisition sites of every edge.
 *
 * Kept from lockdep: trylocks add no edge into the lock they take (they cannot wait), but a lock
 * taken by trylock is held and orders later acquisitions; taking a second lock of a class already
 * held is "recursive locking" unless the caller names a nest lock it holds (mm_take_all_locks'
 * `down_write_nest_lock(…, &mm->mmap_lock)`). Readers of rwsems count as writers: they are
 * non-recursive readers, which lockdep treats the same way because a waiting writer blocks them.
 *
 * IRQ safety: every acquisition also marks its class as used in hardirq/softirq context or taken
 * with them enabled, and a class that is both, or an order path from one that is used in an
 * interrupt to one taken with it enabled, is `irq-lock-inversion` (lockdep-irq.ts).
 *
 * Reclaim: entering memory reclaim holds the pseudo-class `fs_reclaim`, and an allocation that may
 * reclaim acquires and releases it at once (as the kernel's fs_reclaim_acquire map does). A cycle
 * through `fs_reclaim` is reported as `reclaim-inversion` rather than `lock-order`.
 *
 * The graph lives in ghost state and covers one execution; the explorer runs the schedules in which
 * both orders happen, so a per-execution graph suffices.
 */
import type { SharedObject, ThreadContext } from '../runtime/op';
import { ghostBooks } from './ghost-books';
import { irqStateBits } from './irq-state';
import { checkIrqSafety, markIrqUsage, newIrqUsageBooks, type IrqUsageBooks } from './lockdep-irq';
import { describeSite, siteOf, type Site } from './site';

/** The lockdep class of memory reclaim (the kernel's `__fs_reclaim_map`). */
export const RECLAIM_CLASS = 'fs_reclaim';

/** One lock as lockdep holds it for a thread. */
export interface HeldLockClass {
  /** The lock instance. */
  readonly lock: SharedObject;
  /** Its class (with a subclass suffix when taken nested). */
  readonly lockClass: string;
  /** Where it was taken. */
  readonly site: Site;
}

/** An edge of the class graph with the first acquisition that created it. */
interface OrderEdge {
  readonly from: HeldLockClass;
  /** Where the `to` class was acquired while `from` was held. */
  readonly to: Site;
  readonly toClass: string;
}

interface LockdepBooks {
  readonly held: HeldLockClass[][];
  readonly edges: Map<string, Map<string, OrderEdge>>;
  /** Cycles already reported in this execution (sorted class lists), so each splats once. */
  readonly reported: Set<string>;
  /** IRQ-safety usage marks (lockdep-irq.ts). */
  readonly irq: IrqUsageBooks;
}

/** How a lock was acquired. */
export interface LockdepAcquireOptions {
  /** A trylock: it could not wait, so it adds no edge into the lock it takes. */
  readonly trylock?: boolean;
  /** A held lock that serialises all takers of this class, making same-class nesting legal. */
  readonly nestLock?: SharedObject;
}

function books(self: ThreadContext): LockdepBooks {
  return ghostBooks(self, 'lockdep', () => ({ held: [], edges: new Map(), reported: new Set(), irq: newIrqUsageBooks() }));
}

/** Locks lockdep sees the running thread holding, in acquisition order. */
export function lockdepHeld(self: ThreadContext): readonly HeldLockClass[] {
  return books(self).held[self.id] ?? [];
}

/** Records an acquisition: adds class edges from every held lock, reports any cycle closed. */
export function lockdepAcquire(
  self: ThreadContext,
  lock: SharedObject,
  lockClass: string,
  label: string,
  options: LockdepAcquireOptions = {},
): void {
  const b = books(self);
  const held = (b.held[self.id] ??= []);
  const site = siteOf(self, label);
  // why no edge at all for a nested lock of a class already held: the kernel's validate_chain adds
  // none there ("the new lock introduces no more lock dependency"), and lock-order is its report
  const nested = options.nestLock !== undefined && held.some((h) => h.lock === options.nestLock);
  if (!options.trylock && !(nested && held.some((h) => h.lockClass === lockClass))) {
    for (const h of held) {
      if (h.lockClass === lockClass) {
        report(self, b, [{ from: h, to: site, toClass: lockClass }]);
        continue;
      }
      addEdge(self, b, { from: h, to: site, toClass: lockClass });
    }
  }
  held.push({ lock, lockClass, site });
  markIrqUsage(self, b.irq, b.edges, lockClass, site, irqStateBits(self));
}

/** Forgets the most recent acquisition of `lock` by the running thread. */
export function lockdepRelease(self: ThreadContext, lock: SharedObject): void {
  const held = books(self).held[self.id];
  if (held === undefined) return;
  for (let i = held.length - 1; i >= 0; i--) {
    if (held[i]!.lock === lock) {
      held.splice(i, 1);
      return;
    }
  }
}

function addEdge(self: ThreadContext, b: LockdepBooks, edge: OrderEdge): void {
  const from = edge.from.lockClass;
  let out = b.edges.get(from);
  if (out === undefined) b.edges.set(from, (out = new Map()));
  if (out.has(edge.toClass)) return;
  const back = findPath(b, edge.toClass, from);
  if (back !== null) report(self, b, [edge, ...back]);
  out.set(edge.toClass, edge);
  // why here too: a new edge can connect an IRQ-safe class to an IRQ-unsafe one marked earlier.
  if (b.irq.anySafe[0] || b.irq.anySafe[1]) checkIrqSafety(self, b.irq, b.edges);
}

/** Breadth-first search for a path of edges from class `start` to class `goal`. */
function findPath(b: LockdepBooks, start: string, goal: string): OrderEdge[] | null {
  const via = new Map<string, OrderEdge | null>([[start, null]]);
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const cls = queue[i]!;
    if (cls === goal) {
      const path: OrderEdge[] = [];
      for (let e = via.get(cls)!; e !== null; e = via.get(e.from.lockClass)!) path.unshift(e);
      return path;
    }
    for (const [next, e] of b.edges.get(cls) ?? []) {
      if (via.has(next)) continue;
      via.set(next, e);
      queue.push(next);
    }
  }
  return null;
}

function report(self: ThreadContext, b: LockdepBooks, cycle: readonly OrderEdge[]): void {
  const classes = cycle.map((e) => e.from.lockClass);
  const key = [...classes].sort().join(' ');
  if (b.reported.has(key)) return;
  b.reported.add(key);
  const ring = [...classes, classes[0]!].join(' → ');
  if (classes.includes(RECLAIM_CLASS)) {
    self.warn('reclaim-inversion', `possible reclaim deadlock ${ring}: ${cycle.map(describeEdge).join('; ')}`, ring);
  } else if (cycle.length === 1) {
    const e = cycle[0]!;
    self.warn(
      'lock-order',
      `possible recursive locking of class ${e.toClass}: ${describeSite(e.to)} while already holding ` +
        `${e.from.lock.name} (taken by ${describeSite(e.from.site)})`,
      ring,
    );
  } else {
    self.warn('lock-order', `possible circular locking dependency ${ring}: ${cycle.map(describeEdge).join('; ')}`, ring);
  }
}

function describeEdge(e: OrderEdge): string {
  if (e.toClass === RECLAIM_CLASS) {
    return `${e.from.lockClass} held across a reclaim-capable allocation (${describeSite(e.to)}; ` +
      `${e.from.lockClass} taken by ${describeSite(e.from.site)})`;
  }
  if (e.from.lockClass === RECLAIM_CLASS) {
    return `${e.toClass} taken in reclaim (${describeSite(e.to)}; reclaim entered by ${describeSite(e.from.site)})`;
  }
  return `${e.toClass} taken while holding ${e.from.lockClass} (${describeSite(e.to)}; ` +
    `${e.from.lockClass} taken by ${describeSite(e.from.site)})`;
}

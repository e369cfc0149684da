/**
 * When two steps commute: the one place weft decides it (DESIGN.md, "The dependency relation").
 * It reads only what an op declares, `op.object.name` and `op.access`, never a model.
 *
 * - Steps on different objects commute.
 * - On one object, two `read`s commute, and `rcu-enter`/`rcu-exit` commute among themselves
 *   (readers entering and leaving a read-side section do not order each other).
 * - Anything else on one object conflicts: a `write` with everything, `acquire`/`release` with
 *   every op on the lock, `rcu-sync` with the readers' entries and exits (and with other syncs).
 *
 * Steps of one thread are always ordered by the thread itself; that is program order, not this
 * relation, and callers handle it.
 *
 * Contract the explorer relies on (stated here because it is part of what "commute" means): two
 * ops that commute give the same results and the same state in either order, and neither changes
 * whether the other can run. An op's `enabled` may read only its own object, its own thread and
 * the `alsoTouches` entries it marks `readByEnabled` (blocking-several.ts walks those).
 */
import type { Access, Op, SharedObject } from '../../runtime/op';

/**
 * Commute groups, as small integers for the explorer's hot loop: two accesses to one object commute
 * iff they are in the same group and that group is not EXCLUSIVE.
 */
export const EXCLUSIVE = 0;
/** `read`: commutes with other reads. */
export const READS = 1;
/** `rcu-enter` / `rcu-exit`: commute with each other, not with `rcu-sync`. */
export const RCU_READERS = 2;
/** How many commute groups there are (they are 0 .. COMMUTE_GROUPS − 1). */
export const COMMUTE_GROUPS = 3;

/** The commute group of an access kind. */
export function commuteGroup(access: Access): number {
  switch (access) {
    case 'read':
      return READS;
    case 'rcu-enter':
    case 'rcu-exit':
      return RCU_READERS;
    case 'write':
    case 'acquire':
    case 'release':
    case 'rcu-sync':
      return EXCLUSIVE;
  }
}

/** Whether two accesses to the same object commute, by their commute groups. */
export function groupsCommute(a: number, b: number): boolean {
  return a !== EXCLUSIVE && a === b;
}

/**
 * Whether two steps of different threads conflict, given as interned object ids and commute
 * groups (the explorer's form of `dependent`).
 */
export function conflicts(objectA: number, groupA: number, objectB: number, groupB: number): boolean {
  return objectA === objectB && !groupsCommute(groupA, groupB);
}

/**
 * What the variant's invariants observe, as the dependency relation needs it: `false` when it
 * declares none; `true` when one of them does not say what it reads (it may read the whole world);
 * otherwise one footprint per invariant, the names of the objects it declares in `observes`.
 */
export type Observed = boolean | readonly ReadonlySet<string>[];

/**
 * The footprints of a variant's invariants (`Invariant.observes`). A footprint contained in
 * another orders nothing the other does not (every step that writes it writes the larger one), so
 * only the maximal ones are kept, each once.
 */
export function observedBy(invariants: readonly { readonly observes?: readonly SharedObject[] }[] | undefined): Observed {
  if (invariants === undefined || invariants.length === 0) return false;
  const sets: Set<string>[] = [];
  for (const inv of invariants) {
    if (inv.observes === undefined) return true;
    sets.push(new Set(inv.observes.map((o) => o.name)));
  }
  const kept = sets.filter((s, i) => s.size > 0 && !sets.some((t, j) => j !== i && containedIn(s, t) && (s.size < t.size || j < i)));
  return kept.length === 0 ? false : kept;
}

function containedIn(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/**
 * Whether two ops of different threads are dependent (do not commute): some object they touch
 * (`object` or `alsoTouches`) is touched by both in groups that do not commute; or, with
 * invariants (`observed`), both change state some invariant reads, so the states it sees after
 * each depend on their order (dfs orders them through that invariant's observer). With `true`
 * every op that is not a `read` counts as changing it. Every reduction that prunes by commutation
 * (sleep sets, partitions) must use this same relation.
 */
export function dependent(a: Op, b: Op, observed: Observed = false): boolean {
  if (observed === true) {
    if (!readsOnly(a) && !readsOnly(b)) return true;
  } else if (observed !== false) {
    for (const f of observed) if (writesAny(a, f) && writesAny(b, f)) return true;
  }
  if (touchConflict(a.object.name, commuteGroup(a.access), b)) return true;
  const also = a.alsoTouches;
  if (also !== undefined) for (const x of also) if (touchConflict(x.object.name, commuteGroup(x.access), b)) return true;
  return false;
}

/**
 * Whether an op only reads: its own access and every `alsoTouches` access are `read`s. Only such
 * ops leave the world as an invariant saw it, so only they need no ordering by a whole-world
 * observer.
 */
export function readsOnly(op: Op): boolean {
  if (op.access !== 'read') return false;
  const also = op.alsoTouches;
  if (also !== undefined) for (const x of also) if (x.access !== 'read') return false;
  return true;
}

/** Whether an op changes (touches other than by `read`) an object of the footprint. */
export function writesAny(op: Op, footprint: ReadonlySet<string>): boolean {
  if (op.access !== 'read' && footprint.has(op.object.name)) return true;
  const also = op.alsoTouches;
  if (also !== undefined) for (const x of also) if (x.access !== 'read' && footprint.has(x.object.name)) return true;
  return false;
}

function touchConflict(name: string, group: number, b: Op): boolean {
  if (b.object.name === name && !groupsCommute(group, commuteGroup(b.access))) return true;
  const also = b.alsoTouches;
  if (also !== undefined) for (const x of also) if (x.object.name === name && !groupsCommute(group, commuteGroup(x.access))) return true;
  return false;
}

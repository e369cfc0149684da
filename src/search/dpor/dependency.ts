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
 * whether the other can run. An op's `enabled` may read only its own object and its own thread.
 */
import type { Access, Op } from '../../runtime/op';

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
 * Whether two ops of different threads are dependent (do not commute): some object they touch
 * (`object` or `alsoTouches`) is touched by both in groups that do not commute. With `observed`
 * (the variant declares invariants, which read the world after every step) any two ops that are
 * not `read`s are dependent too, as `dfs` orders them through its invariant observer. Every
 * reduction that prunes by commutation (sleep sets, partitions) must use this same relation.
 */
export function dependent(a: Op, b: Op, observed = false): boolean {
  if (observed && !readsOnly(a) && !readsOnly(b)) return true;
  if (touchConflict(a.object.name, commuteGroup(a.access), b)) return true;
  const also = a.alsoTouches;
  if (also !== undefined) for (const x of also) if (touchConflict(x.object.name, commuteGroup(x.access), b)) return true;
  return false;
}

/**
 * Whether an op only reads: its own access and every `alsoTouches` access are `read`s. Only such
 * ops leave the world as an invariant saw it, so only they need no ordering by the observer.
 */
export function readsOnly(op: Op): boolean {
  if (op.access !== 'read') return false;
  const also = op.alsoTouches;
  if (also !== undefined) for (const x of also) if (x.access !== 'read') return false;
  return true;
}

function touchConflict(name: string, group: number, b: Op): boolean {
  if (b.object.name === name && !groupsCommute(group, commuteGroup(b.access))) return true;
  const also = b.alsoTouches;
  if (also !== undefined) for (const x of also) if (x.object.name === name && !groupsCommute(group, commuteGroup(x.access))) return true;
  return false;
}

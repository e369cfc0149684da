/**
 * Where a race with a step that can block is reversed. A disabled thread is not a choice, and an
 * op's `enabled` reads only its own object and thread (dependency.ts), so when step j races with
 * e but could not run before e (e released the lock j waits for), the reversal point walks back
 * over the earlier conflicting accesses to j's object to the latest one before which j can run:
 * lock acquisitions race with each other, as in Concuerror and Nidhugg.
 */
import { EXCLUSIVE, READS } from './dependency';
import type { EventLog } from './event-log';

/** Whether a step can run at a point: known yes, known no, or not recorded. */
export const YES = 1;
export const NO = 0;
export const UNKNOWN = -1;
/** A point decided by presumption: another acquisition of the same kind that waited got through there. */
export const PRESUMED = 2;

/**
 * For a race of e with a step j that can block: the points at or before e where j's op may run
 * after the events that stay (notdep), walking back over conflicting accesses to the object its
 * `enabled` reads, latest first, into `out`.
 *
 * Whether j's op can run there is known when the object's accesses before j are all kept (the
 * object is then as j found it), or when none is kept and j's thread was already waiting to run
 * j's op there (the enabled set of that point says). The walk stops at the first point known to
 * be runnable, or presumed so (another thread's acquisition of the same kind that was itself
 * waiting to run there), and that point alone is the answer, unless a later point it could not
 * decide is set apart by another thread's change kept there (one that commutes with the removed
 * ones, rcu_read_lock beside rcu_read_unlock): the later points then stay candidates beside it.
 * Failing one, every point it could not decide is a candidate: a candidate that proves not
 * runnable is dropped when reached, so trying only the latest one would lose the reversal when the
 * step can in fact run only before an earlier access (a trylock-like acquisition that does not
 * block, say); trying each one loses nothing, and a candidate whose class is covered elsewhere is
 * cut by the sleep sets.
 *
 * Returns how the points were found: YES or PRESUMED for the one decided point, UNKNOWN for
 * candidates the log could not all decide (dfs.ts counts an abandoned execution by it).
 */
export function reversalPoints(log: EventLog, e: number, j: number, runnableAtJ: number, out: number[], keyed: KeyedGate | null = null): number {
  truncate(out, 0);
  const p = log.thread[j]!;
  const before = log.poPrev[j]!;
  const primary = log.accStart[j]!;
  const obj = log.accObj[primary]!;
  const group = log.accGroup[primary]!;
  let a = log.latestAccess(obj);
  let setApart = false;
  for (let f = e; ; ) {
    if (before >= 0 && log.happensBefore(f, before)) break;
    const runnable = runnableAfterNotdep(log, f, j, 1, runnableAtJ, keyed);
    // known runnable, or another acquisition of the same kind that was itself waiting got
    // through here (presumed runnable: lock acquisitions race with each other): this point alone
    if (runnable === YES || (runnable === UNKNOWN && log.canBlock[f] === 1 && accessGroup(log, f, obj) === group)) {
      // why undecided later points stay when one is set apart: a change kept there (another
      // thread's, commuting with the removed ones, so not ordered after the point) makes the state
      // j would meet there one this point's branch never gives it, and j running there is a class
      // of its own; without such a change the later points' classes are reached from this one
      if (!setApart) truncate(out, 0);
      const undecided = out.length > 0;
      out.push(f);
      return undecided ? UNKNOWN : runnable === YES ? YES : PRESUMED;
    }
    if (runnable === UNKNOWN) {
      out.push(f);
      if (!setApart) setApart = keptChangeAfter(log, f, j, obj);
    }
    // the previous access to obj before f that conflicts with j's, by another thread
    while (a >= 0 && (log.accEvent[a]! >= f || log.thread[log.accEvent[a]!] === p || (group === log.accGroup[a] && group !== EXCLUSIVE))) {
      a = log.accObjPrev[a]!;
    }
    if (a < 0) break;
    f = log.accEvent[a]!;
  }
  return UNKNOWN;
}

/** j's `enabled` as a function of its object's state key (Op.enabledAt, for j's thread). */
export interface KeyedGate {
  /** YES or NO; UNKNOWN when the condition cannot be asked on that state (a copy it cannot be given). */
  runnableAt(key: number): number;
  /**
   * For an object with SharedObject.threadKey: thread t's part of it now, where j stands (read
   * only for threads that did not change it before j); null for an object without.
   */
  readonly livePart: ((thread: number) => number) | null;
  /**
   * The keys recorded before each event, when they are not the log's keyBefore: those of copies
   * of the object's data (StateCopies, for an op with Op.enabledOn), NaN where none was recorded.
   */
  readonly keysBefore: Float64Array | null;
}

/**
 * Whether j's op can run at pre(E, f).notdep(f), as far as the log tells; `runnableAtJ` says
 * whether it could where it stands in E (YES for a step that ran). `gate` has bit k set for j's
 * access k that its enabled reads (bit 0, its own object; an await over several objects sets more).
 * `keyed`: j's op restates its enabled on its object's state key (stateDecides), or null.
 */
export function runnableAfterNotdep(log: EventLog, f: number, j: number, gate: number, runnableAtJ: number, keyed: KeyedGate | null = null): number {
  let removed = false;
  let kept = false;
  const first = log.accStart[j]!;
  const last = log.accEnd[j]!;
  for (let s = first, k = 0; s < last && k < 31; s++, k++) {
    if ((gate & (1 << k)) === 0) continue;
    for (let a = log.latestAccess(log.accObj[s]!); a >= 0; a = log.accObjPrev[a]!) {
      const g = log.accEvent[a]!;
      if (g >= j) continue;
      if (g < f) break;
      if (log.happensBefore(f, g)) removed = true;
      else kept = true;
    }
  }
  if (!removed) return runnableAtJ;
  if (!kept && log.poPrev[j]! < f) return log.isEnabledAt(f, log.thread[j]!) ? YES : NO;
  if (keyed === null || gate !== 1) return UNKNOWN;
  return keyed.livePart === null ? stateDecides(log, f, j, runnableAtJ, keyed) : partsDecide(log, f, j, runnableAtJ, keyed, keyed.livePart);
}

// scratch for partsDecide, by thread: the part found so far and how (0 none, KEPT, REMOVED)
let parts = new Float64Array(8);
let partFound = new Uint8Array(8);
const KEPT = 1;
const REMOVED = 2;

/**
 * stateDecides for an object whose threads' changes commute (SharedObject.threadKey): each
 * thread's part there is its part before its earliest removed change (its changes are in program
 * order, so the removed ones are its last), else after its latest change before j, else as it is
 * where j stands; the key is the least part.
 */
function partsDecide(log: EventLog, f: number, j: number, runnableAtJ: number, keyed: KeyedGate, livePart: (thread: number) => number): number {
  const threads = log.threads;
  if (parts.length < threads) {
    parts = new Float64Array(threads * 2);
    partFound = new Uint8Array(threads * 2);
  }
  partFound.fill(0, 0, threads);
  const obj = log.accObj[log.accStart[j]!]!;
  let removed = false;
  for (let a = log.latestAccess(obj); a >= 0; a = log.accObjPrev[a]!) {
    const g = log.accEvent[a]!;
    if (g >= j || log.accGroup[a] === READS) continue;
    if (log.accStart[g] !== a) return UNKNOWN;
    const t = log.thread[g]!;
    if (g >= f && log.happensBefore(f, g)) {
      parts[t] = log.keyBefore[g]!;
      partFound[t] = REMOVED;
      removed = true;
    } else if (partFound[t] === 0) {
      parts[t] = log.keyAfter[g]!;
      partFound[t] = KEPT;
    }
  }
  if (!removed) return runnableAtJ;
  const waiter = log.thread[j]!;
  let key = Number.POSITIVE_INFINITY;
  for (let t = 0; t < threads; t++) {
    const part = partFound[t] !== 0 ? parts[t]! : t === waiter ? log.keyBefore[j]! : livePart(t);
    if (part !== part) return UNKNOWN;
    if (part < key) key = part;
  }
  return keyed.runnableAt(key);
}

/**
 * j's runnability at pre(E, f).notdep(f) from the state key of its object there. Only steps with a
 * non-read access change an object, and every kept one keeps its own predecessors, so when the
 * kept changes before j all come before the removed ones, the object there is as it was just before
 * the earliest removed change: that event's keyBefore. A kept change after a removed one (steps of
 * one commute group, which hb does not order) or a change through `alsoTouches` (no key recorded)
 * leaves it UNKNOWN.
 */
function stateDecides(log: EventLog, f: number, j: number, runnableAtJ: number, keyed: KeyedGate): number {
  const a = earliestRemovedChange(log, log.accObj[log.accStart[j]!]!, f, j);
  if (a === UNORDERED_CHANGES) return UNKNOWN;
  if (a === NONE_REMOVED) return runnableAtJ;
  const key = keyBeforeChange(log, a, keyed.keysBefore ?? log.keyBefore);
  if (key !== key) return UNKNOWN;
  return keyed.runnableAt(key);
}

/** earliestRemovedChange: no change of the object between f and j is removed. */
export const NONE_REMOVED = -1;
/** earliestRemovedChange: a kept change comes after a removed one, so no recorded state is the object's there. */
export const UNORDERED_CHANGES = -2;

/**
 * The earliest change (an access index) of object `obj` between f and j that pre(E, f).notdep(f)
 * removes, NONE_REMOVED, or UNORDERED_CHANGES. Reads change nothing and are passed over.
 */
export function earliestRemovedChange(log: EventLog, obj: number, f: number, j: number): number {
  let earliest = NONE_REMOVED;
  let keptLater = false;
  for (let a = log.latestAccess(obj); a >= 0; a = log.accObjPrev[a]!) {
    const g = log.accEvent[a]!;
    if (g >= j) continue;
    if (g < f) break;
    if (log.accGroup[a] === READS) continue;
    if (log.happensBefore(f, g)) {
      if (keptLater) return UNORDERED_CHANGES;
      earliest = a;
    } else keptLater = true;
  }
  return earliest;
}

/**
 * The key recorded in `keys` before the event of change `a`, or NaN: when `a` is not that event's
 * own object (a change through alsoTouches has no key), or when nothing was recorded there.
 */
export function keyBeforeChange(log: EventLog, a: number, keys: Float64Array): number {
  const g = log.accEvent[a]!;
  // why the length: copies begin late in a search (dfs.ts, copying), so their keys may stop short
  if (log.accStart[g] !== a || g >= keys.length) return Number.NaN;
  return keys[g]!;
}

/** Whether another thread changes obj between f and j in a step not ordered after f (kept at f). */
function keptChangeAfter(log: EventLog, f: number, j: number, obj: number): boolean {
  const p = log.thread[j]!;
  for (let a = log.latestAccess(obj); a >= 0; a = log.accObjPrev[a]!) {
    const g = log.accEvent[a]!;
    if (g >= j) continue;
    if (g < f) break;
    if (log.accGroup[a] !== READS && log.thread[g] !== p && !log.happensBefore(f, g)) return true;
  }
  return false;
}

function accessGroup(log: EventLog, f: number, obj: number): number {
  for (let a = log.accStart[f]!; a < log.accEnd[f]!; a++) if (log.accObj[a] === obj) return log.accGroup[a]!;
  return -1;
}

/**
 * Shortens an array to n elements. Why not `length = n`: that is a runtime call in V8, and at 0 it
 * also drops the backing store, so the next pushes allocate again; `pop` is inline and keeps it.
 */
export function truncate(a: unknown[], n: number): void {
  while (a.length > n) a.pop();
}

/**
 * reversalPoints (blocking.ts) for a step whose `enabled` reads several objects: a wait on a
 * condition over declared objects (the op's own and the `alsoTouches` entries it marks
 * `readByEnabled`). The rule is the same, taken over all of them: a point is as j found it when no
 * access to any of those objects between it and j is removed, and as it was at the point when
 * every one of them is; the walk steps back to the latest earlier conflicting access to any of
 * them. Kept apart from blocking.ts so that the one-object walk, which every lock and wait queue
 * takes, stays exactly as it is.
 */
import { EXCLUSIVE, READS } from './dependency';
import type { EventLog } from './event-log';
import { earliestRemovedChange, keyBeforeChange, NO, NONE_REMOVED, runnableAfterNotdep, truncate, UNKNOWN, UNORDERED_CHANGES, YES } from './blocking';

/** j's `enabled` restated on copies of the data of the objects it reads (Op.enabledOn). */
export interface CopiesGate {
  /** The key of the copy of each event's own object recorded before it ran, NaN where none was. */
  readonly keysBefore: Float64Array | null;
  /** The key of a copy, made now (where j stands), of the object of j's access k (k ≥ 1), or NaN. */
  liveKey(k: number): number;
  /**
   * j's condition on the copies with these keys (its own object's first, then the others in
   * order): YES or NO, UNKNOWN when it cannot be asked on them.
   */
  runnableOnKeys(keys: readonly number[]): number;
}

/**
 * For a race of e with a step j that can block and whose `enabled` reads the objects of j's
 * accesses selected by `gate` (bit k: access accStart[j] + k): the points at or before e where j's
 * op may run, into `out`, deciding each as reversalPoints does for one object; returns YES when
 * every point was decided, UNKNOWN when one was not (or none was found).
 *
 * Unlike one object's walk, this one does not stop at the latest point where j can run. Between
 * that point and an earlier one, a change to another of the objects can be kept (not ordered after
 * the earlier point), and j running before the earlier point with that change before it is a class
 * of its own: the later point's branch reaches j's race with the earlier point only with that
 * change after j (dfs-regressions.test.ts has the program). Every point on the way is a candidate,
 * and the sleep sets cut those whose class another covers.
 */
export function reversalPointsOver(log: EventLog, e: number, j: number, runnableAtJ: number, gate: number, out: number[], copies: CopiesGate | null = null): number {
  truncate(out, 0);
  const p = log.thread[j]!;
  const before = log.poPrev[j]!;
  const first = log.accStart[j]!;
  const last = log.accEnd[j]!;
  let found = YES;
  for (let f = e; ; ) {
    if (before >= 0 && log.happensBefore(f, before)) break;
    let runnable = runnableAfterNotdep(log, f, j, gate, runnableAtJ);
    if (runnable === UNKNOWN && copies !== null) runnable = copiesDecide(log, f, j, gate, copies);
    if (runnable === YES) out.push(f);
    else if (runnable === UNKNOWN) {
      out.push(f);
      found = UNKNOWN;
    }
    // the latest access before f, to any gate object, that conflicts with j's and is another thread's
    let next = -1;
    for (let s = first, k = 0; s < last && k < 31; s++, k++) {
      if ((gate & (1 << k)) === 0) continue;
      const obj = log.accObj[s]!;
      const group = log.accGroup[s]!;
      for (let a = log.latestAccess(obj); a >= 0; a = log.accObjPrev[a]!) {
        const g = log.accEvent[a]!;
        if (g >= f || log.thread[g] === p || (group === log.accGroup[a] && group !== EXCLUSIVE)) continue;
        if (g > next) next = g;
        break;
      }
    }
    if (next < 0) break;
    f = next;
  }
  return out.length === 0 ? UNKNOWN : found;
}

const keys: number[] = [];

/**
 * j's runnability at pre(E, f).notdep(f) from copies of each object its condition reads, as
 * stateDecides (blocking.ts) finds one object's: an object with a removed change between f and j
 * is as it was before the earliest one (that event's copy, when the object is the event's own);
 * one without is as j finds it (j's own copy for its own object, one made now for an object j only
 * reads). A kept change after a removed one, a change through `alsoTouches`, or an object with no
 * copy leaves it UNKNOWN.
 */
function copiesDecide(log: EventLog, f: number, j: number, gate: number, copies: CopiesGate): number {
  truncate(keys, 0);
  const first = log.accStart[j]!;
  const last = log.accEnd[j]!;
  const before = copies.keysBefore;
  if (before === null) return UNKNOWN;
  for (let s = first, k = 0; s < last && k < 31; s++, k++) {
    if ((gate & (1 << k)) === 0) continue;
    const a = earliestRemovedChange(log, log.accObj[s]!, f, j);
    if (a === UNORDERED_CHANGES) return UNKNOWN;
    let key = Number.NaN;
    if (a !== NONE_REMOVED) key = keyBeforeChange(log, a, before);
    else if (k === 0) {
      if (j < before.length) key = before[j]!;
    } else if (log.accGroup[s] === READS) key = copies.liveKey(k);
    if (key !== key) return UNKNOWN;
    keys.push(key);
  }
  return copies.runnableOnKeys(keys);
}

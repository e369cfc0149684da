/**
 * reversalPoints (blocking.ts) for a step whose `enabled` reads several objects: a wait on a
 * condition over declared objects (the op's own and the `alsoTouches` entries it marks
 * `readByEnabled`). The rule is the same, taken over all of them: a point is as j found it when no
 * access to any of those objects between it and j is removed, and as it was at the point when
 * every one of them is; the walk steps back to the latest earlier conflicting access to any of
 * them. Kept apart from blocking.ts so that the one-object walk, which every lock and wait queue
 * takes, stays exactly as it is.
 */
import { EXCLUSIVE } from './dependency';
import type { EventLog } from './event-log';
import { PRESUMED, runnableAfterNotdep, truncate, UNKNOWN, YES } from './blocking';

/**
 * For a race of e with a step j that can block and whose `enabled` reads the objects of j's
 * accesses selected by `gate` (bit k: access accStart[j] + k): the points at or before e where j's
 * op may run, into `out`, as reversalPoints decides them for one object; returns how it found them
 * (YES, PRESUMED or UNKNOWN), as reversalPoints does.
 */
export function reversalPointsOver(log: EventLog, e: number, j: number, runnableAtJ: number, gate: number, out: number[]): number {
  truncate(out, 0);
  const p = log.thread[j]!;
  const before = log.poPrev[j]!;
  const first = log.accStart[j]!;
  const last = log.accEnd[j]!;
  for (let f = e; ; ) {
    if (before >= 0 && log.happensBefore(f, before)) break;
    const runnable = runnableAfterNotdep(log, f, j, gate, runnableAtJ);
    if (runnable === YES || (runnable === UNKNOWN && log.canBlock[f] === 1 && sameKindOn(log, f, j, gate))) {
      truncate(out, 0);
      out.push(f);
      return runnable === YES ? YES : PRESUMED;
    }
    if (runnable === UNKNOWN) out.push(f);
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
  return UNKNOWN;
}

/** Whether f accesses some gate object of j in the same commute group as j does. */
function sameKindOn(log: EventLog, f: number, j: number, gate: number): boolean {
  const first = log.accStart[j]!;
  const last = log.accEnd[j]!;
  for (let s = first, k = 0; s < last && k < 31; s++, k++) {
    if ((gate & (1 << k)) === 0) continue;
    for (let a = log.accStart[f]!; a < log.accEnd[f]!; a++) if (log.accObj[a] === log.accObj[s] && log.accGroup[a] === log.accGroup[s]) return true;
  }
  return false;
}

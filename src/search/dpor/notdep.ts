/**
 * The sleep-set check on a wakeup sequence v = notdep(at, E).j before v is built (dfs.ts,
 * insertReversal): whether a sleeping thread is a weak initial of v. Most reversals are cut by a
 * sleeper, so this answers from the execution's tables, without a pass over v: a few clock reads
 * and the sleeper's own events and objects.
 *
 * v is the events after `at` that do not happen after it, in execution order, then j. An event of
 * v other than j precedes another in v exactly when it happens before it in E: every predecessor
 * of such an event that comes after `at` is in v (else the event would happen after `at` too), and
 * nothing in v happens after j, which happens after `at`. j itself may follow an event of v in v
 * only through a conflict with it or with its predecessors there.
 */
import { groupsCommute } from './dependency';
import type { EventLog } from './event-log';

export class NotdepView {
  private log: EventLog | null = null;
  private at = -1;
  private j = -1;
  private end = 0;

  /** Looks at v = notdep(at, E).j over the events (at, end) of the log; j may be `end` (a pending op). */
  select(log: EventLog, at: number, j: number, end: number): void {
    this.log = log;
    this.at = at;
    this.j = j;
    this.end = end;
  }

  /**
   * Whether a thread whose next event has the accesses objs/groups[from..to) is a weak initial of v,
   * as Sequence.weakInitial answers it: its first event in v (an event index ≥ 0) when that event has
   * no predecessor in v, -1 when it does not occur in v and commutes with all of v, else -2.
   */
  weakInitial(thread: number, objs: Int32Array, groups: Int32Array, from: number, to: number): number {
    const log = this.log!;
    const x = this.firstIn(thread);
    if (x === this.j) return this.conflictsWithV(log.accObj, log.accGroup, log.accStart[x]!, log.accEnd[x]!, x) ? -2 : x;
    if (x >= 0) {
      // why the latest event of each thread before x: x has a predecessor in v exactly when one
      // of them comes after `at` (it cannot happen after `at`, or x would)
      for (let t = 0; t < log.threads; t++) {
        if (t === thread) continue;
        const k = log.clockOf(x, t);
        if (k > 0 && log.eventOfThread(t, k) > this.at) return -2;
      }
      return x;
    }
    return this.conflictsWithV(objs, groups, from, to, -1) ? -2 : -1;
  }

  /** The thread's first event in v, or -1 when it has none. */
  private firstIn(thread: number): number {
    const log = this.log!;
    const at = this.at;
    let x = -1;
    for (let m = log.lastEvent[thread]!; m > at; m = log.poPrev[m]!) x = m;
    // why only the first: once an event of the thread happens after `at`, so do all its later ones
    if (x >= 0 && x < this.end && x !== this.j && !log.happensBefore(at, x)) return x;
    return log.thread[this.j] === thread ? this.j : -1;
  }

  /** Whether these accesses conflict with an event of v other than `skip`. */
  private conflictsWithV(objs: Int32Array, groups: Int32Array, from: number, to: number, skip: number): boolean {
    const log = this.log!;
    const at = this.at;
    const j = this.j;
    for (let a = from; a < to; a++) {
      const o = objs[a]!;
      const g = groups[a]!;
      for (let y = log.latestAccess(o); y >= 0; y = log.accObjPrev[y]!) {
        const m = log.accEvent[y]!;
        if (m <= at) break;
        if (m !== skip && (m === j || !log.happensBefore(at, m)) && !groupsCommute(g, log.accGroup[y]!)) return true;
      }
      // a pending j is in no object's chain
      if (j === this.end && j !== skip) {
        for (let b = log.accStart[j]!; b < log.accEnd[j]!; b++) {
          if (log.accObj[b] === o && !groupsCommute(g, log.accGroup[b]!)) return true;
        }
      }
    }
    return false;
  }
}

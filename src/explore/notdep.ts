/**
 * What the sleep-set check needs to know of a wakeup sequence v = notdep(at, E).j before v is
 * built (dfs.ts, insertReversal): each thread's first event in v and which commute groups v uses
 * on each object. Most reversals are cut by a sleeping thread, and with this summary that costs
 * a few clock reads per sleeper instead of a pass over v.
 *
 * Order within v is execution order with j last, and an event of v precedes another when a chain
 * of conflicts or program order within v leads from one to the other. For an event other than j
 * that is its happens-before in E: its predecessors after `at` are all in v (else it would happen
 * after `at`), and nothing in v happens after j. j may happen after an event of v only through
 * events left out (those after `at`), so j's predecessors in v are its direct conflicts there and
 * their predecessors.
 */
import { EXCLUSIVE } from './dependency';
import type { EventLog } from './event-log';
import { atLeast } from './typed-array';

export class NotdepSummary {
  /** first[t] is thread t's first event in v when seen[t] === stamp. */
  private first = new Int32Array(0);
  private seen = new Int32Array(0);
  /** Bit g set in groups[o] when v accesses object o in commute group g (objSeen[o] === stamp). */
  private groups = new Int32Array(0);
  private objSeen = new Int32Array(0);
  /** Threads that occur in v, in order of their first event: members[0..memberCount). */
  private members = new Int32Array(0);
  private memberCount = 0;
  private stamp = 0;
  private log: EventLog | null = null;
  private j = -1;
  /** Whether some other event of v conflicts with j (then j is no weak initial). */
  private jConflicts = false;

  /** Summarizes notdep(at, E).j over the events (at, end) of the log; j may be `end` (a pending op). */
  build(log: EventLog, at: number, j: number, end: number): void {
    this.log = log;
    if (this.first.length < log.threads) {
      this.first = new Int32Array(log.threads);
      this.seen = new Int32Array(log.threads);
      this.members = new Int32Array(log.threads);
    }
    this.stamp++;
    this.memberCount = 0;
    this.j = j;
    this.jConflicts = false;
    for (let m = at + 1; m < end; m++) {
      if (m === j || log.happensBefore(at, m)) continue;
      this.add(log, m);
    }
    // why from the group masks: j conflicts with some event of v exactly when one of its accesses
    // meets a group on its object that it does not commute with
    for (let a = log.accStart[j]!; a < log.accEnd[j]! && !this.jConflicts; a++) {
      const o = log.accObj[a]!;
      if (o < this.objSeen.length && this.objSeen[o] === this.stamp) this.jConflicts = conflictsWithGroups(this.groups[o]!, log.accGroup[a]!);
    }
    this.add(log, j);
  }

  private add(log: EventLog, m: number): void {
    const t = log.thread[m]!;
    if (this.seen[t] !== this.stamp) {
      this.seen[t] = this.stamp;
      this.first[t] = m;
      this.members[this.memberCount++] = t;
    }
    for (let a = log.accStart[m]!; a < log.accEnd[m]!; a++) {
      const o = log.accObj[a]!;
      if (o >= this.groups.length) this.growObjects(o + 1);
      if (this.objSeen[o] !== this.stamp) {
        this.objSeen[o] = this.stamp;
        this.groups[o] = 0;
      }
      this.groups[o]! |= 1 << log.accGroup[a]!;
    }
  }

  private growObjects(n: number): void {
    this.groups = atLeast(this.groups, Math.max(n, 16));
    this.objSeen = atLeast(this.objSeen, this.groups.length);
  }

  /**
   * Whether a thread whose next event has the accesses objs/groups[from..to) is a weak initial of v, as
   * Sequence.weakInitial answers it: its first event in v (an event index ≥ 0) when that event has
   * no predecessor in v, -1 when it does not occur in v and commutes with all of v, else -2.
   */
  weakInitial(thread: number, objs: Int32Array, groups: Int32Array, from: number, to: number): number {
    const log = this.log!;
    if (this.seen[thread] === this.stamp) {
      const x = this.first[thread]!;
      if (x === this.j) return this.jConflicts ? -2 : x;
      for (let k = 0; k < this.memberCount; k++) {
        const t = this.members[k]!;
        if (t !== thread && this.first[t]! < x && log.happensBefore(this.first[t]!, x)) return -2;
      }
      return x;
    }
    for (let a = from; a < to; a++) {
      const o = objs[a]!;
      if (o >= this.objSeen.length || this.objSeen[o] !== this.stamp) continue;
      if (conflictsWithGroups(this.groups[o]!, groups[a]!)) return -2;
    }
    return -1;
  }
}

/** Whether an access in commute group g conflicts with one of the groups in the bit mask `used`. */
function conflictsWithGroups(used: number, g: number): boolean {
  return g === EXCLUSIVE ? used !== 0 : (used & ~(1 << g)) !== 0;
}

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
      if (!this.jConflicts && log.eventsConflict(m, j)) this.jConflicts = true;
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
    const size = Math.max(n, this.groups.length * 2, 16);
    const g = new Int32Array(size);
    g.set(this.groups);
    const s = new Int32Array(size);
    s.set(this.objSeen);
    this.groups = g;
    this.objSeen = s;
  }

  /**
   * Whether a thread whose next event has these accesses is a weak initial of v, as
   * Sequence.weakInitial answers it: its first event in v (an event index ≥ 0) when that event has
   * no predecessor in v, -1 when it does not occur in v and commutes with all of v, else -2.
   */
  weakInitial(thread: number, objs: readonly number[], groups: readonly number[], count: number): number {
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
    for (let a = 0; a < count; a++) {
      const o = objs[a]!;
      if (o >= this.objSeen.length || this.objSeen[o] !== this.stamp) continue;
      const used = this.groups[o]!;
      const g = groups[a]!;
      if (g === EXCLUSIVE ? used !== 0 : (used & ~(1 << g)) !== 0) return -2;
    }
    return -1;
  }
}

/**
 * Wakeup trees and the sequences inserted into them (Abdulla, Aronis, Jonsson, Sagonas, "Source
 * Sets: A Foundation for Optimal Dynamic Partial Order Reduction", JACM 2017, section 6).
 *
 * One tree holds the whole search state of `dfs`: the current execution is a path from the root,
 * and the children of the path node at depth k, in order, are wut(E[0..k)) of the paper: the
 * branches still to explore there, the first of them being explored now. A node is one event
 * (thread and accesses); a node whose subtree is done becomes a sleep-set entry of its parent
 * (its sleep list), which is where the paper's sleep(E) gains p after exploring E.p.
 *
 * Nodes are integer ids of fixed-size records in one typed array, their accesses blocks of a shared
 * arena, and both are recycled: a search allocates only while the tree grows past its largest size
 * so far (and dfs-tables.ts hands a finished search's tree to the next search). Why not
 * one object per node: a tree of lastzero(13) holds 150,000 pending nodes at its peak, and as
 * objects (each with its own arrays) they cost a tenth of the search in garbage collection, and
 * the insertion walk a cache miss per array it reads.
 */
import { COMMUTE_GROUPS as GROUPS, groupsCommute } from './dependency';
import { atLeast, EMPTY_INTS } from './typed-array';

/** No node: the end of a child or sleep list. */
export const NONE = -1;

const INITIAL_NODES = 4;

/**
 * A sequence of events to run after some prefix (the v of the paper), with removal marks so that
 * `v \ p` costs no copy. Reused for every race.
 */
export class Sequence {
  readonly thread: number[] = [];
  readonly accFrom: number[] = [];
  readonly accTo: number[] = [];
  readonly accObj: number[] = [];
  readonly accGroup: number[] = [];
  // invariant: removed[k] is true once event k was matched against a tree node (v \ p)
  readonly removed: boolean[] = [];
  /** chosen[k]: the value event k chose when it is a choose(n), else -1 (WakeupTree.chosenAt). */
  readonly chosen: number[] = [];
  /** Events in the sequence: thread/accFrom/accTo/removed[0..length). */
  length = 0;
  /** Events not yet removed. */
  live = 0;
  private accesses = 0;
  // why these indexes: the tree walk asks weakInitial at every node it passes, and scanning v
  // each time made insertion cubic in |v|.
  // invariant: firstLive[t] is thread t's first live event when threadStamp[t] === stamp, else
  // t has none; nextOfThread[k] is the next event of k's thread (-1 if none)
  private firstLive = EMPTY_INTS;
  private threadStamp = EMPTY_INTS;
  private readonly nextOfThread: number[] = [];
  private readonly lastOfThread: number[] = [];
  // invariant: objStamp[o] === stamp when v accesses object o
  private objStamp = EMPTY_INTS;
  // invariant: the accesses to object o in group g, in order, run from groupHead[o * GROUPS + g]
  // along nextInGroup to groupTail[...] (-1: none; valid when objStamp[o] === stamp), except that
  // the head may have moved past accesses of removed events, never past a live one
  private groupHead = EMPTY_INTS;
  private groupTail = EMPTY_INTS;
  private readonly nextInGroup: number[] = [];
  /** Event of access a. */
  private readonly accEvent: number[] = [];
  private stamp = 1;

  clear(): void {
    this.length = 0;
    this.live = 0;
    this.accesses = 0;
    this.stamp++;
  }

  /** Appends an event; its accesses follow with `access`. */
  push(thread: number): void {
    const k = this.length++;
    this.thread[k] = thread;
    this.accFrom[k] = this.accesses;
    this.accTo[k] = this.accesses;
    this.removed[k] = false;
    this.chosen[k] = -1;
    this.nextOfThread[k] = -1;
    this.live++;
    if (thread >= this.firstLive.length) this.growThreads(thread + 1);
    if (this.threadStamp[thread] !== this.stamp) {
      this.threadStamp[thread] = this.stamp;
      this.firstLive[thread] = k;
    } else {
      this.nextOfThread[this.lastOfThread[thread]!] = k;
    }
    this.lastOfThread[thread] = k;
  }

  access(obj: number, group: number): void {
    const a = this.accesses++;
    this.accObj[a] = obj;
    this.accGroup[a] = group;
    this.accTo[this.length - 1] = this.accesses;
    this.accEvent[a] = this.length - 1;
    this.nextInGroup[a] = -1;
    if (obj >= this.objStamp.length) this.growObjects(obj + 1);
    const base = obj * GROUPS;
    if (this.objStamp[obj] !== this.stamp) {
      this.objStamp[obj] = this.stamp;
      // why a loop: fill() on three elements is a builtin call that costs more than the stores
      for (let h = base; h < base + GROUPS; h++) this.groupHead[h] = -1;
    }
    const list = base + group;
    if (this.groupHead[list] === -1) this.groupHead[list] = a;
    else this.nextInGroup[this.groupTail[list]!] = a;
    this.groupTail[list] = a;
  }

  /**
   * Whether a thread whose next event has the accesses objs/groups[from..to) is a weak initial of the live sequence
   * (p ∈ WI[E](v)): its first event in v has no predecessor in v, or it does not occur in v and
   * its event commutes with all of v. Returns the index of its first event, -1 when it does not
   * occur, or -2 when it is no weak initial.
   */
  weakInitial(thread: number, objs: Int32Array, groups: Int32Array, from: number, to: number): number {
    if (thread < this.threadStamp.length && this.threadStamp[thread] === this.stamp && this.firstLive[thread]! >= 0) {
      const k = this.firstLive[thread]!;
      // why: its first event has no program-order predecessor in v, so any predecessor in v is a
      // direct conflict with an earlier live event: the first live access of a group it does not
      // commute with, on an object it touches, comes before it
      for (let a = this.accFrom[k]!; a < this.accTo[k]!; a++) {
        const base = this.accObj[a]! * GROUPS;
        const g = this.accGroup[a]!;
        for (let h = 0; h < GROUPS; h++) {
          if (groupsCommute(g, h)) continue;
          const y = this.firstLiveIn(base + h);
          if (y !== -1 && y < a && this.accEvent[y] !== k) return -2;
        }
      }
      return k;
    }
    for (let a = from; a < to; a++) {
      const o = objs[a]!;
      if (o >= this.objStamp.length || this.objStamp[o] !== this.stamp) continue;
      const g = groups[a]!;
      for (let h = 0; h < GROUPS; h++) {
        if (!groupsCommute(g, h) && this.firstLiveIn(o * GROUPS + h) !== -1) return -2;
      }
    }
    return -1;
  }

  /** The thread of v's first live event, -1 when none is left. */
  firstLiveThread(): number {
    for (let k = 0; k < this.length; k++) if (!this.removed[k]) return this.thread[k]!;
    return -1;
  }

  /** The first access of a live event on one object-and-group list, -1 if none. */
  private firstLiveIn(list: number): number {
    let y = this.groupHead[list]!;
    while (y !== -1 && this.removed[this.accEvent[y]!]) y = this.nextInGroup[y]!;
    this.groupHead[list] = y;
    return y;
  }

  /** Removes event k, the first live event of its thread (weakInitial returned it). */
  remove(k: number): void {
    this.removed[k] = true;
    this.live--;
    this.firstLive[this.thread[k]!] = this.nextOfThread[k]!;
  }

  private growThreads(n: number): void {
    this.firstLive = atLeast(this.firstLive, n);
    this.threadStamp = atLeast(this.threadStamp, n);
  }

  private growObjects(n: number): void {
    this.objStamp = atLeast(this.objStamp, n);
    this.groupHead = atLeast(this.groupHead, this.objStamp.length * GROUPS);
    this.groupTail = atLeast(this.groupTail, this.objStamp.length * GROUPS);
  }
}

/** Fields of a node's record: rec[n * FIELDS + field]. */
const THREAD = 0;
const ACC_START = 1;
const ACC_COUNT = 2;
const FIRST_CHILD = 3;
const LAST_CHILD = 4;
const FIRST_SLEPT = 5;
const LAST_SLEPT = 6;
const NEXT_SIBLING = 7;
const FIELDS = 8;
/** Bits of a node's flags (`given`). */
const GIVEN_ASLEEP = 1;
const HALTS = 2;

/**
 * The tree. Node 0 is the root; every other node is an event. A node's accesses are
 * accObj/accGroup[accStartOf(n) .. accStartOf(n) + accCountOf(n)); read those arrays after any
 * call that adds a node or sets accesses, which may replace them.
 *
 * Why one record per node in one array: the insertion walk reads a child's thread, accesses and
 * next sibling together, and in a large tree each separate array cost a cache miss per child.
 */
export class WakeupTree {
  readonly root = 0;
  // invariant: children of n, in exploration order, run from FIRST_CHILD along NEXT_SIBLING to
  // LAST_CHILD; explored children (sleep-set entries) from FIRST_SLEPT to LAST_SLEPT. A node is in
  // one list at most, so both share NEXT_SIBLING. THREAD is -1 for the root.
  private rec = new Int32Array(INITIAL_NODES * FIELDS);
  accObj = EMPTY_INTS;
  accGroup = EMPTY_INTS;
  /** Flags: GIVEN_ASLEEP for a sleep-set entry given with a subtree to explore (DfsOptions.sleeping), not a child; HALTS for a faulting step. */
  private given = new Uint8Array(INITIAL_NODES);
  /** What put a node in the tree, as the caller of `insert` said (0 for a node made by `node`). */
  private origin = new Uint8Array(INITIAL_NODES);
  /** chosenAt, by node. */
  private chosen = new Int32Array(INITIAL_NODES);
  private nodes = 1;
  private readonly freeNodes: number[] = [];
  private arenaEnd = 0;
  // invariant: freeBlocks[k] holds the starts of released access blocks of length k
  private readonly freeBlocks: number[][] = [];

  constructor() {
    this.reset(0, -1);
  }

  /** Empties the tree for another search, keeping its tables. */
  clear(): void {
    this.nodes = 1;
    this.freeNodes.length = 0;
    this.arenaEnd = 0;
    for (const free of this.freeBlocks) free.length = 0;
    this.reset(0, -1);
  }

  /** How many nodes the tables hold room for. */
  get capacity(): number {
    return this.given.length;
  }

  threadOf(n: number): number {
    return this.rec[n * FIELDS + THREAD]!;
  }

  accStartOf(n: number): number {
    return this.rec[n * FIELDS + ACC_START]!;
  }

  accCountOf(n: number): number {
    return this.rec[n * FIELDS + ACC_COUNT]!;
  }

  /** n's first child (the branch explored now), NONE if it has none. */
  firstChild(n: number): number {
    return this.rec[n * FIELDS + FIRST_CHILD]!;
  }

  /** n's first sleep-set entry, NONE if it has none. */
  firstSlept(n: number): number {
    return this.rec[n * FIELDS + FIRST_SLEPT]!;
  }

  /** The next node in the child or sleep list n is in, NONE at its end. */
  nextSibling(n: number): number {
    return this.rec[n * FIELDS + NEXT_SIBLING]!;
  }

  isGivenAsleep(n: number): boolean {
    return (this.given[n]! & GIVEN_ASLEEP) !== 0;
  }

  markGivenAsleep(n: number): void {
    this.given[n]! |= GIVEN_ASLEEP;
  }

  /**
   * The value node n's event takes when it is a choose(n), else -1. A choice's values are sibling
   * nodes of one thread, each its own event: a sequence follows the node of its own value only.
   */
  chosenAt(n: number): number {
    return this.chosen[n]!;
  }

  setChosen(n: number, value: number): void {
    this.chosen[n] = value;
  }

  /** Whether node n's event ended its execution with a fault (nothing ran after it). */
  halts(n: number): boolean {
    return (this.given[n]! & HALTS) !== 0;
  }

  markHalts(n: number): void {
    this.given[n]! |= HALTS;
  }

  originOf(n: number): number {
    return this.origin[n]!;
  }

  /** A node for an event of `thread`, with no accesses and no children yet. */
  node(thread: number): number {
    let n = this.freeNodes.pop();
    if (n === undefined) {
      n = this.nodes++;
      if (n >= this.given.length) this.growNodes(n + 1);
    }
    this.reset(n, thread);
    return n;
  }

  private reset(n: number, thread: number): void {
    const r = n * FIELDS;
    const rec = this.rec;
    rec[r + THREAD] = thread;
    rec[r + ACC_START] = 0;
    rec[r + ACC_COUNT] = 0;
    rec[r + FIRST_CHILD] = NONE;
    rec[r + LAST_CHILD] = NONE;
    rec[r + FIRST_SLEPT] = NONE;
    rec[r + LAST_SLEPT] = NONE;
    rec[r + NEXT_SIBLING] = NONE;
    this.given[n] = 0;
    this.origin[n] = 0;
    this.chosen[n] = -1;
  }

  /** Sets node n's accesses to objs/groups[from..to), replacing any it had. */
  setAccesses(n: number, objs: ArrayLike<number>, groups: ArrayLike<number>, from: number, to: number): void {
    const count = to - from;
    const r = n * FIELDS;
    const had = this.rec[r + ACC_COUNT]!;
    if (had !== count) {
      if (had > 0) this.freeBlock(this.rec[r + ACC_START]!, had);
      const start = count === 0 ? 0 : this.block(count);
      this.rec[r + ACC_COUNT] = count;
      this.rec[r + ACC_START] = start;
    }
    const start = this.rec[r + ACC_START]!;
    for (let a = 0; a < count; a++) {
      this.accObj[start + a] = objs[from + a]!;
      this.accGroup[start + a] = groups[from + a]!;
    }
  }

  hasChildren(n: number): boolean {
    return this.rec[n * FIELDS + FIRST_CHILD] !== NONE;
  }

  /** Appends c to n's children (the branches still to explore there). */
  pushChild(n: number, c: number): void {
    this.append(n * FIELDS + FIRST_CHILD, n * FIELDS + LAST_CHILD, c);
  }

  /** Appends c to n's sleep-set entries. */
  pushSlept(n: number, c: number): void {
    this.append(n * FIELDS + FIRST_SLEPT, n * FIELDS + LAST_SLEPT, c);
  }

  private append(first: number, last: number, c: number): void {
    const rec = this.rec;
    rec[c * FIELDS + NEXT_SIBLING] = NONE;
    if (rec[first] === NONE) rec[first] = c;
    else rec[rec[last]! * FIELDS + NEXT_SIBLING] = c;
    rec[last] = c;
  }

  /** Removes n's first child from its children and returns it. */
  shiftChild(n: number): number {
    const rec = this.rec;
    const r = n * FIELDS;
    const c = rec[r + FIRST_CHILD]!;
    const next = rec[c * FIELDS + NEXT_SIBLING]!;
    rec[r + FIRST_CHILD] = next;
    if (next === NONE) rec[r + LAST_CHILD] = NONE;
    rec[c * FIELDS + NEXT_SIBLING] = NONE;
    return c;
  }

  /** Returns a node (not in any list any more), its children and its sleep entries to the pool. */
  release(n: number): void {
    this.releaseChildren(n);
    this.releaseSlept(n);
    const r = n * FIELDS;
    const had = this.rec[r + ACC_COUNT]!;
    if (had > 0) this.freeBlock(this.rec[r + ACC_START]!, had);
    this.rec[r + ACC_COUNT] = 0;
    this.freeNodes.push(n);
  }

  releaseChildren(n: number): void {
    this.releaseList(n * FIELDS + FIRST_CHILD, n * FIELDS + LAST_CHILD);
  }

  releaseSlept(n: number): void {
    this.releaseList(n * FIELDS + FIRST_SLEPT, n * FIELDS + LAST_SLEPT);
  }

  private releaseList(first: number, last: number): void {
    for (let c = this.rec[first]!; c !== NONE; ) {
      const next = this.rec[c * FIELDS + NEXT_SIBLING]!;
      this.release(c);
      c = next;
    }
    this.rec[first] = NONE;
    this.rec[last] = NONE;
  }

  /** Whether two nodes' events have a conflicting pair of accesses. */
  conflict(a: number, b: number): boolean {
    const objs = this.accObj;
    const groups = this.accGroup;
    const aStart = this.accStartOf(a);
    const aEnd = aStart + this.accCountOf(a);
    const bStart = this.accStartOf(b);
    const bEnd = bStart + this.accCountOf(b);
    for (let x = aStart; x < aEnd; x++) {
      for (let y = bStart; y < bEnd; y++) {
        if (objs[x] === objs[y] && !groupsCommute(groups[x]!, groups[y]!)) return true;
      }
    }
    return false;
  }

  /** Sequence.weakInitial of node n's thread and accesses. */
  weakInitialIn(v: Sequence, n: number): number {
    const r = n * FIELDS;
    const from = this.rec[r + ACC_START]!;
    return v.weakInitial(this.rec[r + THREAD]!, this.accObj, this.accGroup, from, from + this.rec[r + ACC_COUNT]!);
  }

  /**
   * Adds v below `at` unless the tree already has a branch that v extends up to equivalence
   * (insert[E](v, wut(E)) of the paper). The caller has already checked sleep(E) against v.
   * Consumes v (marks its events removed). The nodes it adds get `origin` (originOf).
   */
  insert(at: number, v: Sequence, origin = 0): void {
    let n = at;
    for (;;) {
      let next = NONE;
      for (let c = this.firstChild(n); c !== NONE; c = this.nextSibling(c)) {
        // why: a fault ends its execution, so a branch that faults first never runs v after it;
        // it covers v only when v starts with that same step
        if (this.halts(c)) {
          if (v.firstLiveThread() === this.threadOf(c)) return;
          continue;
        }
        const k = this.weakInitialIn(v, c);
        // why: another value of the same choice is another event of that thread, not this one
        if (k === -2 || (k >= 0 && v.chosen[k] !== this.chosen[c])) continue;
        if (k >= 0) v.remove(k);
        next = c;
        break;
      }
      if (next === NONE) break;
      // why: a leaf means "this event here, then anything"; v then adds no new class
      if (this.firstChild(next) === NONE || v.live === 0) return;
      n = next;
    }
    for (let k = 0; k < v.length; k++) {
      if (v.removed[k]) continue;
      const c = this.node(v.thread[k]!);
      this.origin[c] = origin;
      this.chosen[c] = v.chosen[k]!;
      this.setAccesses(c, v.accObj, v.accGroup, v.accFrom[k]!, v.accTo[k]!);
      this.pushChild(n, c);
      n = c;
    }
  }

  private block(count: number): number {
    const free = this.freeBlocks[count];
    if (free !== undefined && free.length > 0) return free.pop()!;
    const start = this.arenaEnd;
    this.arenaEnd += count;
    if (this.arenaEnd > this.accObj.length) {
      this.accObj = atLeast(this.accObj, this.arenaEnd);
      this.accGroup = atLeast(this.accGroup, this.arenaEnd);
    }
    return start;
  }

  private freeBlock(start: number, count: number): void {
    while (this.freeBlocks.length <= count) this.freeBlocks.push([]);
    this.freeBlocks[count]!.push(start);
  }

  private growNodes(n: number): void {
    this.given = atLeast(this.given, n);
    this.origin = atLeast(this.origin, this.given.length);
    this.chosen = atLeast(this.chosen, this.given.length);
    this.rec = atLeast(this.rec, this.given.length * FIELDS);
  }
}

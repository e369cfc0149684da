/**
 * Wakeup trees and the sequences inserted into them (Abdulla, Aronis, Jonsson, Sagonas, "Source
 * Sets: A Foundation for Optimal Dynamic Partial Order Reduction", JACM 2017, section 6).
 *
 * One tree holds the whole search state of `dfs`: the current execution is a path from the root,
 * and the children of the path node at depth k, in order, are wut(E[0..k)) of the paper: the
 * branches still to explore there, the first of them being explored now. A node is one event
 * (thread and accesses); a node whose subtree is done becomes a sleep-set entry of its parent
 * (its `slept` list), which is where the paper's sleep(E) gains p after exploring E.p.
 *
 * Nodes are integer ids into typed arrays, their accesses blocks of a shared arena, and both are
 * recycled: a search allocates only while the tree grows past its largest size so far. Why not
 * one object per node: a tree of lastzero(13) holds 150,000 pending nodes at its peak, and as
 * objects (each with its own arrays) they cost a tenth of the search in garbage collection, and
 * the insertion walk a cache miss per array it reads.
 */
import { COMMUTE_GROUPS as GROUPS, groupsCommute } from './dependency';
import { atLeast } from './typed-array';

/** No node: the end of a child or sleep list. */
export const NONE = -1;

const INITIAL_NODES = 256;

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
  /** Events in the sequence: thread/accFrom/accTo/removed[0..length). */
  length = 0;
  /** Events not yet removed. */
  live = 0;
  private accesses = 0;
  // why these indexes: the tree walk asks weakInitial at every node it passes, and scanning v
  // each time made insertion cubic in |v|.
  // invariant: firstLive[t] is thread t's first live event when threadStamp[t] === stamp, else
  // t has none; nextOfThread[k] is the next event of k's thread (-1 if none)
  private firstLive = new Int32Array(8);
  private threadStamp = new Int32Array(8);
  private readonly nextOfThread: number[] = [];
  private readonly lastOfThread: number[] = [];
  // invariant: liveCount[o * GROUPS + g] counts live accesses to object o in group g when
  // objStamp[o] === stamp
  private liveCount = new Int32Array(8 * GROUPS);
  private objStamp = new Int32Array(8);
  // invariant: objFirst[o] is the first access to object o in v (valid when objStamp[o] === stamp),
  // objLast[o] the last, and nextOnObj[a] the access to the same object after a (-1: none)
  private objFirst = new Int32Array(8);
  private objLast = new Int32Array(8);
  private readonly nextOnObj: number[] = [];
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
    this.nextOnObj[a] = -1;
    if (obj >= this.objStamp.length) this.growObjects(obj + 1);
    if (this.objStamp[obj] !== this.stamp) {
      this.objStamp[obj] = this.stamp;
      this.liveCount.fill(0, obj * GROUPS, obj * GROUPS + GROUPS);
      this.objFirst[obj] = a;
    } else {
      this.nextOnObj[this.objLast[obj]!] = a;
    }
    this.objLast[obj] = a;
    this.liveCount[obj * GROUPS + group]!++;
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
      // why: its first event has no program-order predecessor in v, so any predecessor in v
      // is a direct conflict with an earlier live event, found on the accessed object's list
      for (let a = this.accFrom[k]!; a < this.accTo[k]!; a++) {
        const g = this.accGroup[a]!;
        for (let y = this.objFirst[this.accObj[a]!]!; y !== a; y = this.nextOnObj[y]!) {
          const m = this.accEvent[y]!;
          if (m !== k && !this.removed[m] && !groupsCommute(g, this.accGroup[y]!)) return -2;
        }
      }
      return k;
    }
    for (let a = from; a < to; a++) {
      const o = objs[a]!;
      if (o >= this.objStamp.length || this.objStamp[o] !== this.stamp) continue;
      const g = groups[a]!;
      for (let h = 0; h < GROUPS; h++) {
        if (this.liveCount[o * GROUPS + h]! > 0 && !groupsCommute(g, h)) return -2;
      }
    }
    return -1;
  }

  /** Removes event k, the first live event of its thread (weakInitial returned it). */
  remove(k: number): void {
    this.removed[k] = true;
    this.live--;
    this.firstLive[this.thread[k]!] = this.nextOfThread[k]!;
    for (let a = this.accFrom[k]!; a < this.accTo[k]!; a++) this.liveCount[this.accObj[a]! * GROUPS + this.accGroup[a]!]!--;
  }

  private growThreads(n: number): void {
    this.firstLive = atLeast(this.firstLive, n);
    this.threadStamp = atLeast(this.threadStamp, n);
  }

  private growObjects(n: number): void {
    this.objStamp = atLeast(this.objStamp, n);
    this.liveCount = atLeast(this.liveCount, this.objStamp.length * GROUPS);
    this.objFirst = atLeast(this.objFirst, this.objStamp.length);
    this.objLast = atLeast(this.objLast, this.objStamp.length);
  }
}

/**
 * The tree. Node 0 is the root; every other node is an event. A node's accesses are
 * accObj/accGroup[accStart[n] .. accStart[n] + accCount[n]); read those arrays after any call
 * that adds a node or sets accesses, which may replace them.
 */
export class WakeupTree {
  readonly root = 0;
  /** Thread whose event node n is; -1 for the root. */
  thread = new Int32Array(INITIAL_NODES);
  accStart = new Int32Array(INITIAL_NODES);
  accCount = new Int32Array(INITIAL_NODES);
  accObj = new Int32Array(INITIAL_NODES);
  accGroup = new Int32Array(INITIAL_NODES);
  // invariant: children of n, in exploration order, run from firstChild[n] along nextSibling to
  // lastChild[n]; explored children (sleep-set entries) from firstSlept[n] to lastSlept[n]. A node
  // is in one list at most, so both share nextSibling.
  firstChild = new Int32Array(INITIAL_NODES);
  private lastChild = new Int32Array(INITIAL_NODES);
  firstSlept = new Int32Array(INITIAL_NODES);
  private lastSlept = new Int32Array(INITIAL_NODES);
  nextSibling = new Int32Array(INITIAL_NODES);
  /** 1 for a sleep-set entry given with a subtree to explore (DfsOptions.sleeping), not a child. */
  givenAsleep = new Uint8Array(INITIAL_NODES);
  private nodes = 1;
  private readonly freeNodes: number[] = [];
  private arenaEnd = 0;
  // invariant: freeBlocks[k] holds the starts of released access blocks of length k
  private readonly freeBlocks: number[][] = [];

  constructor() {
    this.reset(0, -1);
  }

  /** A node for an event of `thread`, with no accesses and no children yet. */
  node(thread: number): number {
    let n = this.freeNodes.pop();
    if (n === undefined) {
      n = this.nodes++;
      if (n >= this.thread.length) this.growNodes(n + 1);
    }
    this.reset(n, thread);
    return n;
  }

  private reset(n: number, thread: number): void {
    this.thread[n] = thread;
    this.accCount[n] = 0;
    this.firstChild[n] = NONE;
    this.lastChild[n] = NONE;
    this.firstSlept[n] = NONE;
    this.lastSlept[n] = NONE;
    this.nextSibling[n] = NONE;
    this.givenAsleep[n] = 0;
  }

  /** Sets node n's accesses to objs/groups[from..to), replacing any it had. */
  setAccesses(n: number, objs: ArrayLike<number>, groups: ArrayLike<number>, from: number, to: number): void {
    const count = to - from;
    const had = this.accCount[n]!;
    if (had !== count) {
      if (had > 0) this.freeBlock(this.accStart[n]!, had);
      this.accCount[n] = count;
      this.accStart[n] = count === 0 ? 0 : this.block(count);
    }
    const start = this.accStart[n]!;
    for (let a = 0; a < count; a++) {
      this.accObj[start + a] = objs[from + a]!;
      this.accGroup[start + a] = groups[from + a]!;
    }
  }

  hasChildren(n: number): boolean {
    return this.firstChild[n] !== NONE;
  }

  /** Appends c to n's children (the branches still to explore there). */
  pushChild(n: number, c: number): void {
    this.nextSibling[c] = NONE;
    if (this.firstChild[n] === NONE) this.firstChild[n] = c;
    else this.nextSibling[this.lastChild[n]!] = c;
    this.lastChild[n] = c;
  }

  /** Removes n's first child from its children and returns it. */
  shiftChild(n: number): number {
    const c = this.firstChild[n]!;
    const next = this.nextSibling[c]!;
    this.firstChild[n] = next;
    if (next === NONE) this.lastChild[n] = NONE;
    this.nextSibling[c] = NONE;
    return c;
  }

  /** Appends c to n's sleep-set entries. */
  pushSlept(n: number, c: number): void {
    this.nextSibling[c] = NONE;
    if (this.firstSlept[n] === NONE) this.firstSlept[n] = c;
    else this.nextSibling[this.lastSlept[n]!] = c;
    this.lastSlept[n] = c;
  }

  /** Returns a node (not in any list any more), its children and its sleep entries to the pool. */
  release(n: number): void {
    this.releaseChildren(n);
    this.releaseSlept(n);
    const had = this.accCount[n]!;
    if (had > 0) this.freeBlock(this.accStart[n]!, had);
    this.accCount[n] = 0;
    this.freeNodes.push(n);
  }

  releaseChildren(n: number): void {
    for (let c = this.firstChild[n]!; c !== NONE; ) {
      const next = this.nextSibling[c]!;
      this.release(c);
      c = next;
    }
    this.firstChild[n] = NONE;
    this.lastChild[n] = NONE;
  }

  releaseSlept(n: number): void {
    for (let c = this.firstSlept[n]!; c !== NONE; ) {
      const next = this.nextSibling[c]!;
      this.release(c);
      c = next;
    }
    this.firstSlept[n] = NONE;
    this.lastSlept[n] = NONE;
  }

  /** Whether two nodes' events have a conflicting pair of accesses. */
  conflict(a: number, b: number): boolean {
    const objs = this.accObj;
    const groups = this.accGroup;
    const aEnd = this.accStart[a]! + this.accCount[a]!;
    const bStart = this.accStart[b]!;
    const bEnd = bStart + this.accCount[b]!;
    for (let x = this.accStart[a]!; x < aEnd; x++) {
      for (let y = bStart; y < bEnd; y++) {
        if (objs[x] === objs[y] && !groupsCommute(groups[x]!, groups[y]!)) return true;
      }
    }
    return false;
  }

  /** Sequence.weakInitial of node n's thread and accesses. */
  weakInitialIn(v: Sequence, n: number): number {
    const from = this.accStart[n]!;
    return v.weakInitial(this.thread[n]!, this.accObj, this.accGroup, from, from + this.accCount[n]!);
  }

  /**
   * Adds v below `at` unless the tree already has a branch that v extends up to equivalence
   * (insert[E](v, wut(E)) of the paper). The caller has already checked sleep(E) against v.
   * Consumes v (marks its events removed).
   */
  insert(at: number, v: Sequence): void {
    let n = at;
    for (;;) {
      let next = NONE;
      for (let c = this.firstChild[n]!; c !== NONE; c = this.nextSibling[c]!) {
        const k = this.weakInitialIn(v, c);
        if (k === -2) continue;
        if (k >= 0) v.remove(k);
        next = c;
        break;
      }
      if (next === NONE) break;
      // why: a leaf means "this event here, then anything"; v then adds no new class
      if (this.firstChild[next] === NONE || v.live === 0) return;
      n = next;
    }
    for (let k = 0; k < v.length; k++) {
      if (v.removed[k]) continue;
      const c = this.node(v.thread[k]!);
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
      const size = Math.max(this.arenaEnd, this.accObj.length * 2);
      this.accObj = atLeast(this.accObj, size);
      this.accGroup = atLeast(this.accGroup, size);
    }
    return start;
  }

  private freeBlock(start: number, count: number): void {
    while (this.freeBlocks.length <= count) this.freeBlocks.push([]);
    this.freeBlocks[count]!.push(start);
  }

  private growNodes(n: number): void {
    const size = Math.max(n, this.thread.length * 2);
    this.thread = atLeast(this.thread, size);
    this.accStart = atLeast(this.accStart, size);
    this.accCount = atLeast(this.accCount, size);
    this.firstChild = atLeast(this.firstChild, size);
    this.lastChild = atLeast(this.lastChild, size);
    this.firstSlept = atLeast(this.firstSlept, size);
    this.lastSlept = atLeast(this.lastSlept, size);
    this.nextSibling = atLeast(this.nextSibling, size);
    this.givenAsleep = atLeast(this.givenAsleep, size);
  }
}

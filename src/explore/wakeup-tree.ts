/**
 * Wakeup trees and the sequences inserted into them (Abdulla, Aronis, Jonsson, Sagonas, "Source
 * Sets: A Foundation for Optimal Dynamic Partial Order Reduction", JACM 2017, section 6).
 *
 * One tree of `Node`s holds the whole search state of `dfs`: the current execution is a path from
 * the root, and the children of the path node at depth k, in order, are wut(E[0..k)) of the paper:
 * the branches still to explore there, the first of them being explored now. A node is one event
 * (thread and accesses); a node whose subtree is done becomes a sleep-set entry of its parent
 * (`slept`), which is where the paper's sleep(E) gains p after exploring E.p.
 *
 * Nodes are pooled, so a search allocates only while the tree grows past its largest size so far.
 */
import { COMMUTE_GROUPS as GROUPS, groupsCommute } from './dependency';

export class Node {
  /** Thread whose event this is; -1 for the root. */
  thread = -1;
  /** The event's accesses as interned object ids and commute groups: objs/groups[0..accesses). */
  readonly objs: number[] = [];
  readonly groups: number[] = [];
  accesses = 0;
  /** Branches still to explore after this event, in exploration order. */
  readonly children: Node[] = [];
  /** Children already explored, each a sleep-set entry for its later siblings. */
  readonly slept: Node[] = [];
  /** A sleep-set entry given with a subtree to explore (DfsOptions.sleeping), not a child here. */
  givenAsleep = false;
}

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
    if (obj >= this.objStamp.length) this.growObjects(obj + 1);
    if (this.objStamp[obj] !== this.stamp) {
      this.objStamp[obj] = this.stamp;
      this.liveCount.fill(0, obj * GROUPS, obj * GROUPS + GROUPS);
    }
    this.liveCount[obj * GROUPS + group]!++;
  }

  /**
   * Whether a thread whose next event has these accesses is a weak initial of the live sequence
   * (p ∈ WI[E](v)): its first event in v has no predecessor in v, or it does not occur in v and
   * its event commutes with all of v. Returns the index of its first event, -1 when it does not
   * occur, or -2 when it is no weak initial.
   */
  weakInitial(thread: number, objs: readonly number[], groups: readonly number[], count: number): number {
    if (thread < this.threadStamp.length && this.threadStamp[thread] === this.stamp && this.firstLive[thread]! >= 0) {
      const k = this.firstLive[thread]!;
      // why: its first event has no program-order predecessor in v, so any predecessor in v
      // is a direct conflict with an earlier live event
      const from = this.accFrom[k]!;
      const to = this.accTo[k]!;
      for (let m = 0; m < k; m++) {
        if (this.removed[m]) continue;
        for (let a = from; a < to; a++) {
          if (this.conflictsWith(this.accObj[a]!, this.accGroup[a]!, m)) return -2;
        }
      }
      return k;
    }
    for (let a = 0; a < count; a++) {
      const o = objs[a]!;
      if (o >= this.objStamp.length || this.objStamp[o] !== this.stamp) continue;
      const g = groups[a]!;
      for (let h = 0; h < GROUPS; h++) {
        if (this.liveCount[o * GROUPS + h]! > 0 && !groupsCommute(g, h)) return -2;
      }
    }
    return -1;
  }

  private conflictsWith(obj: number, group: number, m: number): boolean {
    for (let y = this.accFrom[m]!; y < this.accTo[m]!; y++) {
      if (this.accObj[y] === obj && !groupsCommute(group, this.accGroup[y]!)) return true;
    }
    return false;
  }

  /** Removes event k, the first live event of its thread (weakInitial returned it). */
  remove(k: number): void {
    this.removed[k] = true;
    this.live--;
    this.firstLive[this.thread[k]!] = this.nextOfThread[k]!;
    for (let a = this.accFrom[k]!; a < this.accTo[k]!; a++) this.liveCount[this.accObj[a]! * GROUPS + this.accGroup[a]!]!--;
  }

  private growThreads(n: number): void {
    const size = Math.max(n, this.firstLive.length * 2);
    const f = new Int32Array(size);
    f.set(this.firstLive);
    const s = new Int32Array(size);
    s.set(this.threadStamp);
    this.firstLive = f;
    this.threadStamp = s;
  }

  private growObjects(n: number): void {
    const size = Math.max(n, this.objStamp.length * 2);
    const c = new Int32Array(size * GROUPS);
    c.set(this.liveCount);
    const s = new Int32Array(size);
    s.set(this.objStamp);
    this.liveCount = c;
    this.objStamp = s;
  }
}

export class WakeupTree {
  private readonly free: Node[] = [];
  readonly root: Node = new Node();

  /** A node for an event of `thread`, with no accesses yet. */
  node(thread: number): Node {
    const n = this.free.pop() ?? new Node();
    n.thread = thread;
    n.accesses = 0;
    n.givenAsleep = false;
    return n;
  }

  /** Returns a node, its remaining children and its sleep entries to the pool. */
  release(n: Node): void {
    if (n.children.length > 0) this.releaseAll(n.children);
    if (n.slept.length > 0) this.releaseAll(n.slept);
    this.free.push(n);
  }

  /** Releases every node of a list and empties it. */
  releaseAll(nodes: Node[]): void {
    for (let k = 0; k < nodes.length; k++) this.release(nodes[k]!);
    // why: `length = 0` is a V8 runtime call that drops the backing store, and the node's next
    // pushes would allocate it again
    while (nodes.length > 0) nodes.pop();
  }

  /**
   * Adds v below `at` unless the tree already has a branch that v extends up to equivalence
   * (insert[E](v, wut(E)) of the paper). The caller has already checked sleep(E) against v.
   * Consumes v (marks its events removed).
   */
  insert(at: Node, v: Sequence): void {
    let n = at;
    for (;;) {
      let next: Node | null = null;
      for (const c of n.children) {
        const k = v.weakInitial(c.thread, c.objs, c.groups, c.accesses);
        if (k === -2) continue;
        if (k >= 0) v.remove(k);
        next = c;
        break;
      }
      if (next === null) break;
      // why: a leaf means "this event here, then anything"; v then adds no new class
      if (next.children.length === 0 || v.live === 0) return;
      n = next;
    }
    for (let k = 0; k < v.length; k++) {
      if (v.removed[k]) continue;
      const c = this.node(v.thread[k]!);
      for (let a = v.accFrom[k]!; a < v.accTo[k]!; a++) {
        c.objs[c.accesses] = v.accObj[a]!;
        c.groups[c.accesses++] = v.accGroup[a]!;
      }
      n.children.push(c);
      n = c;
    }
  }
}

/** Whether two nodes' events have a conflicting pair of accesses. */
export function nodesConflict(a: Node, b: Node): boolean {
  for (let x = 0; x < a.accesses; x++) {
    for (let y = 0; y < b.accesses; y++) {
      if (a.objs[x] === b.objs[y] && !groupsCommute(a.groups[x]!, b.groups[y]!)) return true;
    }
  }
  return false;
}

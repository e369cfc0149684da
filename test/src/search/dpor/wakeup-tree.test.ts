/**
 * The wakeup tree's own bookkeeping: child and sleep lists, recycled nodes and access blocks, and
 * insert[E](v, wut(E)) of Abdulla et al. on small hand-made sequences.
 */
import { describe, expect, it } from 'vitest';
import { EXCLUSIVE, READS } from '../../../../src/search/dpor/dependency';
import { NONE, Sequence, WakeupTree } from '../../../../src/search/dpor/wakeup-tree';

/** An event: its thread and (object, group) accesses. */
type Ev = readonly [thread: number, ...accesses: (readonly [number, number])[]];

function sequence(events: readonly Ev[]): Sequence {
  const v = new Sequence();
  for (const [thread, ...accesses] of events) {
    v.push(thread);
    for (const [o, g] of accesses) v.access(o, g);
  }
  return v;
}

function node(tree: WakeupTree, [thread, ...accesses]: Ev): number {
  const n = tree.node(thread);
  tree.setAccesses(n, accesses.map((a) => a[0]), accesses.map((a) => a[1]), 0, accesses.length);
  return n;
}

function children(tree: WakeupTree, n: number): number[] {
  const out: number[] = [];
  for (let c = tree.firstChild(n); c !== NONE; c = tree.nextSibling(c)) out.push(c);
  return out;
}

/** The tree below n as nested [thread, children] lists, for readable expectations. */
function shape(tree: WakeupTree, n: number): unknown[] {
  return children(tree, n).map((c) => [tree.threadOf(c), shape(tree, c)]);
}

const W = EXCLUSIVE;
const R = READS;

describe('WakeupTree lists', () => {
  it('keeps children in exploration order; shiftChild takes the first', () => {
    const tree = new WakeupTree();
    const [a, b, c] = [node(tree, [0]), node(tree, [1]), node(tree, [2])];
    for (const x of [a, b, c]) tree.pushChild(tree.root, x);
    expect(children(tree, tree.root)).toEqual([a, b, c]);
    expect(tree.shiftChild(tree.root)).toBe(a);
    expect(children(tree, tree.root)).toEqual([b, c]);
    tree.pushSlept(tree.root, a);
    expect(tree.firstSlept(tree.root)).toBe(a);
    expect(tree.nextSibling(a)).toBe(NONE);
    expect(tree.shiftChild(tree.root)).toBe(b);
    expect(tree.shiftChild(tree.root)).toBe(c);
    expect(tree.hasChildren(tree.root)).toBe(false);
  });

  it('recycles released nodes, their subtrees and their access blocks', () => {
    const tree = new WakeupTree();
    const a = node(tree, [0, [3, W], [4, R]]);
    const b = node(tree, [1, [5, W]]);
    tree.pushChild(tree.root, a);
    tree.pushChild(a, b);
    const aStart = tree.accStartOf(a);
    tree.releaseChildren(tree.root);
    expect(tree.hasChildren(tree.root)).toBe(false);
    // both come back from the pool, and a two-access block is reused by a two-access node
    const c = node(tree, [2, [6, W], [7, W]]);
    const d = node(tree, [3]);
    expect([c, d].sort((x, y) => x - y)).toEqual([a, b].sort((x, y) => x - y));
    expect(tree.accStartOf(c)).toBe(aStart);
    expect([tree.accObj[aStart], tree.accObj[aStart + 1]]).toEqual([6, 7]);
    expect(tree.hasChildren(c) || tree.hasChildren(d)).toBe(false);
    expect(tree.isGivenAsleep(c) || tree.isGivenAsleep(d)).toBe(false);
  });

  it('conflict: some pair of accesses to one object that do not commute', () => {
    const tree = new WakeupTree();
    expect(tree.conflict(node(tree, [0, [1, R]]), node(tree, [1, [1, R]]))).toBe(false);
    expect(tree.conflict(node(tree, [0, [1, R]]), node(tree, [1, [1, W]]))).toBe(true);
    expect(tree.conflict(node(tree, [0, [1, W]]), node(tree, [1, [2, W]]))).toBe(false);
    expect(tree.conflict(node(tree, [0, [2, R], [1, W]]), node(tree, [1, [1, R]]))).toBe(true);
  });
});

describe('WakeupTree.insert', () => {
  it('adds v as a new branch when no branch starts with a weak initial of it', () => {
    const tree = new WakeupTree();
    tree.pushChild(tree.root, node(tree, [0, [0, W]]));
    tree.insert(tree.root, sequence([[1, [0, W]], [2, [1, W]]]));
    expect(shape(tree, tree.root)).toEqual([[0, []], [1, [[2, []]]]]);
  });

  it('adds nothing below a leaf: a leaf means "this event, then anything"', () => {
    const tree = new WakeupTree();
    tree.pushChild(tree.root, node(tree, [1, [0, W]]));
    tree.insert(tree.root, sequence([[1, [0, W]], [2, [1, W]]]));
    expect(shape(tree, tree.root)).toEqual([[1, []]]);
  });

  it('goes down a branch whose thread is a weak initial of v, and adds the rest there', () => {
    const tree = new WakeupTree();
    const a = node(tree, [1, [0, W]]);
    tree.pushChild(tree.root, a);
    // thread 3 writes what v's thread 2 writes, so its branch cannot take v
    tree.pushChild(a, node(tree, [3, [1, W]]));
    // thread 1 runs first in v after thread 2's independent event: v \ 1 = 2 . 0
    tree.insert(tree.root, sequence([[2, [1, W]], [1, [0, W]], [0, [1, R]]]));
    expect(shape(tree, tree.root)).toEqual([[1, [[3, []], [2, [[0, []]]]]]]);
  });

  it('a branch whose event conflicts with an earlier event of v is not a weak initial', () => {
    const tree = new WakeupTree();
    const a = node(tree, [1, [0, W]]);
    tree.pushChild(tree.root, a);
    tree.pushChild(a, node(tree, [3, [0, R]]));
    // thread 1's event in v comes after thread 2's write to object 0
    tree.insert(tree.root, sequence([[2, [0, W]], [1, [0, W]]]));
    expect(shape(tree, tree.root)).toEqual([
      [1, [[3, []]]],
      [2, [[1, []]]],
    ]);
  });

  it('a branch of a thread absent from v matches when its event commutes with all of v', () => {
    const tree = new WakeupTree();
    const a = node(tree, [4, [9, R]]);
    tree.pushChild(tree.root, a);
    tree.pushChild(a, node(tree, [3, [8, R]]));
    tree.insert(tree.root, sequence([[2, [9, R]], [1, [8, W]]]));
    expect(shape(tree, tree.root)).toEqual([[4, [[3, []], [2, [[1, []]]]]]]);
    // a write to object 9 in v makes thread 4's read no weak initial
    tree.insert(tree.root, sequence([[5, [9, W]]]));
    expect(shape(tree, tree.root)).toEqual([
      [4, [[3, []], [2, [[1, []]]]]],
      [5, []],
    ]);
  });
});

describe('Sequence.weakInitial', () => {
  it('sees a conflicting earlier event until it is removed; reads commute among themselves', () => {
    const v = sequence([[1, [0, W]], [2, [0, R]], [3, [0, R]], [4, [0, W]]]);
    const probe = (thread: number): number => v.weakInitial(thread, new Int32Array(0), new Int32Array(0), 0, 0);
    expect([probe(1), probe(2), probe(3), probe(4)]).toEqual([0, -2, -2, -2]);
    v.remove(0);
    expect([probe(2), probe(3), probe(4)]).toEqual([1, 2, -2]);
    v.remove(2);
    expect([probe(2), probe(4)]).toEqual([1, -2]);
    v.remove(1);
    expect(probe(4)).toBe(3);
    expect(v.live).toBe(1);
  });

  it('a thread absent from v: -1 when its accesses commute with the live events, else -2', () => {
    const v = sequence([[1, [0, R]], [2, [1, W]]]);
    const ask = (o: number, g: number): number => v.weakInitial(7, Int32Array.of(o), Int32Array.of(g), 0, 1);
    expect([ask(0, R), ask(0, W), ask(1, R), ask(2, W)]).toEqual([-1, -2, -2, -1]);
    v.remove(1);
    expect(ask(1, R)).toBe(-1);
  });
});

/**
 * Programs on which dfs once lost classes, found by the random differential tests with longer
 * programs than `npm test` runs by default (WEFT_DIFF_STEPS=9). Each is checked against plain
 * enumeration, whole and split.
 */
import { describe, expect, it } from 'vitest';
import { DfsStrategy } from '../../../../src/search/strategies/dfs';
import { DEFAULT_LIMITS } from '../../../../src/search/explorer';
import { ExhaustiveStrategy } from '../../../../src/search/strategies/exhaustive';
import { partitionSearch, type PartitionRule } from '../../../../src/distribute/partition';
import type { Scenario } from '../../../../src/runtime/scenario';
import { collect } from '../collect';
import { program, type Instr } from '../random-programs';
import { program as threadsProgram } from '../../../helpers/program';
import { cellsAndLocks, step, writeCell, type World } from '../cells-and-locks';
import { awaitUntil } from '../../../../models/await';
import { choose } from '../../../../models/choose';

const w = (cell: number): Instr => ({ kind: 'write', cell, value: 1 });
const r = (cell: number): Instr => ({ kind: 'read', cell, skip: false });
const lock: Instr = { kind: 'lock', lock: 0 };
const unlock: Instr = { kind: 'unlock', lock: 0 };

function classesOf(p: Scenario): string[] {
  return [...new Set(collect(p, 'main', new ExhaustiveStrategy()).classes)].sort();
}

function split(p: Scenario, rule: PartitionRule): string[] {
  const out: string[] = [];
  for (const part of partitionSearch(p, p.variants.main!, p.params, DEFAULT_LIMITS, true, rule)) {
    out.push(...collect(p, 'main', new DfsStrategy({ prefix: part.prefix, sleeping: part.sleeping })).classes);
  }
  return out.sort();
}

describe('dfs regressions', () => {
  // Two of the 32 classes were lost when v = notdep(e, E).e' was taken only over the events before
  // e' and each race was reversed once: the race of t0's write with t2's was reversed in an
  // execution where t3 and t1 wrote c1 after it, so the sequence went to the branch of t2, where
  // t3 and t1 sleep, instead of the branch of t3.
  const lockAndWrites = program('lock-and-writes', [[w(0)], [w(1)], [lock, w(0), w(1), unlock], [w(1), r(1), lock, unlock]], {
    cells: 2,
    locks: 1,
    invariant: false,
  });

  it('a lock program of four threads: every class, once (notdep over the whole execution)', () => {
    const want = classesOf(lockAndWrites);
    expect(want).toHaveLength(32);
    expect([...collect(lockAndWrites, 'main', new DfsStrategy()).classes].sort()).toEqual(want);
  });

  // A deadlocked class was lost by the split: in the partition of t1, the execution where t2 takes
  // the lock for good ends with only the sleeping t0 runnable, and t3's blocked acquisition raced
  // nothing because abandoned executions did not race their pending ops.
  const heldForever = program('held-forever', [[r(0), w(1)], [lock, unlock], [lock, r(1)], [lock, w(0)]], {
    cells: 2,
    locks: 1,
    invariant: false,
  });

  it('threads that return holding a lock: a split search finds every deadlocked class', () => {
    const want = classesOf(heldForever);
    expect(want).toContain('113300!deadlock');
    expect([...collect(heldForever, 'main', new DfsStrategy()).classes].sort()).toEqual(want);
    expect(split(heldForever, { partitionsMin: 2, depthMax: 1, probeExecutions: 0 })).toEqual(want);
    expect(split(lockAndWrites, { partitionsMin: 6, depthMax: 3, probeExecutions: 0 })).toEqual(classesOf(lockAndWrites));
  });

  // A class was lost by a wait over two cells (t2's, on c1 or c0 set). In 0 1 0 1 2, its race with
  // t0's `c1 = 2` walked back to t1's `c1 = 1`, where every change of the two cells since is
  // removed and t2 could run, and kept that point alone, dropping the later one where it was not
  // known: but there t1's `c0 = 2` stays, and t2 running after it and before `c1 = 2` (0 1 1 2 0)
  // is a class of its own. One object's walk meets this only where its changes commute
  // (rcu_read_lock beside rcu_read_unlock, which dfs-rcu-differential pins).
  it('a wait over two objects: an undecided point stays beside the runnable one before it', () => {
    const p = threadsProgram<World>({
      setup: () => cellsAndLocks(2, 0, false),
      threads: {
        t0: function* (x) {
          yield* writeCell(x.cells[1]!, 1);
          yield* writeCell(x.cells[1]!, 2);
        },
        t1: function* (x) {
          yield* writeCell(x.cells[1]!, 1);
          yield* writeCell(x.cells[0]!, 2);
        },
        t2: function* (x) {
          const [c, other] = [x.cells[1]!, x.cells[0]!];
          const alsoTouches = [{ object: other, access: 'read' as const, readByEnabled: true }];
          yield* step<number>({ object: c, access: 'read', label: 'await c1 or c0', alsoTouches, enabled: () => c.value !== 0 || other.value !== 0, run: () => c.value });
        },
      },
    });
    const want = classesOf(p);
    expect(want).toHaveLength(15);
    expect([...collect(p, 'main', new DfsStrategy()).classes].sort()).toEqual(want);
  });

  // A class was lost by an await whose condition reads a local that its thread sets after the
  // wait. In c=1 c=0 (read y) await, the wait's race with c=0 is decided on copies, and was decided
  // after the thread had resumed and set want = 7: no copy met c === 7, so no point was runnable,
  // and the await at the start (before c=1) was never tried. The scheduler now decides before the
  // thread resumes (execution.ts), where want is still what the wait was announced with.
  it("an await's condition is decided with the locals it closes over as they were at the wait", () => {
    const p = threadsProgram<World>({
      setup: () => cellsAndLocks(2, 0, false),
      threads: {
        w: function* (x) {
          yield* writeCell(x.cells[0]!, 1);
          yield* writeCell(x.cells[0]!, 0);
        },
        a: function* (x) {
          let want = 0;
          yield* step<number>({ object: x.cells[1]!, access: 'read', label: 'read c1', run: () => x.cells[1]!.value });
          yield* awaitUntil(x.cells[0]!, (c) => c.value === want);
          want = 7;
          yield* step<number>({ object: x.cells[1]!, access: 'read', label: `read c1 (${want})`, run: () => x.cells[1]!.value });
        },
      },
    });
    const want = classesOf(p);
    expect(want).toHaveLength(2);
    expect([...collect(p, 'main', new DfsStrategy()).classes].sort()).toEqual(want);
  });

  // A class was lost by a wait over two cells that stopped its walk at the latest point where it
  // could run. In 0 0 1 1 0 (t0: c0 = 2, c0 = 0; t1: c1 = 2, c1 = 0; t0: c1 = 0) t2 is left
  // waiting; its walk back from t0's c1 = 0 found it runnable before t1's c1 = 0 and stopped. But
  // before t0's c0 = 0, with t1's two writes kept, it can run too, and that (0 1 1 2 0 0) is a
  // class no branch of the later point reaches: there t1's c1 = 0 comes after the wait, so
  // reversing the wait's race with c0 = 0 leaves it out. The walk over several objects now goes
  // on past a runnable point.
  it('a wait over two objects: the walk goes on past the latest runnable point', () => {
    const p = threadsProgram<World>({
      setup: () => cellsAndLocks(2, 0, false),
      threads: {
        t0: function* (x) {
          yield* writeCell(x.cells[0]!, 2);
          yield* writeCell(x.cells[0]!, 0);
          yield* writeCell(x.cells[1]!, 0);
        },
        t1: function* (x) {
          yield* writeCell(x.cells[1]!, 2);
          yield* writeCell(x.cells[1]!, 0);
        },
        t2: function* (x) {
          const [c, other] = [x.cells[0]!, x.cells[1]!];
          const alsoTouches = [{ object: other, access: 'read' as const, readByEnabled: true }];
          yield* step<number>({ object: c, access: 'read', label: 'await c0 or c1', alsoTouches, enabled: () => c.value !== 0 || other.value !== 0, run: () => c.value });
        },
      },
    });
    const want = classesOf(p);
    expect(want).toHaveLength(14);
    expect(want).toContain('011200');
    expect([...collect(p, 'main', new DfsStrategy()).classes].sort()).toEqual(want);
  });

  // A class was lost past a choose(2). The t1-first branch found, with t2 choosing 1, the race of
  // t1's and t0's writes of c0 and reversed it at the root: t2 (choosing 1), then t0. But the root
  // already had a leaf for t2, put there by an execution where t2 chose 0, and a leaf "covers"
  // what starts with it; when t2's branch was explored, value 1 started afresh with t1 asleep, and
  // no reversal there could put t0 before t1. Each value of a choice is now a node of its own
  // (dfs.ts pick), so the sequence follows, or makes, the node of its own value.
  it('a wakeup sequence through a choose(n) node of another value is kept for its own value', () => {
    const p = threadsProgram<World>({
      setup: () => cellsAndLocks(2, 0, false),
      threads: {
        t0: function* (x) {
          yield* step<number>({ object: x.cells[1]!, access: 'read', label: 'await c1', enabled: () => x.cells[1]!.value !== 0, run: () => x.cells[1]!.value });
          yield* writeCell(x.cells[0]!, 1);
        },
        t1: function* (x) {
          yield* writeCell(x.cells[0]!, 1);
        },
        t2: function* (x) {
          yield* writeCell(x.cells[yield* choose(2)]!, 2);
          yield* writeCell(x.cells[1]!, 1);
        },
      },
    });
    const want = classesOf(p);
    expect(want).toHaveLength(7);
    expect(want).toContain('222001|//1');
    expect([...collect(p, 'main', new DfsStrategy()).classes].sort()).toEqual(want);
  });

  // A class was lost where a wakeup sequence put a choice: t1's second choice ran at a point the
  // sequence made, with the value it had had there (0), and its value 1 at that point, a class of
  // its own, was never tried (the fresh choice's sibling for 1 was elsewhere, in another class).
  // Every value now gets its node wherever the choice runs.
  it('a choice a wakeup sequence brings to a new point gets every value there', () => {
    const p = threadsProgram<World>({
      setup: () => cellsAndLocks(2, 0, false),
      threads: {
        t0: function* (x) {
          yield* writeCell(x.cells[0]!, 1);
          yield* writeCell(x.cells[1]!, 1);
        },
        t1: function* (x) {
          yield* writeCell(x.cells[yield* choose(2)]!, 2);
          yield* writeCell(x.cells[yield* choose(2)]!, 2);
          yield* step<number>({ object: x.cells[0]!, access: 'read', label: 'read c0', run: () => x.cells[0]!.value });
        },
        t2: function* (x) {
          const c = x.cells[yield* choose(2)]!;
          yield* step<number>({ object: c, access: 'read', label: `await ${c.name}`, enabled: () => c.value !== 0, run: () => c.value });
        },
      },
    });
    const want = classesOf(p);
    expect(want).toHaveLength(68);
    expect(want).toContain('111110022|/1.1/0');
    expect([...collect(p, 'main', new DfsStrategy()).classes].sort()).toEqual(want);
  });
});

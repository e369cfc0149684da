/**
 * Seeded random programs whose threads block: awaits on a cell that another thread sets (the shape
 * of wait_event), locks (with self-deadlocks and lock-order deadlocks), and an invariant that
 * often needs a preemption. Small enough for plain enumeration to be the oracle.
 */
import { awaitUntil } from '../../../models/await';
import { cellsAndLocks, lock, step, unlock, writeCell, type World } from './cells-and-locks';
import { defineScenario, type Scenario, type ThreadBody } from '../../../src/runtime/scenario';


type Instr =
  | { kind: 'write'; cell: number; value: number }
  | { kind: 'await'; cell: number; both?: 'and' | 'or' }
  | { kind: 'lock' | 'unlock'; lock: number };

function body(instrs: readonly Instr[], copies: boolean): ThreadBody<World> {
  return function* (w) {
    for (const ins of instrs) {
      if (ins.kind === 'write') {
        yield* writeCell(w.cells[ins.cell]!, ins.value);
      } else if (ins.kind === 'await' && ins.both !== undefined) {
        const [c, other] = [w.cells[ins.cell]!, w.cells[1 - ins.cell]!];
        const holds = ins.both === 'and' ? (a: number, b: number) => a !== 0 && b !== 0 : (a: number, b: number) => a !== 0 || b !== 0;
        if (copies) yield* awaitUntil([c, other], ([a, b]) => holds(a.value, b.value), { read: ([a]) => a.value });
        else {
          const alsoTouches = [{ object: other, access: 'read' as const, readByEnabled: true }];
          const label = `await ${c.name} ${ins.both} ${other.name}`;
          yield* step<number>({ object: c, access: 'read', label, alsoTouches, enabled: () => holds(c.value, other.value), run: () => c.value });
        }
      } else if (ins.kind === 'await' && copies) {
        yield* awaitUntil(w.cells[ins.cell]!, (c) => c.value !== 0, { read: (c) => c.value });
      } else if (ins.kind === 'await') {
        // why a read gated on its own object: a wait for a condition, the shape of wait_event
        const c = w.cells[ins.cell]!;
        const enabledAt = c.stateKey === undefined ? undefined : (value: number) => value !== 0;
        yield* step<number>({ object: c, access: 'read', label: `await ${c.name}`, enabled: () => c.value !== 0, enabledAt, run: () => c.value });
      } else if (ins.kind === 'lock') {
        yield* lock(w.locks[ins.lock]!, copies);
      } else {
        yield* unlock(w.locks[ins.lock]!);
      }
    }
  };
}

/**
 * 2–3 threads, at most 8 steps in all, over 2 cells and 0–2 locks. Writes store 0, 1 or 2, so a
 * cell can be set and reset; the invariant (both cells 2 at once) then often needs a preemption
 * between a thread's set and its reset, and awaits wait for a cell another thread sets.
 *
 * The invariant declares no `observes`, so it orders every pair of writes (the whole-world
 * observer); `invariant: false` leaves it out, and writes to different cells commute. `keyed:
 * false` leaves out the cells' and locks' stateKey and the waits' enabledAt (cells-and-locks.ts);
 * `copies` leaves them out too, but writes the awaits with awaitUntil and gives the lock
 * acquisitions an enabledOn, so the waits are decided on copies of the objects' data
 * (Op.enabledOn). `several`: half the awaits wait on both cells (both nonzero, or either), as
 * awaitUntil over two objects with `copies` and as an opaque wait reading both without. The same
 * rng gives the same threads in every case but `several`.
 */
export function randomBlockingProgram(
  rng: () => number,
  index: number,
  options: { readonly invariant?: boolean; readonly keyed?: boolean; readonly copies?: boolean; readonly several?: boolean } = {},
): Scenario {
  const copies = options.copies ?? false;
  const pick = (n: number) => Math.floor(rng() * n);
  const locks = pick(3);
  const threadCount = 2 + pick(2);
  let budget = 8;
  const lists: Instr[][] = [];
  for (let t = 0; t < threadCount; t++) {
    const length = Math.max(1, Math.min(1 + pick(4), budget - (threadCount - t - 1)));
    budget -= length;
    const instrs: Instr[] = [];
    const held: number[] = [];
    while (instrs.length < length) {
      const r = rng();
      if (held.length > 0 && r < 0.35) instrs.push({ kind: 'unlock', lock: held.pop()! });
      else if (locks > 0 && r < 0.55) {
        const l = pick(locks);
        // why not always: re-taking a held lock self-deadlocks, a blocking shape worth keeping rare
        if (held.includes(l) && rng() < 0.8) continue;
        held.push(l);
        instrs.push({ kind: 'lock', lock: l });
      } else if (r < 0.7) instrs.push({ kind: 'await', cell: pick(2) });
      else instrs.push({ kind: 'write', cell: pick(2), value: pick(3) });
    }
    if (rng() < 0.7) while (held.length > 0) instrs.push({ kind: 'unlock', lock: held.pop()! });
    lists.push(instrs);
  }
  // why: an await no other thread can satisfy deadlocks every schedule at once, which says nothing
  // of preemptions; mostly make it a write instead
  lists.forEach((instrs, t) =>
    instrs.forEach((ins, k) => {
      if (ins.kind !== 'await') return;
      const someoneSets = lists.some((other, u) => u !== t && other.some((o) => o.kind === 'write' && o.cell === ins.cell && o.value !== 0));
      if (!someoneSets && rng() < 0.9) instrs[k] = { kind: 'write', cell: ins.cell, value: 2 };
      else if (options.several && rng() < 0.5) instrs[k] = { ...ins, both: rng() < 0.5 ? 'and' : 'or' };
    }),
  );
  const threads: Record<string, ThreadBody<World>> = {};
  lists.forEach((instrs, t) => (threads[`t${t}`] = body(instrs, copies)));
  return defineScenario<World>({
    id: `blocking-${index}`,
    title: 'random blocking program',
    commits: [],
    setup: () => cellsAndLocks(2, locks, !copies && (options.keyed ?? true)),
    variants: {
      main: {
        summary: 'random',
        invariants:
          options.invariant === false
            ? []
            : [{ id: 'not-both-two', description: 'the cells are never both 2', check: (w) => (w.cells[0]!.value === 2 && w.cells[1]!.value === 2 ? 'both are 2' : true) }],
        threads,
      },
    },
  });
}

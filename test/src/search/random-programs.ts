/**
 * Seeded random programs for the differential tests: 2–4 threads over cells and locks, with reads
 * that branch, deadlocks and invariants, small enough for plain enumeration to be the oracle.
 */
import { cellsAndLocks, lock, step, unlock, writeCell, type World } from './cells-and-locks';
import { defineScenario, type Invariant, type Scenario, type ThreadBody } from '../../../src/runtime/scenario';


/** Test timeout of a differential run: a bigger local sample (WEFT_DIFF_PROGRAMS / _STEPS) takes many minutes. */
export const DIFF_TIMEOUT_MS = process.env.WEFT_DIFF_PROGRAMS || process.env.WEFT_DIFF_STEPS ? 3_600_000 : 120_000;

/**
 * One thread's instruction; a `skip` read skips the next instruction when it reads an odd value; a
 * write with `also` writes that second cell too, declared in `alsoTouches`.
 */
export type Instr =
  | { kind: 'read'; cell: number; skip: boolean }
  | { kind: 'write'; cell: number; value: number; also?: number }
  | { kind: 'lock' | 'unlock'; lock: number };

function body(instrs: readonly Instr[]): ThreadBody<World> {
  return function* (w) {
    for (let k = 0; k < instrs.length; k++) {
      const ins = instrs[k]!;
      if (ins.kind === 'read') {
        const c = w.cells[ins.cell]!;
        const v = yield* step<number>({ object: c, access: 'read', label: `r ${c.name}`, run: () => c.value });
        if (ins.skip && v % 2 === 1 && instrs[k + 1]?.kind !== 'unlock') k++;
      } else if (ins.kind === 'write' && ins.also !== undefined) {
        const c = w.cells[ins.cell]!;
        const d = w.cells[ins.also]!;
        yield* step<void>({
          object: c,
          access: 'write',
          label: `w ${c.name} ${d.name}`,
          alsoTouches: [{ object: d, access: 'write' }],
          run: () => void (c.value = d.value = ins.value),
        });
      } else if (ins.kind === 'write') {
        yield* writeCell(w.cells[ins.cell]!, ins.value);
      } else if (ins.kind === 'lock') {
        yield* lock(w.locks[ins.lock]!);
      } else {
        yield* unlock(w.locks[ins.lock]!);
      }
    }
  };
}

// why 7: plain enumeration is the oracle and factorial in the total; WEFT_DIFF_STEPS raises it for
// a longer local run, as WEFT_DIFF_PROGRAMS and WEFT_DIFF_SEED change the sample
const TOTAL_STEPS_MAX = Number(process.env.WEFT_DIFF_STEPS ?? 7);

/** 2–4 threads of 1–5 instructions (at most TOTAL_STEPS_MAX in all) over 1–3 shared objects (cells and locks); a lock is mostly released by its thread. */
export function randomProgram(rng: () => number, index: number): Scenario {
  const pick = (n: number) => Math.floor(rng() * n);
  const objects = 1 + pick(3);
  const lockCount = pick(objects + 1) >= objects ? 0 : pick(Math.min(2, objects) + 1);
  const cellCount = Math.max(1, objects - lockCount);
  const threads: Instr[][] = [];
  const threadCount = 2 + pick(3);
  let budget = TOTAL_STEPS_MAX;
  for (let t = 0; t < threadCount; t++) {
    // why: plain enumeration is the oracle, and it is factorial in the total length
    const length = Math.max(1, Math.min(1 + pick(5), budget - (threadCount - t - 1)));
    budget -= length;
    const instrs: Instr[] = [];
    const held: number[] = [];
    while (instrs.length < length) {
      const room = length - instrs.length;
      const r = rng();
      if (held.length > 0 && (r < 0.3 || room <= held.length - 1)) {
        instrs.push({ kind: 'unlock', lock: held.pop()! });
      } else if (lockCount > 0 && r < 0.55 && room >= held.length + 2) {
        const free = [...Array(lockCount).keys()].filter((l) => !held.includes(l));
        if (free.length === 0) continue;
        const l = free[pick(free.length)]!;
        held.push(l);
        instrs.push({ kind: 'lock', lock: l });
      } else if (rng() < 0.5) {
        instrs.push({ kind: 'read', cell: pick(cellCount), skip: rng() < 0.3 });
      } else {
        instrs.push({ kind: 'write', cell: pick(cellCount), value: 1 + pick(2) });
      }
    }
    // why sometimes not: a thread that returns holding a lock blocks the others for good, so
    // deadlocks (ended executions with blocked threads) are compared too
    if (rng() < 0.8) while (held.length > 0) instrs.push({ kind: 'unlock', lock: held.pop()! });
    threads.push(instrs);
  }
  // why: a multi-object invariant sees intermediate states, which differ between equivalent
  // interleavings; a third of the programs carry one to test the observer rule
  return program(`random-${index}`, threads, { cells: cellCount, locks: lockCount, invariant: rng() < 0.33 });
}

/**
 * An invariant of an observed program: the objects it reads (cells by value, locks by owner, -1
 * when free) must never hold `forbidden` at once. It declares them in `observes`.
 */
export interface TupleInvariant {
  readonly objects: readonly { readonly kind: 'cell' | 'lock'; readonly index: number }[];
  readonly forbidden: readonly number[];
}

/**
 * Seeded programs for the observer differential test: 2–4 threads of at most `totalSteps` steps over
 * 2–4 objects (cells, at most two locks), some writes of two cells at once, and 1–3 invariants
 * over 1–2 objects each that forbid one tuple of values (values the program can make, never the
 * initial tuple).
 */
export function observedProgram(rng: () => number, index: number, totalSteps: number): Scenario {
  const pick = (n: number) => Math.floor(rng() * n);
  const objects = 2 + pick(3);
  const lockCount = Math.min(pick(3), objects - 1);
  const cellCount = objects - lockCount;
  const threadCount = 2 + pick(3);
  const threads: Instr[][] = [];
  let budget = totalSteps;
  for (let t = 0; t < threadCount; t++) {
    const length = Math.max(1, Math.min(1 + pick(3), budget - (threadCount - t - 1)));
    budget -= length;
    const instrs: Instr[] = [];
    const held: number[] = [];
    while (instrs.length < length) {
      const room = length - instrs.length;
      const r = rng();
      if (held.length > 0 && (r < 0.3 || room <= held.length)) {
        instrs.push({ kind: 'unlock', lock: held.pop()! });
      } else if (lockCount > 0 && r < 0.5 && room >= held.length + 2 && held.length < lockCount) {
        const free = [...Array(lockCount).keys()].filter((l) => !held.includes(l));
        const l = free[pick(free.length)]!;
        held.push(l);
        instrs.push({ kind: 'lock', lock: l });
      } else if (rng() < 0.4) {
        instrs.push({ kind: 'read', cell: pick(cellCount), skip: rng() < 0.3 });
      } else {
        const cell = pick(cellCount);
        const also = cellCount > 1 && rng() < 0.2 ? (cell + 1 + pick(cellCount - 1)) % cellCount : undefined;
        instrs.push({ kind: 'write', cell, value: 1 + pick(2), ...(also === undefined ? {} : { also }) });
      }
    }
    threads.push(instrs);
  }
  const invariants: TupleInvariant[] = [];
  for (let n = 1 + pick(3); invariants.length < n; ) {
    const all: TupleInvariant['objects'][number][] = [...Array(cellCount).keys()].map((i) => ({ kind: 'cell', index: i }));
    for (let l = 0; l < lockCount; l++) all.push({ kind: 'lock', index: l });
    const first = all.splice(pick(all.length), 1)[0]!;
    const chosen = rng() < 0.6 && all.length > 0 ? [first, all[pick(all.length)]!] : [first];
    const forbidden = chosen.map((o) => (o.kind === 'cell' ? pick(3) : pick(threadCount + 1) - 1));
    // why: an invariant must hold before the first step (the runner rejects one that does not)
    if (forbidden.every((v, i) => v === (chosen[i]!.kind === 'cell' ? 0 : -1))) forbidden[0] = chosen[0]!.kind === 'cell' ? 1 + pick(2) : pick(threadCount);
    invariants.push({ objects: chosen, forbidden });
  }
  return program(`observed-${index}`, threads, { cells: cellCount, locks: lockCount, invariant: false, tuples: invariants });
}

function tupleInvariant(inv: TupleInvariant, k: number): Invariant<World> {
  const name = (o: TupleInvariant['objects'][number]) => (o.kind === 'cell' ? `c${o.index}` : `l${o.index}`);
  const id = `tuple-${k}`;
  const what = inv.objects.map((o, i) => `${name(o)} = ${inv.forbidden[i]}`).join(', ');
  return {
    id,
    description: `never ${what}`,
    observes: inv.objects.map((o) => ({ name: name(o) })),
    check: (w) => {
      for (let i = 0; i < inv.objects.length; i++) {
        const o = inv.objects[i]!;
        const v = o.kind === 'cell' ? w.cells[o.index]!.value : w.locks[o.index]!.owner;
        if (v !== inv.forbidden[i]) return true;
      }
      return what;
    },
  };
}

/** A program of the random kind from explicit instructions, one list per thread. */
export function program(
  id: string,
  instrs: readonly (readonly Instr[])[],
  shape: { cells: number; locks: number; invariant: boolean; tuples?: readonly TupleInvariant[] },
): Scenario {
  const threads: Record<string, ThreadBody<World>> = {};
  instrs.forEach((list, t) => (threads[`t${t}`] = body(list)));
  const invariants: Invariant<World>[] = shape.invariant
    ? [{ id: 'sum-not-three', description: 'cells never sum to 3', check: (w) => (w.cells.reduce((s, c) => s + c.value, 0) === 3 ? 'sum is 3' : true) }]
    : [];
  (shape.tuples ?? []).forEach((t, k) => invariants.push(tupleInvariant(t, k)));
  return defineScenario<World>({
    id,
    title: 'random program',
    commits: [],
    setup: () => cellsAndLocks(shape.cells, shape.locks),
    variants: { main: { summary: 'random', expect: 'holds', invariants, threads } },
  });
}

/**
 * A fault ends its execution, so the faulting step does not commute with what the other threads
 * would have done after it. Differential test on seeded random programs whose reads can hit a
 * BUG_ON: dfs reaches every violation (check and message) that plain enumeration reaches.
 */
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { bugOn } from '../../../../src/runtime/errors';
import { defineScenario, type Scenario, type ThreadBody } from '../../../../src/runtime/scenario';
import { DfsStrategy } from '../../../../src/search/strategies/dfs';
import { ExhaustiveStrategy } from '../../../../src/search/strategies/exhaustive';
import { cellsAndLocks, lock, step, unlock, writeCell, type World } from '../cells-and-locks';
import { collect } from '../collect';

const PROGRAMS = Number(process.env.WEFT_DIFF_PROGRAMS ?? 3_000);
const SEED = process.env.WEFT_DIFF_SEED ?? 'weft-dpor-fault-1';

type Instr =
  | { kind: 'write'; cell: number; value: number }
  | { kind: 'bug-on'; cell: number; value: number }
  | { kind: 'lock' | 'unlock'; lock: number };

function body(name: string, instrs: readonly Instr[]): ThreadBody<World> {
  return function* (w) {
    for (const [k, ins] of instrs.entries()) {
      if (ins.kind === 'write') yield* writeCell(w.cells[ins.cell]!, ins.value);
      else if (ins.kind === 'lock') yield* lock(w.locks[ins.lock]!);
      else if (ins.kind === 'unlock') yield* unlock(w.locks[ins.lock]!);
      else if (ins.kind === 'bug-on') {
        const c = w.cells[ins.cell]!;
        yield* step<void>({ object: c, access: 'read', label: `BUG_ON(${c.name} == ${ins.value})`, run: () => bugOn(c.value === ins.value, `${name}#${k} saw ${c.name} == ${ins.value}`) });
      }
    }
  };
}

/** 2–3 threads, at most 7 steps in all, over 1–2 cells and at most one lock; some reads fault. */
function faultingProgram(rng: () => number, index: number): Scenario {
  const pick = (n: number) => Math.floor(rng() * n);
  const cells = 1 + pick(2);
  const locks = pick(2);
  const threadCount = 2 + pick(2);
  let budget = 7;
  const threads: Record<string, ThreadBody<World>> = {};
  for (let t = 0; t < threadCount; t++) {
    const length = Math.max(1, Math.min(1 + pick(4), budget - (threadCount - t - 1)));
    budget -= length;
    const instrs: Instr[] = [];
    let holding = false;
    while (instrs.length < length) {
      const r = rng();
      if (holding && (r < 0.35 || instrs.length === length - 1)) {
        instrs.push({ kind: 'unlock', lock: 0 });
        holding = false;
      } else if (locks > 0 && !holding && r < 0.5 && instrs.length <= length - 2) {
        instrs.push({ kind: 'lock', lock: 0 });
        holding = true;
      } else if (rng() < 0.45) instrs.push({ kind: 'bug-on', cell: pick(cells), value: 1 + pick(2) });
      else instrs.push({ kind: 'write', cell: pick(cells), value: 1 + pick(2) });
    }
    const name = `t${t}`;
    threads[name] = body(name, instrs);
  }
  return defineScenario<World>({
    id: `faulting-${index}`,
    title: 'random program with faulting reads',
    commits: ['none'],
    setup: () => cellsAndLocks(cells, locks),
    variants: { main: { summary: 'random', threads } },
  });
}

describe(`dfs reaches every fault plain enumeration reaches, on ${PROGRAMS} random programs (seed ${SEED})`, () => {
  it('the same violations, by check and message', () => {
    const rng = seedrandom(SEED);
    const failures: string[] = [];
    let faults = 0;
    let beyondFirst = 0;
    for (let i = 0; i < PROGRAMS && failures.length < 5; i++) {
      const p = faultingProgram(rng, i);
      const plain = collect(p, 'main', new ExhaustiveStrategy(), { classes: false });
      const dpor = collect(p, 'main', new DfsStrategy(), { classes: false });
      faults += plain.violations.size;
      if (plain.violations.size > 1) beyondFirst++;
      const missed = [...plain.violations].filter((v) => !dpor.violations.has(v));
      if (missed.length > 0) failures.push(`program ${i}: dfs missed ${JSON.stringify(missed)}`);
    }
    expect(failures).toEqual([]);
    // the sample has programs with several reachable faults, where one can hide another
    expect(beyondFirst).toBeGreaterThan(PROGRAMS / 20);
    expect(faults).toBeGreaterThan(PROGRAMS / 2);
  }, 120_000);
});

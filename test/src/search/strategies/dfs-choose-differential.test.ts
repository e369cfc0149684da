/**
 * dfs against plain enumeration on random programs whose threads choose (models/choose.ts) which
 * cell to write or wait on, beside writes, reads and awaits (on copies, and opaque): every pair of
 * a class and the values chosen in it once. A choice's node in the wakeup tree stands for all its
 * values, explored from the same state, and the execution in which copying began late is run
 * again with its choices kept; a slip in either loses or repeats a pair.
 */
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { awaitUntil } from '../../../../models/await';
import { choose } from '../../../../models/choose';
import type { Steps } from '../../../../src/runtime/op';
import type { Scenario, ThreadBody } from '../../../../src/runtime/scenario';
import { DfsStrategy } from '../../../../src/search/strategies/dfs';
import { ExhaustiveStrategy } from '../../../../src/search/strategies/exhaustive';
import { program } from '../../../helpers/program';
import { cellsAndLocks, step, writeCell, type World } from '../cells-and-locks';
import { collect } from '../collect';

const PROGRAMS = Number(process.env.WEFT_DIFF_PROGRAMS ?? 3_000) / 10;
// why a cap: plain enumeration is the oracle, and a program it would take longer to enumerate is left out
const ENUMERATION_MAX = 5_000;

type Instr = 'write' | 'read' | 'await' | 'choose-write' | 'choose-await';

function* wait(w: World, cell: number, copies: boolean): Steps<void> {
  const c = w.cells[cell]!;
  if (copies) yield* awaitUntil(c, (x) => x.value !== 0);
  else yield* step<number>({ object: c, access: 'read', label: `await ${c.name}`, enabled: () => c.value !== 0, run: () => c.value });
}

function body(instrs: readonly { kind: Instr; cell: number }[], copies: boolean): ThreadBody<World> {
  return function* (w) {
    for (const { kind, cell } of instrs) {
      if (kind === 'write') yield* writeCell(w.cells[cell]!, 1);
      else if (kind === 'read') yield* step<number>({ object: w.cells[cell]!, access: 'read', label: `read c${cell}`, run: () => w.cells[cell]!.value });
      else if (kind === 'await') yield* wait(w, cell, copies);
      else if (kind === 'choose-write') yield* writeCell(w.cells[yield* choose(2)]!, 2);
      else yield* wait(w, yield* choose(2), copies);
    }
  };
}

function randomChoosingProgram(rng: () => number, copies: boolean): Scenario {
  const pick = (n: number): number => Math.floor(rng() * n);
  const kinds: readonly Instr[] = ['write', 'read', 'await', 'choose-write', 'choose-await'];
  const threads: Record<string, ThreadBody<World>> = {};
  const count = 2 + pick(2);
  for (let t = 0; t < count; t++) {
    const instrs: { kind: Instr; cell: number }[] = [];
    for (let k = 1 + pick(3); k > 0; k--) instrs.push({ kind: kinds[pick(kinds.length)]!, cell: pick(2) });
    threads[`t${t}`] = body(instrs, copies);
  }
  return program<World>({ setup: () => cellsAndLocks(2, 0, false), threads });
}

function sample(copies: boolean): { compared: number; classes: number; abandoned: number; failures: number[] } {
  const rng = seedrandom('choose');
  let compared = 0;
  let classes = 0;
  let abandoned = 0;
  const failures: number[] = [];
  for (let i = 0; i < PROGRAMS; i++) {
    const p = randomChoosingProgram(rng, copies);
    const all = collect(p, 'main', new ExhaustiveStrategy(), { executionsMax: ENUMERATION_MAX }).classes;
    if (all.length >= ENUMERATION_MAX) continue;
    const want = [...new Set(all)].sort();
    const dfs = collect(p, 'main', new DfsStrategy());
    const got = dfs.classes;
    abandoned += dfs.abandoned;
    compared++;
    classes += want.length;
    if (JSON.stringify([...got].sort()) !== JSON.stringify(want)) failures.push(i);
  }
  return { compared, classes, abandoned, failures };
}

describe(`dfs on ${PROGRAMS} random programs that choose, against plain enumeration`, () => {
  for (const copies of [true, false]) {
    it(`every class and choice once, the awaits ${copies ? 'on copies' : 'opaque'}`, () => {
      const s = sample(copies);
      expect(s.failures).toEqual([]);
      // why: a sample the cap left mostly out, or of trivial programs, would pass vacuously
      expect(s.compared).toBeGreaterThan(PROGRAMS * 0.8);
      expect(s.classes).toBeGreaterThan(s.compared * 5);
    }, 120_000);
  }
});

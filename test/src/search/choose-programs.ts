/**
 * Seeded random programs whose threads choose (models/choose.ts) which of two cells to write or
 * wait on, beside writes, reads and awaits of the cells (awaitUntil on copies, or opaque). Small
 * enough for plain enumeration to be the oracle.
 */
import { awaitUntil } from '../../../models/await';
import { choose } from '../../../models/choose';
import type { Steps } from '../../../src/runtime/op';
import type { Scenario, ThreadBody } from '../../../src/runtime/scenario';
import { program } from '../../helpers/program';
import { cellsAndLocks, step, writeCell, type World } from './cells-and-locks';

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

/** Two or three threads of one to three instructions; `copies`: the awaits are awaitUntil, else opaque. */
export function randomChoosingProgram(rng: () => number, options: { readonly copies?: boolean } = {}): Scenario {
  const copies = options.copies ?? false;
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

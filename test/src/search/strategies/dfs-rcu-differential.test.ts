/**
 * dfs against plain enumeration on random programs of RCU read sections and synchronize_rcu:
 * rcu_read_lock and rcu_read_unlock of different threads commute (their own commute group), so the
 * reversal walk of a waiting synchronize_rcu meets kept changes of the object it waits on after
 * removed ones, which the lock and await samples never give it.
 */
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { newRcu, rcuReadLock, rcuReadUnlock, synchronizeRcu, type Rcu } from '../../../../models/rcu';
import type { SharedObject, Steps } from '../../../../src/runtime/op';
import type { ThreadBody } from '../../../../src/runtime/scenario';
import { perform } from '../../../../src/index';
import { DfsStrategy } from '../../../../src/search/strategies/dfs';
import { ExhaustiveStrategy } from '../../../../src/search/strategies/exhaustive';
import { program } from '../../../helpers/program';
import { collect } from '../collect';

type World = { r: Rcu; x: SharedObject & { value: number } };
type Piece = 'section' | 'sync' | 'write' | 'read';

const PROGRAMS = Number(process.env.WEFT_DIFF_PROGRAMS ?? 3_000) / 30;
// why a cap: plain enumeration is the oracle, and three threads of three sections are 51,480 schedules
const ENUMERATION_MAX = 20_000;

function* readX(w: World): Steps<number> {
  return yield* perform<number>({ object: w.x, access: 'read', label: 'read x', run: () => w.x.value });
}

function body(pieces: readonly Piece[]): ThreadBody<World> {
  return function* (w) {
    for (const p of pieces) {
      if (p === 'section') {
        yield* rcuReadLock(w.r);
        yield* readX(w);
        yield* rcuReadUnlock(w.r);
      } else if (p === 'sync') yield* synchronizeRcu(w.r);
      else if (p === 'write') yield* perform<void>({ object: w.x, access: 'write', label: 'x++', run: () => void w.x.value++ });
      else yield* readX(w);
    }
  };
}

describe(`dfs on ${PROGRAMS} random RCU programs against plain enumeration`, () => {
  it('every class once, no abandoned execution', () => {
    const rng = seedrandom('rcu-probe');
    const pick = (n: number): number => Math.floor(rng() * n);
    let compared = 0;
    let classes = 0;
    const failures: number[] = [];
    for (let i = 0; i < PROGRAMS; i++) {
      const threads: Record<string, ThreadBody<World>> = {};
      const count = 2 + pick(2);
      for (let t = 0; t < count; t++) {
        const pieces: Piece[] = [];
        for (let k = 1 + pick(3); k > 0; k--) {
          const r = rng();
          pieces.push(r < 0.35 ? 'section' : r < 0.6 ? 'sync' : r < 0.8 ? 'write' : 'read');
        }
        threads[`t${t}`] = body(pieces);
      }
      const p = program<World>({ setup: () => ({ r: newRcu('rcu'), x: { name: 'x', value: 0 } }), threads });
      const all = collect(p, 'main', new ExhaustiveStrategy(), { executionsMax: ENUMERATION_MAX }).classes;
      if (all.length >= ENUMERATION_MAX) continue;
      const want = [...new Set(all)].sort();
      const dfs = collect(p, 'main', new DfsStrategy());
      compared++;
      classes += want.length;
      expect(dfs.abandoned).toBe(0);
      if (JSON.stringify([...dfs.classes].sort()) !== JSON.stringify(want)) failures.push(i);
    }
    expect(failures).toEqual([]);
    // why: a sample the cap left mostly out, or of trivial programs, would pass vacuously
    expect(compared).toBeGreaterThan(PROGRAMS * 0.8);
    expect(classes).toBeGreaterThan(compared * 10);
  }, 120_000);
});

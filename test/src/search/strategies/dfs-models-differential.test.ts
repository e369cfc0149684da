/**
 * dfs against plain enumeration on random programs of models/' waiting primitives
 * (model-programs.ts): their waits are decided on each primitive's stateKey and enabledAt, so a
 * wrong restatement of `enabled`, or a walk that mishandles one, shows as a lost class here.
 */
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { DfsStrategy } from '../../../../src/search/strategies/dfs';
import { ExhaustiveStrategy } from '../../../../src/search/strategies/exhaustive';
import { collect } from '../collect';
import { randomModelProgram } from '../model-programs';

const PROGRAMS = Number(process.env.WEFT_DIFF_PROGRAMS ?? 3_000) / 20;
// why a cap: plain enumeration is the oracle, and a program it would take longer to enumerate is left out
const ENUMERATION_MAX = 5_000;

function sample(strict: boolean): { compared: number; classes: number; abandoned: number; failures: number[] } {
  const rng = seedrandom(strict ? 'models-strict' : 'models');
  let compared = 0;
  let classes = 0;
  let abandoned = 0;
  const failures: number[] = [];
  for (let i = 0; i < PROGRAMS; i++) {
    const p = randomModelProgram(rng, { strict });
    const all = collect(p, 'main', new ExhaustiveStrategy(), { executionsMax: ENUMERATION_MAX }).classes;
    if (all.length >= ENUMERATION_MAX) continue;
    const want = [...new Set(all)].sort();
    const dfs = collect(p, 'main', new DfsStrategy());
    compared++;
    classes += want.length;
    abandoned += dfs.abandoned;
    if (JSON.stringify([...dfs.classes].sort()) !== JSON.stringify(want)) failures.push(i);
  }
  return { compared, classes, abandoned, failures };
}

describe(`dfs on ${PROGRAMS} random programs of models/' waiting primitives against plain enumeration`, () => {
  for (const strict of [false, true]) {
    it(`every class once${strict ? ', the rwsem strict' : ''}`, () => {
      const s = sample(strict);
      expect(s.failures).toEqual([]);
      expect(s.abandoned).toBe(0);
      // why: a sample the cap left mostly out, or of trivial programs, would pass vacuously
      expect(s.compared).toBeGreaterThan(PROGRAMS * 0.75);
      expect(s.classes).toBeGreaterThan(s.compared * 5);
    }, 300_000);
  }
});

/**
 * Differential test of `dfs` against plain enumeration on seeded random programs: the same set of
 * Mazurkiewicz classes, each exactly once under dfs, and every check that fires under enumeration
 * fires under dfs too.
 */
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { DfsStrategy } from '../../../../src/search/strategies/dfs';
import { ExhaustiveStrategy } from '../../../../src/search/strategies/exhaustive';
import { collect } from '../collect';
import { DIFF_TIMEOUT_MS, randomProgram } from '../random-programs';

// why 4,000 in npm test: the sample took 16 s of a five-minute budget; WEFT_DIFF_PROGRAMS=80000 is the long run
const PROGRAMS = Number(process.env.WEFT_DIFF_PROGRAMS ?? 4_000);
const SEED = process.env.WEFT_DIFF_SEED ?? 'weft-dpor-differential-1';

describe(`dfs equals plain enumeration on ${PROGRAMS} random programs (seed ${SEED})`, () => {
  it('same Mazurkiewicz classes, each once under dfs, same checks fired, no abandoned executions', () => {
    const rng = seedrandom(SEED);
    const failures: string[] = [];
    let classesTotal = 0;
    let abandonedTotal = 0;
    const seen = new Set<string>();
    for (let i = 0; i < PROGRAMS && failures.length < 5; i++) {
      const p = randomProgram(rng, i);
      const plain = collect(p, 'main', new ExhaustiveStrategy());
      const dpor = collect(p, 'main', new DfsStrategy());
      const want = [...new Set(plain.classes)].sort();
      const got = [...dpor.classes].sort();
      abandonedTotal += dpor.abandoned;
      for (const c of plain.checks) seen.add(c);
      classesTotal += want.length;
      if (JSON.stringify(got) !== JSON.stringify(want)) failures.push(`program ${i}: dfs ${JSON.stringify(got)} vs classes ${JSON.stringify(want)}`);
      else if ([...plain.checks].some((c) => !dpor.checks.has(c))) failures.push(`program ${i}: checks ${[...dpor.checks]} vs ${[...plain.checks]}`);
    }
    expect(failures).toEqual([]);
    expect(classesTotal).toBeGreaterThan(PROGRAMS);
    // the programs do reach deadlocks and invariant violations, so both paths were compared
    expect([...seen].sort()).toEqual(['deadlock', 'sum-not-three']);
    // why 0: the locks declare stateKey and their acquisitions enabledAt (cells-and-locks.ts), so
    // every reordering of an acquisition is decided, never tried (111 of 117,950 were before)
    expect(abandonedTotal).toBe(0);
  }, DIFF_TIMEOUT_MS);
});

/**
 * dfs against plain enumeration on random programs of models/' waiting primitives
 * (model-programs.ts): their waits are decided on each primitive's stateKey and enabledAt, so a
 * wrong restatement of `enabled`, or a walk that mishandles one, shows as a lost class here.
 */
import { describe, expect, it } from 'vitest';
import { againstEnumeration } from '../against-enumeration';
import { randomModelProgram } from '../model-programs';

const PROGRAMS = Number(process.env.WEFT_DIFF_PROGRAMS ?? 3_000) / 20;
// why a cap: plain enumeration is the oracle, and a program it would take longer to enumerate is left out
const ENUMERATION_MAX = 5_000;

function sample(strict: boolean) {
  return againstEnumeration(strict ? 'models-strict' : 'models', PROGRAMS, (rng) => randomModelProgram(rng, { strict }), ENUMERATION_MAX);
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

/**
 * Differential test of the invariant observers (Invariant.observes): on seeded random programs with
 * 1–3 invariants over 1–2 objects each, dfs with one observer per declared footprint fires exactly
 * the checks that plain enumeration fires, and exactly those of dfs under the whole-world observer;
 * it runs each Mazurkiewicz class of its own relation once. A control run with no observer at all
 * must miss some violation, or the programs could not tell a wrong observer from a right one.
 */
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { DfsStrategy } from '../../../../src/search/strategies/dfs';
import { ExhaustiveStrategy } from '../../../../src/search/strategies/exhaustive';
import { collect } from '../collect';
import { DIFF_TIMEOUT_MS, observedProgram } from '../random-programs';

const PROGRAMS = Number(process.env.WEFT_DIFF_PROGRAMS ?? 10_000);
const SEED = process.env.WEFT_DIFF_SEED ?? 'weft-observer-differential-1';
// why 6: plain enumeration is the oracle, factorial in the total; 7 triples the test's time
const STEPS = Number(process.env.WEFT_DIFF_STEPS ?? 6);

const sorted = (s: Set<string>) => [...s].sort().join(',');

describe(`footprint observers on ${PROGRAMS} random programs (seed ${SEED})`, () => {
  it('fire what enumeration and the whole-world observer fire, one execution per class', () => {
    const rng = seedrandom(SEED);
    const failures: string[] = [];
    let violating = 0;
    let missedWithoutObserver = 0;
    let footprintExecutions = 0;
    let wholeWorldExecutions = 0;
    for (let i = 0; i < PROGRAMS && failures.length < 5; i++) {
      const p = observedProgram(rng, i, STEPS);
      const plain = collect(p, 'main', new ExhaustiveStrategy());
      const footprint = collect(p, 'main', new DfsStrategy());
      const whole = collect(p, 'main', new DfsStrategy(), { observed: true, classes: false });
      const none = collect(p, 'main', new DfsStrategy(), { observed: false, classes: false });
      footprintExecutions += footprint.classes.length;
      wholeWorldExecutions += whole.classes.length;
      const want = sorted(plain.checks);
      if ([...plain.checks].some((c) => c.startsWith('tuple-'))) violating++;
      if (sorted(none.checks) !== want) missedWithoutObserver++;
      const classes = [...new Set(plain.classes)].sort();
      if (JSON.stringify([...footprint.classes].sort()) !== JSON.stringify(classes)) failures.push(`program ${i}: classes ${footprint.classes} vs ${classes}`);
      else if (sorted(footprint.checks) !== want) failures.push(`program ${i}: footprint fired ${sorted(footprint.checks)}, enumeration ${want}`);
      else if (sorted(whole.checks) !== want) failures.push(`program ${i}: whole-world fired ${sorted(whole.checks)}, enumeration ${want}`);
    }
    expect(failures).toEqual([]);
    // the sample is one that can fail: many programs violate an invariant, and dropping the
    // observers loses some of those violations
    expect(violating).toBeGreaterThan(PROGRAMS / 4);
    expect(missedWithoutObserver).toBeGreaterThan(PROGRAMS / 100);
    // and footprints are worth having: fewer executions than the whole-world observer
    expect(footprintExecutions).toBeLessThan(wholeWorldExecutions);
    console.log(
      `observer differential: ${violating} of ${PROGRAMS} programs violate an invariant; without observers ${missedWithoutObserver} miss one; ` +
        `executions ${footprintExecutions} with footprints, ${wholeWorldExecutions} whole-world`,
    );
  }, DIFF_TIMEOUT_MS);
});

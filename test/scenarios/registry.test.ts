/**
 * Every variant of every registered scenario, one test each: the project's own CI gates on the
 * same verdicts as `npx tsx check --all`.
 */
import { describe, expect, it } from 'vitest';
import { scenarios } from '../../scenarios/index';
import { checkVariant, describeVerdict, matchesExpectation } from '../../src/index';
import { describeExpectation } from '../../src/runtime/scenario';

describe.each(scenarios.map((s) => [s.scenario.id, s.scenario] as const))('%s', (_id, scenario) => {
  it.each(Object.entries(scenario.variants))('%s has the verdict it declares', (name, variant) => {
    const verdict = checkVariant(scenario, name);
    const got = describeVerdict(verdict, variant.expect);
    expect(matchesExpectation(verdict, variant.expect), `expected ${describeExpectation(variant.expect)}, got ${got}`).toBe(true);
  });

  it('declares its commits and a summary per variant', () => {
    expect(scenario.commits.length).toBeGreaterThan(0);
    for (const v of Object.values(scenario.variants)) expect(v.summary.length).toBeGreaterThan(0);
  });
});

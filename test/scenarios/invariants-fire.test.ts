/**
 * An invariant that no variant expects to break is never shown able to fire: it could be
 * vacuous (always true, or reading a field no step writes) and nobody would know. Every
 * invariant of every registered scenario must therefore be the declared violation of some
 * variant or of one of the `mutants` its module exports; each scenario's own test runs those
 * mutants and pins that they are violated as declared.
 */
import { describe, expect, it } from 'vitest';
import { scenarios } from '../../scenarios/index';
import type { Variant } from '../../src/index';

/** The check ids an expectation names, in either the single or the list form. */
function declaredViolations(variant: Variant<object>): string[] {
  const e: unknown = variant.expect;
  if (e === undefined || e === 'holds' || typeof e !== 'object' || e === null) return [];
  const violated: unknown = (e as { violated?: unknown }).violated;
  if (typeof violated === 'string') return [violated];
  if (Array.isArray(violated)) return violated.filter((x): x is string => typeof x === 'string');
  return [];
}

describe.each(scenarios.map((s) => [s.scenario.id, s] as const))('%s', (_id, entry) => {
  it('every invariant is the declared violation of a variant or an exported mutant', async () => {
    if (entry.source?.kind !== 'module') throw new Error(`registry entry ${entry.scenario.id} is not a module`);
    const module = (await import(entry.source.url)) as { mutants?: Readonly<Record<string, Variant<object>>> };
    const all = [...Object.values(entry.scenario.variants), ...Object.values(module.mutants ?? {})];
    const declared = new Set(all.flatMap(declaredViolations));
    const invariants = new Set(
      Object.values(entry.scenario.variants).flatMap((v) => [...(v.invariants ?? []), ...(v.finalState ?? [])].map((i) => i.id)),
    );
    const neverExpected = [...invariants].filter((id) => !declared.has(id)).sort();
    expect(neverExpected, 'invariants no variant or mutant declares as its violation').toEqual([]);
  });
});

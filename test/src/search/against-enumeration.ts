/**
 * The oracle loop of the dfs differential tests: seeded random programs, each searched by plain
 * enumeration (every schedule) and by dfs, compared class by class.
 */
import seedrandom from 'seedrandom';
import type { Scenario } from '../../../src/runtime/scenario';
import { DfsStrategy } from '../../../src/search/strategies/dfs';
import { ExhaustiveStrategy } from '../../../src/search/strategies/exhaustive';
import { collect } from './collect';

export interface EnumerationSample {
  /** Programs compared (those enumeration could finish within the cap). */
  readonly compared: number;
  /** Distinct classes over the compared programs. */
  readonly classes: number;
  /** dfs's abandoned executions over them. */
  readonly abandoned: number;
  /** Programs (by index) where dfs did not give every class of plain enumeration exactly once. */
  readonly failures: readonly number[];
}

/**
 * dfs against plain enumeration on `count` programs that `make` draws from the rng seeded with
 * `seed`; a program whose enumeration reaches `cap` schedules is left out (it still draws from the
 * rng, so the sample is the same whatever the cap).
 */
export function againstEnumeration(seed: string, count: number, make: (rng: () => number, i: number) => Scenario, cap: number): EnumerationSample {
  const rng = seedrandom(seed);
  let compared = 0;
  let classes = 0;
  let abandoned = 0;
  const failures: number[] = [];
  for (let i = 0; i < count; i++) {
    const p = make(rng, i);
    const all = collect(p, 'main', new ExhaustiveStrategy(), { executionsMax: cap }).classes;
    if (all.length >= cap) continue;
    const want = [...new Set(all)].sort();
    const dfs = collect(p, 'main', new DfsStrategy());
    compared++;
    classes += want.length;
    abandoned += dfs.abandoned;
    if (JSON.stringify([...dfs.classes].sort()) !== JSON.stringify(want)) failures.push(i);
  }
  return { compared, classes, abandoned, failures };
}

import { explore } from '../src/search/explorer';
import { BENCH_LIMITS } from './programs';
import type { Strategy } from '../src/search/strategy';
import type { Stats, Verdict } from '../src/search/verdict';
import type { Expectation, Params, Scenario } from '../src/runtime/scenario';

/** One search the benchmark runs: which program, how, and how far at most. */
export interface BenchSearch {
  readonly scenario: Scenario;
  /** Variant name; the first variant when absent (benchmark programs have one). */
  readonly variant?: string;
  readonly params: Params;
  readonly strategy: Strategy;
  /** Wall-time cap of this one search, ms; a search that reaches it is `capped`. */
  readonly timeMsMax: number;
  /** Execution cap; a search that reaches it is `capped` too. */
  readonly executionsMax?: number;
  /** Passed to the explorer: stop at the first violation of this check. Default: `holds`. */
  readonly target?: Expectation;
}

/** What a benchmark row needs from one search. */
export interface BenchResult {
  readonly verdict: Verdict;
  readonly stats: Stats;
  /** Whether a bench cap (time or executions) cut the search: its counts are then a lower bound. */
  readonly capped: boolean;
}

export function variantNameOf(scenario: Scenario, wanted?: string): string {
  const name = wanted ?? Object.keys(scenario.variants)[0];
  if (name === undefined || scenario.variants[name] === undefined) {
    throw new Error(`${scenario.id} has no variant ${wanted ?? '(none at all)'}`);
  }
  return name;
}

export function runSearch(s: BenchSearch): BenchResult {
  const name = variantNameOf(s.scenario, s.variant);
  const executionsMax = s.executionsMax ?? Number.MAX_SAFE_INTEGER;
  const target = s.target ?? 'holds';
  const verdict = explore({
    scenario: s.scenario,
    variant: s.scenario.variants[name]!,
    params: s.params,
    strategy: s.strategy,
    // why no audit (BENCH_LIMITS): the bench measures the reduction and the plain loop
    limits: { ...BENCH_LIMITS, timeMsMax: s.timeMsMax, executionsMax },
    target,
  });
  // why: a search cut while looking for a declared violation returns the other violation it met
  // first as `violated`, without a cut; it is still cut short, and its counts are a lower bound.
  const cutMissingTarget =
    verdict.kind === 'violated' &&
    target !== 'holds' &&
    !verdict.violations.some((v) => v.check === target.violated) &&
    (verdict.stats.timeMs > s.timeMsMax || verdict.stats.executions >= executionsMax);
  const capped =
    cutMissingTarget || (verdict.kind === 'incomplete' && verdict.cutBy.some((c) => c.limit === 'time' || c.limit === 'executions'));
  return { verdict, stats: verdict.stats, capped };
}

/** Steps per second of a search; NaN when it took no measurable time. */
export function stepsPerSecond(stats: Stats): number {
  return stats.timeMs > 0 ? (stats.steps * 1000) / stats.timeMs : Number.NaN;
}

/** Complete executions per second (abandoned ones cost time but are not results). */
export function executionsPerSecond(stats: Stats): number {
  return stats.timeMs > 0 ? (stats.executions * 1000) / stats.timeMs : Number.NaN;
}

/** Totals over one or more runs of the same search, for its rates. */
export interface Rates {
  /** Runs made (more than one when a search is too short to time on its own). */
  readonly runs: number;
  readonly steps: number;
  readonly executions: number;
  readonly timeMs: number;
}

/** Rates measured over one or more runs of the same search. */
export interface RateSample extends Rates {
  /** The first run: its counts and verdict are the row's. */
  readonly first: BenchResult;
}

/**
 * Runs `search()` (each call a fresh search) until at least `minMs` of search time has passed, so
 * that a search of a millisecond still gives a rate above timer noise. A capped run is never
 * repeated: it has already used its whole budget.
 */
export function sampleRate(search: () => BenchResult, minMs: number): RateSample {
  const first = search();
  let runs = 1;
  let { steps, executions, timeMs } = first.stats;
  while (timeMs < minMs && !first.capped && first.stats.steps > 0) {
    const again = search().stats;
    runs++;
    steps += again.steps;
    executions += again.executions;
    timeMs += again.timeMs;
  }
  return { first, runs, steps, executions, timeMs };
}

export function sampleStepsPerSecond(s: Rates): number {
  return s.timeMs > 0 ? (s.steps * 1000) / s.timeMs : Number.NaN;
}

export function sampleExecutionsPerSecond(s: Rates): number {
  return s.timeMs > 0 ? (s.executions * 1000) / s.timeMs : Number.NaN;
}

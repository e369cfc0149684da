/**
 * Section 4: how soon `bounded` (fewest preemptions first) finds each buggy variant's declared
 * violation, at default parameters, next to dfs on the same search. Target (issue 4): within the
 * first 100 executions.
 */
import { BoundedStrategy } from '../src/search/strategies/bounded';
import { DfsStrategy } from '../src/search/strategies/dfs';
import { describeVerdict, matchesExpectation } from '../src/search/verdict';
import type { Scenario } from '../src/runtime/scenario';
import { runSearch, type BenchResult } from './search';
import { count, renderTable, seconds, type Column } from './table';

/** Executions within which the first violation should be found. */
export const FIRST_VIOLATION_TARGET = 100;

export interface FirstViolationRow {
  readonly scenario: string;
  readonly variant: string;
  readonly declared: string;
  readonly bounded: BenchResult;
  /** Preemption bound of the pass that found it (or the last pass run). */
  readonly preemptions: number;
  readonly dfs: BenchResult;
}

/** Variants that declare a violation, as [scenario, variant name]. */
export function buggyVariants(scenarios: readonly Scenario[]): [Scenario, string][] {
  const out: [Scenario, string][] = [];
  for (const s of scenarios) {
    for (const [name, v] of Object.entries(s.variants)) if (v.expect !== undefined && v.expect !== 'holds') out.push([s, name]);
  }
  return out;
}

export function measureFirstViolation(scenario: Scenario, variant: string, timeMsMax: number): FirstViolationRow {
  const expect = scenario.variants[variant]!.expect!;
  if (expect === 'holds') throw new Error(`${scenario.id}/${variant} declares no violation`);
  const strategy = new BoundedStrategy();
  const search = { scenario, variant, params: scenario.params, timeMsMax, target: expect };
  const bounded = runSearch({ ...search, strategy });
  const dfs = runSearch({ ...search, strategy: new DfsStrategy() });
  return { scenario: scenario.id, variant, declared: expect.violated, bounded, preemptions: strategy.currentBound, dfs };
}

function found(r: BenchResult, declared: string): boolean {
  return matchesExpectation(r.verdict, { violated: declared });
}

const COLUMNS: readonly Column[] = [
  { title: 'scenario', align: 'left' },
  { title: 'variant', align: 'left' },
  { title: 'declared', align: 'left' },
  { title: 'bounded: found', align: 'left' },
  { title: 'executions', align: 'right' },
  { title: 'preemptions', align: 'right' },
  { title: 'time', align: 'right' },
  { title: `≤${FIRST_VIOLATION_TARGET}`, align: 'left' },
  { title: 'dfs: executions', align: 'right' },
];

export function renderFirstViolation(rows: readonly FirstViolationRow[]): string {
  const cells = rows.map((r) => {
    const ok = found(r.bounded, r.declared);
    return [
      r.scenario,
      r.variant,
      r.declared,
      r.bounded.capped ? 'capped' : ok ? describeVerdict(r.bounded.verdict, { violated: r.declared }) : `NOT FOUND (${r.bounded.verdict.kind})`,
      count(r.bounded.stats.executions),
      ok ? String(r.preemptions) : '-',
      seconds(r.bounded.stats.timeMs),
      ok && r.bounded.stats.executions <= FIRST_VIOLATION_TARGET ? 'yes' : 'NO',
      found(r.dfs, r.declared) ? count(r.dfs.stats.executions) : `not found (${r.dfs.capped ? 'capped' : r.dfs.verdict.kind})`,
    ];
  });
  return `${renderTable(COLUMNS, cells)}\nexecutions = executions run up to and including the first one that violates the declared check.`;
}

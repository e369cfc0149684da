/**
 * Section 2: every scenario variant at its default parameters, then with each parameter grown one
 * at a time, so users see how the cost of checking scales (issue 6, item 2). Each search is the one
 * `check` runs (dfs towards the variant's declared expectation) under a per-row time cap; the
 * first capped value ends that parameter's row sequence.
 */
import { paramsFor } from '../src/search/variant';
import { DfsStrategy } from '../src/search/strategies/dfs';
import { describeVerdict, matchesExpectation, type Stats } from '../src/search/verdict';
import { describeExpectation, type Params, type Scenario } from '../src/runtime/scenario';
import { executionsPerSecond, runSearch } from './search';
import { count, rate, renderTable, seconds, type Column } from './table';

/** How many values past its default a parameter grows to. */
const GROWTH_STEPS = 3;

/**
 * The values a parameter takes after its default. A default of 0 reads as a switch (S3's
 * `unregister`), which has one other value; a count grows by one at a time.
 */
export function growthOf(defaultValue: number, steps = GROWTH_STEPS): number[] {
  if (defaultValue === 0) return [1];
  return Array.from({ length: steps }, (_, i) => defaultValue + i + 1);
}

export interface ScalingRow {
  readonly scenario: string;
  readonly variant: string;
  /** The parameters that differ from the defaults; empty for the default row. */
  readonly grown: Params;
  readonly expected: string;
  /** `holds`, `violated:<check>`, `capped` or `error: …`. */
  readonly outcome: string;
  /** Whether the outcome is what the variant declares (never true for capped or error). */
  readonly matches: boolean;
  readonly stats: Stats | null;
}

export interface ScalingCaps {
  /** Wall-time cap of each search, ms. */
  readonly rowTimeMsMax: number;
  /** How many values past the default each parameter tries. */
  readonly growthSteps: number;
}

function measureOne(scenario: Scenario, variant: string, grown: Params, caps: ScalingCaps): ScalingRow {
  const v = scenario.variants[variant]!;
  const base = { scenario: scenario.id, variant, grown, expected: describeExpectation(v.expect) };
  try {
    const r = runSearch({
      scenario,
      variant,
      params: paramsFor(scenario, grown),
      strategy: new DfsStrategy(),
      timeMsMax: caps.rowTimeMsMax,
      target: v.expect ?? 'holds',
    });
    const outcome = r.capped ? 'capped' : describeVerdict(r.verdict, v.expect);
    return { ...base, outcome, matches: !r.capped && matchesExpectation(r.verdict, v.expect), stats: r.stats };
  } catch (e) {
    return { ...base, outcome: `error: ${e instanceof Error ? e.message : String(e)}`, matches: false, stats: null };
  }
}

/** Rows of one variant: the default first, then each parameter's growth until a row is capped. */
export function measureVariant(scenario: Scenario, variant: string, caps: ScalingCaps): ScalingRow[] {
  const rows = [measureOne(scenario, variant, {}, caps)];
  for (const [name, def] of Object.entries(scenario.params)) {
    for (const value of growthOf(def, caps.growthSteps)) {
      const row = measureOne(scenario, variant, { [name]: value }, caps);
      rows.push(row);
      if (row.stats === null || row.outcome === 'capped') break;
    }
  }
  return rows;
}

/** The three scenarios issue 6 compares with SPIN 6.5.2 (about 5 s to compile and verify). */
export const SPIN_COMPARISON_IDS = [
  'mmu-notifier-unregister-release',
  'mmu-notifier-release-unlinks-early',
  'folio-move-anon-rmap-vs-referenced',
] as const;

const COLUMNS: readonly Column[] = [
  { title: 'scenario', align: 'left' },
  { title: 'variant', align: 'left' },
  { title: 'params', align: 'left' },
  { title: 'outcome', align: 'left' },
  { title: 'executions', align: 'right' },
  { title: 'abandoned', align: 'right' },
  { title: 'steps', align: 'right' },
  { title: 'time', align: 'right' },
  { title: 'exec/s', align: 'right' },
];

function grownText(row: ScalingRow, scenarioParams: Params): string {
  const entries = Object.entries(row.grown);
  if (entries.length === 0) {
    const defaults = Object.entries(scenarioParams).map(([k, v]) => `${k}=${v}`);
    return defaults.length > 0 ? `default (${defaults.join(',')})` : 'default';
  }
  return entries.map(([k, v]) => `${k}=${v}`).join(',');
}

export function renderScaling(rows: readonly ScalingRow[], scenarios: readonly Scenario[], caps: ScalingCaps): string {
  const paramsOf = new Map(scenarios.map((s) => [s.id, s.params]));
  const cells = rows.map((r) => {
    const capped = r.outcome === 'capped';
    return [
      r.scenario,
      r.variant,
      grownText(r, paramsOf.get(r.scenario) ?? {}),
      capped ? `capped at ${seconds(caps.rowTimeMsMax)}` : r.matches ? r.outcome : `${r.outcome} (MISMATCH: declares ${r.expected})`,
      r.stats === null ? '-' : capped ? `≥${count(r.stats.executions)}` : count(r.stats.executions),
      r.stats === null ? '-' : count(r.stats.executionsAbandoned),
      r.stats === null ? '-' : count(r.stats.steps),
      r.stats === null ? '-' : seconds(r.stats.timeMs),
      r.stats === null ? '-' : rate(executionsPerSecond(r.stats)),
    ];
  });
  const defaults = rows.filter((r) => Object.keys(r.grown).length === 0);
  const timeOf = (rs: readonly ScalingRow[]) => rs.reduce((t, r) => t + (r.stats?.timeMs ?? 0), 0);
  const spin = defaults.filter((r) => (SPIN_COMPARISON_IDS as readonly string[]).includes(r.scenario));
  const capped = defaults.some((r) => r.outcome === 'capped');
  const notes = [
    `outcome: the variant's declared verdict, found; a verdict other than the declared one is marked MISMATCH.`,
    `each search: dfs towards the variant's declared verdict (stops at the declared violation), capped at ${seconds(caps.rowTimeMsMax)}; a capped search is incomplete and ends its parameter's sequence.`,
    `default rows, all variants: ${seconds(timeOf(defaults))}${capped ? ' (some capped: a lower bound)' : ''}.`,
  ];
  if (spin.length > 0) {
    notes.push(
      `${SPIN_COMPARISON_IDS.join(' + ')}, default rows: ${seconds(timeOf(spin))} (issue 6 target: at most half of SPIN's ~5 s).`,
    );
  }
  return `${renderTable(COLUMNS, cells)}\n${notes.join('\n')}`;
}

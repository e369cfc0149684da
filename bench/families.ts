/**
 * Section 1: the benchmark families of shared/benchmarks.md under `dfs`, each count against its
 * published Mazurkiewicz count, and the per-step cost of dfs against the bare re-execution loop
 * (ExhaustiveStrategy, no reduction bookkeeping) on the same program.
 */
import { DfsStrategy } from '../src/search/strategies/dfs';
import { ExhaustiveStrategy } from '../src/search/strategies/exhaustive';
import { describeVerdict, type Stats } from '../src/search/verdict';
import { runSearch, sampleExecutionsPerSecond, sampleRate, sampleStepsPerSecond, type Rates } from './search';
import type { BenchProgram } from './programs';
import { count, paramsText, rate, ratio, renderTable, seconds, type Column } from './table';

export interface FamilyCaps {
  /** Wall-time cap of each dfs search, ms. */
  readonly dfsTimeMsMax: number;
  /** Wall-time budget of each bare-loop sample, ms (null: no bare loop). */
  readonly bareTimeMsMax: number | null;
  /** A search shorter than this is repeated until this much time has passed, for its rates. */
  readonly rateMinMs: number;
}

export interface FamilyRow extends FamilyMeasurement {
  readonly program: BenchProgram;
}

/** What one family row measures: plain data, so a row can be measured in another process. */
export interface FamilyMeasurement {
  /** Counts and time of one dfs search. */
  readonly stats: Stats;
  /** `holds`, `violated:<check>` or `capped`: only a `holds` row has a count to compare. */
  readonly outcome: string;
  /** dfs rates (over repeated searches when one is too short to time). */
  readonly dfs: Rates;
  /**
   * The bare loop on the same program: plain enumeration, cut by its time budget (a sample of
   * its first schedules) or repeated when it ends sooner.
   */
  readonly bare: Rates | null;
}

/** Measures one row. */
export type FamilyMeasurer = (program: BenchProgram, caps: FamilyCaps) => FamilyRow;

/**
 * Runs one program briefly under both strategies, results discarded: a measured row should not
 * pay for V8 compiling the runtime.
 */
export function warmUp(program: BenchProgram, ms: number): void {
  const scenario = program.build(program.params);
  const params = program.params;
  sampleRate(() => runSearch({ scenario, params, strategy: new DfsStrategy(), timeMsMax: ms }), ms);
  sampleRate(() => runSearch({ scenario, params, strategy: new ExhaustiveStrategy(), timeMsMax: ms }), ms);
}

export function measureFamily(program: BenchProgram, caps: FamilyCaps): FamilyRow {
  const scenario = program.build(program.params);
  const params = program.params;
  const dfs = sampleRate(
    () => runSearch({ scenario, params, strategy: new DfsStrategy(), timeMsMax: caps.dfsTimeMsMax }),
    caps.rateMinMs,
  );
  const outcome = dfs.first.capped ? 'capped' : describeVerdict(dfs.first.verdict);
  const bareTimeMsMax = caps.bareTimeMsMax;
  const bare =
    bareTimeMsMax === null
      ? null
      : sampleRate(
          () => runSearch({ scenario, params, strategy: new ExhaustiveStrategy(), timeMsMax: bareTimeMsMax }),
          Math.min(caps.rateMinMs, bareTimeMsMax),
        );
  return { program, stats: dfs.first.stats, outcome, dfs: ratesOf(dfs), bare: bare === null ? null : ratesOf(bare) };
}

function ratesOf(s: Rates): Rates {
  return { runs: s.runs, steps: s.steps, executions: s.executions, timeMs: s.timeMs };
}

/** executions / expected; NaN unless the search finished clean (a capped count proves nothing). */
export function countRatio(row: FamilyRow): number {
  return row.outcome === 'holds' ? row.stats.executions / row.program.expected : Number.NaN;
}

/** How many times more a dfs step costs than a bare-loop step. */
export function bookkeepingFactor(row: FamilyRow): number {
  if (row.bare === null) return Number.NaN;
  return sampleStepsPerSecond(row.bare) / sampleStepsPerSecond(row.dfs);
}

/** Rows with at least this many expected executions get a line of their own (lastzero(15), mpat(6)). */
const LARGE_EXPECTED_MIN = 40_000;

const COLUMNS: readonly Column[] = [
  { title: 'family', align: 'left' },
  { title: 'params', align: 'left' },
  { title: 'outcome', align: 'left' },
  { title: 'executions', align: 'right' },
  { title: 'abandoned', align: 'right' },
  { title: 'expected', align: 'right' },
  { title: 'ratio', align: 'right' },
  { title: 'steps', align: 'right' },
  { title: 'time', align: 'right' },
  { title: 'exec/s', align: 'right' },
  { title: 'steps/s', align: 'right' },
  { title: 'bare steps/s', align: 'right' },
  { title: 'dfs/bare', align: 'right' },
];

export function renderFamilies(rows: readonly FamilyRow[], caps: FamilyCaps): string {
  const cells = rows.map((r) => [
    r.program.id,
    paramsText(r.program.params),
    r.outcome === 'capped' ? `capped at ${seconds(caps.dfsTimeMsMax)}` : r.outcome,
    r.outcome === 'capped' ? `≥${count(r.stats.executions)}` : count(r.stats.executions),
    count(r.stats.executionsAbandoned),
    count(r.program.expected),
    ratio(countRatio(r)),
    count(r.stats.steps),
    seconds(r.stats.timeMs),
    rate(sampleExecutionsPerSecond(r.dfs)),
    rate(sampleStepsPerSecond(r.dfs)),
    r.bare === null ? '-' : rate(sampleStepsPerSecond(r.bare)),
    r.bare === null ? '-' : `${ratio(bookkeepingFactor(r))}x`,
  ]);
  const timed = rows.filter((r) => r.outcome !== 'capped');
  const steps = timed.reduce((n, r) => n + r.dfs.steps, 0);
  const timeMs = timed.reduce((t, r) => t + r.dfs.timeMs, 0);
  const factors = rows.map(bookkeepingFactor).filter((f) => Number.isFinite(f));
  const large = rows.filter((r) => r.program.expected >= LARGE_EXPECTED_MIN);
  const mismatched = rows.filter((r) => r.outcome === 'holds' && r.stats.executions !== r.program.expected);
  const notes = [
    `ratio = executions / expected (must be 1.00); dfs/bare = cost of one dfs step in bare-loop steps (target ≤ 4x).`,
    `time is one dfs search; rates are over repeated searches when one takes under ${seconds(caps.rateMinMs)}.`,
    caps.bareTimeMsMax === null
      ? 'bare loop not run.'
      : `bare = plain enumeration (ExhaustiveStrategy) of the same program, sampled for at most ${seconds(caps.bareTimeMsMax)} per row.`,
    `dfs over all uncapped rows: ${rate((steps * 1000) / timeMs)} steps/s (target ≥ 1M on 2 cores).`,
    factors.length === 0
      ? ''
      : `dfs/bare per step: ${ratio(Math.min(...factors))}x to ${ratio(Math.max(...factors))}x (target ≤ 4x).`,
    ...large.map(
      (r) =>
        `${r.program.id}(${paramsText(r.program.params)}), ${count(r.program.expected)} executions: ` +
        (r.outcome === 'capped'
          ? `capped at ${seconds(caps.dfsTimeMsMax)}`
          : `${seconds(r.stats.timeMs)}, ${rate(sampleExecutionsPerSecond(r.dfs))} executions/s`) +
        ' (target < 60 s; Nidhugg: ~1,400 executions/s per core on mpat).',
    ),
    mismatched.length === 0
      ? 'every finished row matches its published count.'
      : `COUNT MISMATCH: ${mismatched.map((r) => `${r.program.id}(${paramsText(r.program.params)})`).join(', ')}`,
  ];
  return `${renderTable(COLUMNS, cells)}\n${notes.filter((n) => n !== '').join('\n')}`;
}

/**
 * The whole benchmark report: which programs and scenarios run under which caps, section by
 * section, printed as each section finishes. Measuring and rendering stay apart so the smoke test
 * can assert on the numbers.
 */
import type { Scenario } from '../src/runtime/scenario';
import { countRatio, measureFamily, renderFamilies, warmUp, type FamilyCaps, type FamilyMeasurer, type FamilyRow } from './families';
import type { BenchProgram } from './programs';
import { buggyVariants, measureFirstViolation, renderFirstViolation } from './first-violation';
import { describeMachine, renderMachine } from './machine';
import { selected, type BenchOptions } from './options';
import { measureVariant, renderScaling, type ScalingCaps, type ScalingRow } from './scaling';
import { seconds } from './table';

/** Programs whose published count is at most this run in `--quick`. */
export const QUICK_EXPECTED_MAX = 1_000;

export interface Caps {
  readonly families: FamilyCaps;
  readonly scaling: ScalingCaps;
  /** Wall-time cap of each bounded (and comparison dfs) search, ms. */
  readonly firstViolationTimeMsMax: number;
}

export const FULL_CAPS: Caps = {
  families: { dfsTimeMsMax: 120_000, bareTimeMsMax: 1_000, rateMinMs: 500 },
  scaling: { rowTimeMsMax: 20_000, growthSteps: 3 },
  firstViolationTimeMsMax: 20_000,
};

export const QUICK_CAPS: Caps = {
  families: { dfsTimeMsMax: 5_000, bareTimeMsMax: 100, rateMinMs: 50 },
  scaling: { rowTimeMsMax: 500, growthSteps: 1 },
  firstViolationTimeMsMax: 2_000,
};

export function capsFor(options: BenchOptions): Caps {
  return options.quick ? QUICK_CAPS : FULL_CAPS;
}

/** The benchmark programs a run measures, in list order. */
export function selectPrograms(programs: readonly BenchProgram[], options: BenchOptions): BenchProgram[] {
  return programs.filter((p) => selected(p.id, options.families) && (!options.quick || p.expected <= QUICK_EXPECTED_MAX));
}

export function selectScenarios(scenarios: readonly Scenario[], options: BenchOptions): Scenario[] {
  return scenarios.filter((s) => selected(s.id, options.scenarios));
}

/**
 * Measures the rows in this process, or each with `measure` (bench/family-process.ts: each in a
 * fresh process, as the CLI does).
 */
export function measureFamilies(
  programs: readonly BenchProgram[],
  caps: FamilyCaps,
  progress: (s: string) => void,
  measure: FamilyMeasurer | null = null,
): FamilyRow[] {
  if (measure === null && programs.length > 0) warmUp(programs[0]!, caps.rateMinMs);
  return programs.map((p) => {
    progress(`${p.id} ${JSON.stringify(p.params)}`);
    return (measure ?? measureFamily)(p, caps);
  });
}

export interface BenchInputs {
  readonly programs: readonly BenchProgram[];
  readonly scenarios: readonly Scenario[];
  /**
   * Section 3, when a parallel search exists: its table, and whether its runs agreed with the
   * published count.
   */
  readonly jobs: ((options: BenchOptions, progress: (s: string) => void) => { text: string; countsAgree: boolean }) | null;
  /** How section 1 measures a row; null or absent: in this process. */
  readonly measureFamily?: FamilyMeasurer | null;
}

/**
 * Runs the selected sections, writing each to `out` as it completes. Returns the number of
 * searches whose finished count differs from the published one (a family row, or the runs of
 * section 3): a wrong count is a correctness bug, unlike a slow row.
 */
export function runBench(
  options: BenchOptions,
  inputs: BenchInputs,
  out: (s: string) => void,
  progress: (s: string) => void,
): number {
  let countMismatches = 0;
  const started = performance.now();
  const caps = capsFor(options);
  out(renderMachine(describeMachine()));
  out(`mode: ${options.quick ? 'quick' : 'full'}`);
  if (options.sections.has('families')) {
    const programs = selectPrograms(inputs.programs, options);
    const rows = measureFamilies(programs, caps.families, progress, inputs.measureFamily ?? null);
    countMismatches = rows.filter((r) => r.outcome !== 'capped' && countRatio(r) !== 1).length;
    out(`\n## 1. Benchmark families under dfs (shared/benchmarks.md)\n`);
    out(programs.length > 0 ? renderFamilies(rows, caps.families) : '(no program selected)');
  }
  const scenarios = selectScenarios(inputs.scenarios, options);
  if (options.sections.has('scenarios')) {
    const rows: ScalingRow[] = [];
    for (const s of scenarios) {
      for (const v of Object.keys(s.variants)) {
        progress(`${s.id}/${v}`);
        rows.push(...measureVariant(s, v, caps.scaling));
      }
    }
    out(`\n## 2. Scenarios: executions and time as parameters grow\n`);
    out(rows.length > 0 ? renderScaling(rows, scenarios, caps.scaling) : '(no scenario selected)');
  }
  if (options.sections.has('jobs')) {
    out(`\n## 3. Parallel search: --jobs 2 vs --jobs 1\n`);
    if (inputs.jobs === null) {
      out('not run: this tree has no parallel search yet.');
    } else {
      const jobs = inputs.jobs(options, progress);
      out(jobs.text);
      if (!jobs.countsAgree) countMismatches++;
    }
  }
  if (options.sections.has('bounded')) {
    const rows = buggyVariants(scenarios).map(([s, v]) => {
      progress(`bounded ${s.id}/${v}`);
      return measureFirstViolation(s, v, caps.firstViolationTimeMsMax);
    });
    out(`\n## 4. bounded: executions to the first violation of each buggy variant\n`);
    out(rows.length > 0 ? renderFirstViolation(rows) : '(no buggy variant selected)');
  }
  out(`\ntotal: ${seconds(performance.now() - started)}`);
  return countMismatches;
}

/**
 * Search on every core: `--jobs N`. The search tree is cut into partitions by a fixed rule
 * (partition.ts), the partitions are explored on a worker pool (or in this thread when there is
 * none), and their verdicts are folded in partition order (merge.ts). Nothing depends on N or on
 * timing, so the verdict, the execution count and the violation reported are the same for every N;
 * a pool of one and no pool at all explore the very same partitions.
 *
 * A search that finishes within SMALL_SEARCH_EXECUTIONS executions is run whole, in this thread:
 * splitting it would cost more than it saves (see that constant). The rule is by count, never by time, so it too
 * gives the same answer everywhere.
 */
import { InternalError, ScenarioError, UsageError } from '../runtime/errors';
import type { Expectation, Params, Scenario, Variant } from '../runtime/scenario';
import { variantOf } from '../search/variant';
import { explore, type MeterLane, type SearchLimits } from '../search/explorer';
import { PartitionMerger } from './merge';
import { explorePartition, partitionableStrategy, partitionSearch, type Partition, type PartitionJob } from './partition';
import { makeStrategy, type StrategyOptions } from '../search/strategies';
import type { Verdict } from '../search/verdict';
import { WorkerPool } from './worker-pool';
import type { ScenarioSource, WorkerAnswer } from './worker-protocol';

/**
 * Searches that end within this many executions are not split (see the file comment).
 *
 * Why not lower: splitting costs its probes (sleep-splits.ts) and a worker's start, about 0.1 s
 * and 0.4 s, which a search of a few thousand executions barely wins back: `check --all`, whose
 * two searches past 2,000 are split, took 4.6-6.4 s with --jobs 2 and 4.8-6.0 s with --jobs 1.
 *
 * Why not higher: the trial run is thrown away when the search turns out bigger. 50,000
 * executions of it were 2.5 s of lastzero(15); with a trial of 5,000, --jobs 2 over --jobs 1 on
 * lastzero(15) moved between 1.52x and 2.07x, with 2,000 between 1.64x and 1.70x (four runs each).
 */
export const SMALL_SEARCH_EXECUTIONS = 2_000;

/** One variant's search, as the CLI, the benchmark and tests ask for it. */
export interface SearchRequest {
  readonly scenario: Scenario;
  /** Where workers find the scenario; null keeps the whole search in this thread. */
  readonly source: ScenarioSource | null;
  readonly variant: string;
  /** Full parameters (defaults merged). */
  readonly params: Params;
  readonly strategy: string;
  readonly strategyOptions?: StrategyOptions;
  readonly limits: SearchLimits;
  readonly target: Expectation;
  /** Where this thread's explorers note progress (meter.ts); absent: nowhere. */
  readonly meter?: MeterLane;
}

export interface ParallelOptions {
  /**
   * The workers to explore partitions on, asked for only when a search is split (so a run of small
   * searches never starts one); absent or null: this thread, one partition after another.
   */
  readonly pool?: () => WorkerPool | null;
  /** Override of SMALL_SEARCH_EXECUTIONS (tests set 0 to split even tiny searches). */
  readonly smallSearchExecutions?: number;
}

/** Explores one variant, split and merged when the strategy allows it. */
export function searchVariant(whole: SearchRequest, options: ParallelOptions = {}): Verdict {
  const started = performance.now();
  // why one deadline: --max-time bounds the whole search (the trial run of wholeSearch, the probes
  // and every partition), never each part
  const deadlineMs = Date.now() + whole.limits.timeMsMax;
  const first = trialSearch(whole, options);
  if (first.whole !== null) return first.whole;
  const req = first.trial === null ? whole : auditedByTrial(whole, first.trial);
  const variant = variantOf(req.scenario, req.variant);
  const split = partitionableStrategy(req.strategy)!;
  const partitions = partitionSearch(req.scenario, variant, req.params, req.limits, split.sleepSets);
  const merger = new PartitionMerger(req.strategy, req.target, req.limits.executionsMax, partitions.length, req.limits.timeMsMax);
  explorePartitions(
    req,
    variant,
    partitions,
    options.pool?.() ?? null,
    {
      budget: () => merger.executionsLeft,
      accept: (p, verdict) => {
        if (merger.executionsLeft <= 0) return merger.cutIfSpent();
        return merger.add(verdict, (left) => exploreInProcess(timeLeft(req, deadlineMs), variant, p, left));
      },
      late: (_p, verdict) => merger.addLate(verdict),
    },
    deadlineMs,
  );
  return notBelowTrial(merger.result(performance.now() - started), first.trial);
}

/**
 * The request for the split search after its trial: the trial ran the search's first executions,
 * so the audit executions it ran count against the search's (withAudit). Why: each probe and
 * partition would otherwise audit its own first ones, which on a search of 2,873 executions in 22
 * partitions audited about 1,100 of them and took most of its five seconds; `--audit` still
 * audits every one.
 */
function auditedByTrial(req: SearchRequest, trial: Verdict): SearchRequest {
  const audits = req.limits.auditExecutions;
  if (audits === undefined) return req;
  const ran = trial.stats.executions + trial.stats.executionsAbandoned;
  return { ...req, limits: { ...req.limits, auditExecutions: Math.max(0, audits - ran) } };
}

/**
 * A split search cut by --max-time reports what it explored, never less than its trial run did.
 * Why it could: the trial's executions are thrown away when the search is split, and the
 * partitions explored after it may have had no time left (`0 executions` under --max-time 1, the
 * trial and the probes having taken the second). The trial's schedules are then the account: the
 * first ones of the search, cut by time. Only a time cut, whose counts depend on the clock anyway;
 * a search that ends by itself or by its execution budget is reported as its partitions add up.
 */
function notBelowTrial(merged: Verdict, trial: Verdict | null): Verdict {
  if (trial === null || merged.kind !== 'incomplete' || merged.stats.executions >= trial.stats.executions) return merged;
  const time = merged.cutBy.find((c) => c.limit === 'time');
  if (time === undefined || trial.kind !== 'incomplete') return merged;
  // why the trial's own execution cut goes: it names the trial's bound, not --max-executions
  const cutBy = [...trial.cutBy.filter((c) => c.limit !== 'executions' && c.limit !== 'time'), time];
  return { ...trial, cutBy, stats: { ...trial.stats, timeMs: merged.stats.timeMs } };
}

/**
 * The verdict of a search that needs no split: a strategy that cannot split, or a search small
 * enough to finish within the small-search bound. Null when the search must be split.
 */
export function wholeSearch(req: SearchRequest, options: ParallelOptions): Verdict | null {
  return trialSearch(req, options).whole;
}

/** wholeSearch's answer, and the trial run it threw away when the search must be split (null: none ran). */
function trialSearch(req: SearchRequest, options: ParallelOptions): { readonly whole: Verdict | null; readonly trial: Verdict | null } {
  const variant = variantOf(req.scenario, req.variant);
  const run = (executionsMax: number): Verdict =>
    explore({
      scenario: req.scenario,
      variant,
      params: req.params,
      strategy: makeStrategy(req.strategy, req.strategyOptions),
      limits: { ...req.limits, executionsMax },
      target: req.target,
      ...(req.meter ? { meter: req.meter } : {}),
    });
  if (!partitionableStrategy(req.strategy)) return { whole: run(req.limits.executionsMax), trial: null };
  const small = Math.min(options.smallSearchExecutions ?? SMALL_SEARCH_EXECUTIONS, req.limits.executionsMax);
  if (small <= 0) return { whole: null, trial: null };
  const trial = run(small);
  const cutByTrial = trial.kind === 'incomplete' && trial.cutBy.some((c) => c.limit === 'executions');
  return cutByTrial && small < req.limits.executionsMax ? { whole: null, trial } : { whole: trial, trial: null };
}

/** How a caller consumes partition verdicts, always in the order of the partitions given. */
export interface PartitionSink {
  /** Execution budget for the partition about to run in this thread. */
  budget(p: Partition): number;
  /** Takes the next verdict; true when no later partition is needed. */
  accept(p: Partition, verdict: Verdict): boolean;
  /**
   * Hears a verdict of a later partition that was explored anyway (on another thread, or here
   * while an earlier one was still out) after `accept` said none was needed.
   */
  late?(p: Partition, verdict: Verdict): void;
}

/** The request with the time bound that is left before `deadlineMs` (Date.now). */
export function timeLeft(req: SearchRequest, deadlineMs: number): SearchRequest {
  return { ...req, limits: { ...req.limits, timeMsMax: Math.max(0, deadlineMs - Date.now()) } };
}

/**
 * Explores `partitions` (a subsequence of one search's partitions) in this thread or on the pool,
 * all of them within the one deadline (Date.now) of the search they belong to.
 */
export function explorePartitions(
  req: SearchRequest,
  variant: Variant<object>,
  partitions: readonly Partition[],
  pool: WorkerPool | null,
  sink: PartitionSink,
  deadlineMs: number = Date.now() + req.limits.timeMsMax,
): void {
  if (pool === null || req.source === null) {
    for (const p of partitions) {
      if (sink.accept(p, exploreInProcess(timeLeft(req, deadlineMs), variant, p, sink.budget(p)))) return;
    }
    return;
  }
  const source = req.source;
  const byIndex = new Map(partitions.map((p, i) => [p.index, i]));
  const verdicts: (Verdict | undefined)[] = [];
  let posted = 0;
  let merged = 0;
  let decided = false;
  let failure: WorkerAnswer | null = null;
  const mergeReady = (): void => {
    while (!decided && merged < partitions.length && verdicts[merged] !== undefined) {
      const p = partitions[merged]!;
      decided = sink.accept(p, verdicts[merged]!);
      verdicts[merged++] = undefined;
      if (decided) {
        pool.stop(p.index);
        verdicts.forEach((v, i) => v !== undefined && sink.late?.(partitions[i]!, v));
      }
    }
  };
  const nextPartition = (): Partition | null =>
    decided || failure !== null || posted >= partitions.length ? null : partitions[posted++]!;
  // why: with nothing left to post, this thread takes a partition still queued at a busy worker
  // rather than sleep while that worker explores two in a row
  const stolen = (): Partition | null => (decided || failure !== null ? null : (pool.steal()?.job.partition ?? null));
  pool.run(
    () => {
      const p = nextPartition();
      if (p === null) return null;
      return { source, variant: req.variant, params: req.params, job: jobFor(req, p, req.limits.executionsMax), deadlineMs };
    },
    (answer) => {
      if (answer.kind === 'error') {
        failure ??= answer;
        pool.stop(-1);
        return;
      }
      if (answer.kind === 'stopped' || answer.kind === 'taken') return;
      const i = byIndex.get(answer.partition);
      if (i === undefined) throw new InternalError(`answer for partition ${answer.partition}, not asked for`);
      if (decided) return void sink.late?.(partitions[i]!, answer.verdict);
      verdicts[i] = answer.verdict;
      mergeReady();
    },
    // why: this thread is one of the N jobs; it explores partitions too, and so the search makes
    // progress while the workers are still starting up
    () => {
      const p = nextPartition() ?? stolen();
      if (p === null) return false;
      verdicts[byIndex.get(p.index)!] = exploreInProcess(timeLeft(req, deadlineMs), variant, p, req.limits.executionsMax);
      mergeReady();
      return true;
    },
  );
  if (failure !== null) throw rebuild(failure);
  if (!decided && merged < partitions.length) {
    throw new InternalError(`parallel search ended with partition ${partitions[merged]!.index} unexplored`);
  }
}

function jobFor(req: SearchRequest, p: Partition, executionsMax: number): PartitionJob {
  return { strategy: req.strategy, limits: { ...req.limits, executionsMax }, target: req.target, partition: p };
}

/** Explores one partition in this thread with the given execution budget. */
export function exploreInProcess(req: SearchRequest, variant: Variant<object>, p: Partition, executionsMax: number): Verdict {
  return explorePartition(req.scenario, variant, req.params, jobFor(req, p, executionsMax), undefined, req.meter)!;
}

function rebuild(a: WorkerAnswer): Error {
  if (a.kind !== 'error') return new InternalError('not an error answer');
  if (a.error === 'usage') return new UsageError(a.message);
  if (a.error === 'scenario') return new ScenarioError(a.message);
  return new InternalError(`in a search worker: ${a.message}`);
}

/**
 * One search on `jobs` threads (this one and jobs − 1 workers), the pool started and closed around
 * it; for the benchmark and other callers outside the CLI. `jobs` 1 starts no worker.
 */
export function searchWithJobs(req: SearchRequest, jobs: number, options: Omit<ParallelOptions, 'pool'> = {}): Verdict {
  const pool = jobs > 1 ? new WorkerPool(jobs - 1) : null;
  try {
    return searchVariant(req, { ...options, pool: () => pool });
  } finally {
    pool?.close();
  }
}

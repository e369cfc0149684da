import { paramsFor, variantOf } from '../search/variant';
import { explore, type SearchLimits } from '../search/explorer';
import { BoundedStrategy } from '../search/strategies/bounded';
import type { ShardFile, ShardSpec } from '../distribute/shard-file';
import { searchVariant, type SearchRequest } from '../distribute/parallel';
import { PARTITION_RULE, partitionableStrategy } from '../distribute/partition';
import { searchShard } from '../distribute/shard';
import { makeStrategy, type StrategyOptions } from '../search/strategies';
import type { WorkerPool } from '../distribute/worker-pool';
import type { ScenarioSource } from '../distribute/worker-protocol';
import { matchesExpectation, type Verdict } from '../search/verdict';
import type { Expectation, Params, Scenario } from '../runtime/scenario';
import { encodeToken, nonDefaultParams } from '../trace/schedule-token';
import { minimizeSchedule, type Minimization } from '../trace/minimize';
import { recordTrace, type Trace } from '../trace/trace';
import { replayCommand } from './replay-command';
import { ScenarioError } from '../runtime/errors';
import { DEFAULT_AUDIT_EXECUTIONS } from '../runtime/execution';

/** A scenario as the command line knows it: where it was declared, and where workers import it. */
export interface ScenarioEntry {
  readonly scenario: Scenario;
  /** Its file as shown to the reader (relative to the working directory), for annotations. */
  readonly file: string;
  /** Where workers import it from; null keeps its searches in this thread. */
  readonly source?: ScenarioSource | null;
  /** How the command line names it (a replay command's positional): its file, or its id when absent. */
  readonly target?: string;
}

/** One variant's check: what it declared, what exploration found, and the trace if it failed. */
export interface VariantReport {
  readonly scenario: Scenario;
  readonly file: string;
  /** How a replay command names the scenario: the user's file, or the registry id. */
  readonly target: string;
  readonly variant: string;
  readonly summary: string;
  readonly expected: Expectation;
  readonly verdict: Verdict;
  readonly matches: boolean;
  /** The violating execution, replayed and recorded, when the verdict is `violated`. */
  readonly trace: Trace | null;
  /** The replay token of that execution. */
  readonly token: string | null;
  /** Set when the scenario threw while this variant was checked: its one-line message (verdict "error"). */
  readonly error?: string;
  /** The exact command that replays it (`npx weft check <file or id> --variant v --replay token`). */
  readonly replay: string | null;
  /** The parameters the variant was checked with (defaults and `--param` overrides). */
  readonly params: Params;
  /** How the failing schedule was minimized before it was recorded; null when it was not. */
  readonly minimization: Minimization | null;
  /** `bounded`: executions run with exactly b preemptions, at index b; null for other strategies. */
  readonly executionsByPreemptions: readonly number[] | null;
}

export interface RunOptions {
  readonly strategy: string;
  readonly params: Params;
  readonly limits: SearchLimits;
  /** Minimize failing schedules before printing them (default true). */
  readonly minimize?: boolean;
  /**
   * Record what each step of a printed trace changed in the world (default true: it costs one
   * world walk per step of one replay, and shows the state an invariant violation is about).
   */
  readonly explain?: boolean;
  /** Called before each variant starts, for a progress line. */
  readonly onStart?: (scenario: Scenario, variant: string) => void;
  /** `--preemptions`, `--executions`, `--seed`, `--depth`. */
  readonly strategyOptions?: StrategyOptions;
  /** Workers for split searches, started on first use; absent: one whole search in this thread. */
  readonly pool?: () => WorkerPool | null;
  /** Where workers find a scenario; null (or absent) keeps its searches in this thread. */
  readonly sourceOf?: (scenario: Scenario) => ScenarioSource | null;
  /**
   * A scenario that throws becomes one failing report (with `error`) and the other variants still
   * run (`--all`); without it the ScenarioError propagates.
   */
  readonly keepGoing?: boolean;
  /** How the reader runs weft, for replay commands (default: the installed `npx weft check`). */
  readonly command?: string;
  /** A verdict found elsewhere (merged shards): used instead of searching. */
  readonly verdictOf?: (scenario: Scenario, variant: string) => Verdict;
}

/**
 * The limits with the audit in force: the first DEFAULT_AUDIT_EXECUTIONS executions of every
 * search are audit executions unless the options say how many (`--audit`: all).
 */
function audited(limits: SearchLimits): SearchLimits {
  return limits.auditExecutions === undefined ? { ...limits, auditExecutions: DEFAULT_AUDIT_EXECUTIONS } : limits;
}

/** One variant's search request as the run options describe it. */
function requestFor(scenario: Scenario, variant: string, params: Params, target: Expectation, options: RunOptions): SearchRequest {
  return {
    scenario,
    source: options.sourceOf?.(scenario) ?? null,
    variant,
    params,
    strategy: options.strategy,
    strategyOptions: options.strategyOptions ?? {},
    limits: audited(options.limits),
    target,
  };
}

/** Searches one variant: split over workers when the strategy allows it, else as one search. */
function search(req: SearchRequest, options: RunOptions): { verdict: Verdict; executionsByPreemptions: readonly number[] | null } {
  if (options.verdictOf) return { verdict: options.verdictOf(req.scenario, req.variant), executionsByPreemptions: null };
  // why every --jobs value splits, 1 included: the partitions are the same for every N, so the
  // verdict, the count and the violation reported never depend on N (or on the machine's cores)
  if (partitionableStrategy(req.strategy) && options.pool) {
    return { verdict: searchVariant(req, { pool: options.pool }), executionsByPreemptions: null };
  }
  const strategy = makeStrategy(req.strategy, req.strategyOptions);
  const verdict = explore({
    scenario: req.scenario,
    variant: variantOf(req.scenario, req.variant),
    params: req.params,
    strategy,
    limits: req.limits,
    target: req.target,
  });
  return { verdict, executionsByPreemptions: strategy instanceof BoundedStrategy ? [...strategy.executionsByBound()] : null };
}

/** `--shard i/n`: this shard's share of every named variant's search, as a mergeable file. */
export function runShard(
  targets: readonly { scenario: Scenario; file: string }[],
  only: string | null,
  shard: ShardSpec,
  options: RunOptions,
): ShardFile {
  const results: ShardFile['results'][number][] = [];
  for (const { scenario } of targets) {
    const params = paramsFor(scenario, options.params);
    for (const name of only === null ? Object.keys(scenario.variants) : [only]) {
      const target = variantOf(scenario, name).expect ?? 'holds';
      options.onStart?.(scenario, name);
      const req = requestFor(scenario, name, params, target, options);
      results.push({ scenario: scenario.id, variant: name, params, target, search: searchShard(req, shard, options.pool ? { pool: options.pool } : {}) });
    }
  }
  return { format: 'weft-shard', version: 1, shard, strategy: options.strategy, limits: options.limits, rule: PARTITION_RULE, results };
}

/** Checks the named variants (all when `only` is null) of each scenario, in order. */
export function runChecks(
  targets: readonly { scenario: Scenario; file: string; target?: string }[],
  only: string | null,
  options: RunOptions,
): VariantReport[] {
  const reports: VariantReport[] = [];
  for (const { scenario, file, target: named } of targets) {
    const params = paramsFor(scenario, options.params);
    const names = only === null ? Object.keys(scenario.variants) : [only];
    for (const name of names) {
      const variant = variantOf(scenario, name);
      options.onStart?.(scenario, name);
      const expected = variant.expect ?? 'holds';
      if (options.keepGoing) {
        try {
          reports.push(...runChecks([{ scenario, file, ...(named === undefined ? {} : { target: named }) }], name, { ...options, keepGoing: false, onStart: () => {} }));
        } catch (e) {
          if (!(e instanceof ScenarioError)) throw e;
          reports.push(errorReport(scenario, file, named ?? scenario.id, name, variant.summary, expected, params, options.strategy, e.message.split('\n')[0]!));
        }
        continue;
      }
      const searched = search(requestFor(scenario, name, params, expected, options), options);
      const verdict = searched.verdict;
      let trace: Trace | null = null;
      let token: string | null = null;
      let minimization: Minimization | null = null;
      if (verdict.kind === 'violated') {
        // The trace is about the declared check when it fired, else about the first that did.
        const wanted = expected !== 'holds' ? expected.violated : null;
        const focus = verdict.violations.find((v) => v.check === wanted)?.check ?? verdict.violations[0]!.check;
        let schedule = verdict.schedule;
        if (options.minimize ?? true) {
          minimization = minimizeSchedule({ scenario, variant, params, schedule, check: focus, limits: audited(options.limits) });
          schedule = minimization.schedule;
        }
        trace = recordTrace(scenario, name, variant, params, schedule, { focus, explain: options.explain ?? true, audit: true });
        token = encodeToken({
          scenario: scenario.id,
          variant: name,
          params: nonDefaultParams(scenario.params, params),
          schedule,
        });
      }
      reports.push({
        scenario,
        file,
        target: named ?? scenario.id,
        variant: name,
        summary: variant.summary,
        expected,
        verdict,
        matches: matchesExpectation(verdict, expected),
        trace,
        token,
        replay: token === null ? null : replayCommand({ scenario, target: named ?? scenario.id, variant: name, token }, options.command),
        params,
        minimization,
        executionsByPreemptions: searched.executionsByPreemptions,
      });
    }
  }
  return reports;
}

/** What `check` is asked: the search options, and optionally one variant of a one-scenario run. */
export interface CheckOptions extends RunOptions {
  /** Check only this variant (of the one target); absent or null: every variant. */
  readonly variant?: string | null;
}

/**
 * The library's use case behind `npx tsx check`: every named variant of every entry, searched,
 * compared with what it declares and, when violated, minimized, recorded and given a replay
 * token and command. The CLI renders exactly this report.
 */
export function check(entries: readonly ScenarioEntry[], options: CheckOptions): VariantReport[] {
  return runChecks(entries, options.variant ?? null, options);
}

/** The report of a variant whose scenario threw: verdict "error", not as expected. */
function errorReport(
  scenario: Scenario,
  file: string,
  target: string,
  variant: string,
  summary: string,
  expected: Expectation,
  params: Params,
  strategy: string,
  error: string,
): VariantReport {
  const stats = { executions: 0, executionsAbandoned: 0, steps: 0, executionsViolated: 0, executionsCut: 0, timeMs: 0 };
  return {
    scenario,
    file,
    target,
    variant,
    summary,
    expected,
    // why incomplete underneath: a Verdict has no error kind; every renderer reads `error` first
    verdict: { kind: 'incomplete', strategy, cutBy: [], stats },
    matches: false,
    error,
    trace: null,
    token: null,
    replay: null,
    params,
    minimization: null,
    executionsByPreemptions: null,
  };
}

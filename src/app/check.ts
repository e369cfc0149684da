import { paramsFor, variantOf } from '../search/variant';
import { withAudit, type SearchLimits } from '../search/explorer';
import type { ShardFile, ShardSearch, ShardSpec } from '../distribute/shard-file';
import type { SearchRequest } from '../distribute/parallel';
import { PARTITION_RULE } from '../distribute/partition';
import { runSearch, type SearchOutcome } from '../distribute/search-job';
import { searchShard } from '../distribute/shard';
import type { StrategyOptions } from '../search/strategies';
import type { WorkerPool } from '../distribute/worker-pool';
import type { ScenarioSource } from '../distribute/worker-protocol';
import { matchesExpectation, type Verdict } from '../search/verdict';
import { expectedChecks, type Expectation, type Params, type Scenario } from '../runtime/scenario';
import type { CheckId } from '../runtime/check-id';
import type { Finding } from '../search/verdict';
import { encodeToken, nonDefaultParams } from '../trace/schedule-token';
import { minimizeSchedule, type Minimization } from '../trace/minimize';
import { recordTrace, type Trace } from '../trace/trace';
import { replayCommand } from './replay-command';
import { ScenarioError } from '../runtime/errors';
import type { Picks } from '../runtime/execution';
import { entryBeside } from '../distribute/worker-boot';

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

/**
 * A module named on the command line that threw on import, kept as an entry so that a run of
 * several files (`--all`) reports it as one error row in its place and checks the others.
 */
export interface BrokenEntry {
  readonly broken: true;
  /** Its file as shown to the reader. */
  readonly file: string;
  /** How the command line names it. */
  readonly target: string;
  /** One line: the module's own message. */
  readonly error: string;
}

/** What `check` is given: scenarios, and modules that could not be loaded. */
export type CheckEntry = ScenarioEntry | BrokenEntry;

const isBroken = (e: CheckEntry): e is BrokenEntry => 'broken' in e;

/** One variant's check: what it declared, what exploration found, and the trace if it failed. */
export interface CheckedReport {
  readonly kind: 'checked';
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
  /** The exact command that replays it (`npx weft check <file or id> --variant v --replay token`). */
  readonly replay: string | null;
  /** The parameters the variant was checked with (defaults and `--param` overrides). */
  readonly params: Params;
  /** How the failing schedule was minimized before it was recorded; null when it was not. */
  readonly minimization: Minimization | null;
  /** `bounded`: executions run with exactly b preemptions, at index b; null for other strategies. */
  readonly executionsByPreemptions: readonly number[] | null;
  /**
   * When the search was cut before it found what the variant declares: the other checks it saw
   * fire on the way (first execution of each), each replayable. Empty otherwise.
   */
  readonly others: readonly OtherViolation[];
  /**
   * With several expected checks (`{ violated, and }`): each one, in declared order, whether the
   * search met it, and how to replay the execution that did. Empty for one check or `holds`.
   */
  readonly expectations: readonly ExpectedCheckReport[];
}

/** One of several expected checks: met or not, and where. */
export interface ExpectedCheckReport {
  readonly check: CheckId;
  /** Whether some explored execution violated it. */
  readonly found: boolean;
  /** Its message in that execution; null when not found. */
  readonly message: string | null;
  readonly token: string | null;
  readonly replay: string | null;
}

/**
 * A variant that has no verdict because its scenario threw (setup, a thread, an invariant: a
 * ScenarioError), or a module that threw on import. Never as expected; the run exits 2.
 */
export interface ErrorReport {
  readonly kind: 'error';
  /** The scenario; null when its module threw on import, before any scenario was known. */
  readonly scenario: Scenario | null;
  /** The scenario's id, or the module's file when there is no scenario. */
  readonly id: string;
  readonly file: string;
  readonly target: string;
  /** The variant being checked; null when the module threw on import. */
  readonly variant: string | null;
  /** What the variant declared; null when the module threw on import. */
  readonly expected: Expectation | null;
  readonly summary: string | null;
  readonly params: Params;
  readonly matches: false;
  /** When it broke: importing the module, or checking the variant. */
  readonly during: 'import' | 'check';
  /** One line: what threw. */
  readonly error: string;
}

/** One row of a run: a checked variant, or one that broke. */
export type VariantReport = CheckedReport | ErrorReport;

/** The scenario id a report is about (the module's file for a module that threw on import). */
export function reportId(r: VariantReport): string {
  return r.kind === 'error' ? r.id : r.scenario.id;
}

/** `id/variant`, or the module's file alone when it threw on import. */
export function reportName(r: VariantReport): string {
  return r.variant === null ? reportId(r) : `${reportId(r)}/${r.variant}`;
}

/** Another check's violation met by a search cut before it answered what was asked. */
export interface OtherViolation {
  /** The checks that fired in that execution, in the order they fired. */
  readonly checks: readonly string[];
  /** The first one's message. */
  readonly message: string;
  readonly token: string;
  readonly replay: string;
}

export interface RunOptions {
  readonly strategy: string;
  readonly params: Params;
  readonly limits: SearchLimits;
  /** Minimize failing schedules before printing them (default true). */
  readonly minimize?: boolean;
  /** Executions minimization may run per failing schedule (default MINIMIZE_EXECUTIONS_MAX). */
  readonly minimizeBudget?: number;
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

/** One variant's search request as the run options describe it. */
function requestFor(scenario: Scenario, variant: string, params: Params, target: Expectation, options: RunOptions): SearchRequest {
  return {
    scenario,
    source: options.sourceOf?.(scenario) ?? null,
    variant,
    params,
    strategy: options.strategy,
    strategyOptions: options.strategyOptions ?? {},
    limits: withAudit(options.limits),
    target,
  };
}

/** Searches one variant in this thread: split over workers when the strategy allows it, else as one search. */
function search(req: SearchRequest, options: RunOptions): SearchOutcome {
  if (options.verdictOf) return { verdict: options.verdictOf(req.scenario, req.variant), executionsByPreemptions: null };
  return runSearch(req, options.pool);
}

/** `--shard i/n` as plain data, for the search worker's after step (search-worker.ts in this folder). */
export interface ShardOrder {
  readonly shard: ShardSpec;
}

/**
 * `--shard i/n`: this shard's share of every named variant's search, as a mergeable file. Each
 * share is searched by `hosted` when it takes it (the CLI's search worker, under its watchdog),
 * else in this thread.
 */
export async function runShard(
  targets: readonly { scenario: Scenario; file: string }[],
  only: string | null,
  shard: ShardSpec,
  options: RunOptions,
  hosted: (req: SearchRequest, order: ShardOrder) => Promise<ShardSearch> | null = () => null,
): Promise<ShardFile> {
  const results: ShardFile['results'][number][] = [];
  for (const { scenario } of targets) {
    const params = paramsFor(scenario, options.params);
    for (const name of only === null ? Object.keys(scenario.variants) : [only]) {
      const target = variantOf(scenario, name).expect ?? 'holds';
      options.onStart?.(scenario, name);
      const req = requestFor(scenario, name, params, target, options);
      const search = (await hosted(req, { shard })) ?? searchShard(req, shard, options.pool ? { pool: options.pool } : {});
      results.push({ scenario: scenario.id, variant: name, params, target, search });
    }
  }
  return { format: 'weft-shard', version: 1, shard, strategy: options.strategy, limits: options.limits, rule: PARTITION_RULE, results };
}

/** One variant of one target, as runChecks walks them. */
interface Job {
  readonly scenario: Scenario;
  readonly file: string;
  readonly named: string | undefined;
  readonly name: string;
  readonly params: Params;
}

function* jobsOf(targets: readonly CheckEntry[], only: string | null, options: RunOptions): Generator<Job | BrokenEntry> {
  for (const entry of targets) {
    if (isBroken(entry)) {
      yield entry;
      continue;
    }
    const { scenario, file, target: named } = entry;
    const params = paramsFor(scenario, options.params);
    for (const name of only === null ? Object.keys(scenario.variants) : [only]) {
      options.onStart?.(scenario, name);
      yield { scenario, file, named, name, params };
    }
  }
}

function requestOf(job: Job, options: RunOptions): SearchRequest {
  return requestFor(job.scenario, job.name, job.params, variantOf(job.scenario, job.name).expect ?? 'holds', options);
}

/**
 * A variant that threw: with `keepGoing`, one failing report (the other variants still run);
 * without it, the ScenarioError goes on up.
 */
function failed(job: Job, e: unknown, options: RunOptions): ErrorReport {
  if (!(e instanceof ScenarioError) || !options.keepGoing) throw e;
  const variant = variantOf(job.scenario, job.name);
  return {
    kind: 'error',
    scenario: job.scenario,
    id: job.scenario.id,
    file: job.file,
    target: job.named ?? job.scenario.id,
    variant: job.name,
    expected: variant.expect ?? 'holds',
    summary: variant.summary,
    params: job.params,
    matches: false,
    during: 'check',
    error: e.message.split('\n')[0]!,
  };
}

/** Checks the named variants (all when `only` is null) of each scenario, in order. */
export function runChecks(targets: readonly CheckEntry[], only: string | null, options: RunOptions): VariantReport[] {
  const reports: VariantReport[] = [];
  for (const job of jobsOf(targets, only, options)) {
    if (isBroken(job)) {
      reports.push(moduleErrorReport(job));
      continue;
    }
    try {
      reports.push(reportOf(job, search(requestOf(job, options), options), options));
    } catch (e) {
      reports.push(failed(job, e, options));
    }
  }
  return reports;
}

/**
 * What reporting a violation takes after its search, as plain data (it crosses to a search
 * worker): the schedule minimized unless `minimize` is false, then replayed and recorded.
 */
export interface TraceOrder {
  readonly minimize: boolean;
  readonly minimizeBudget?: number;
  readonly explain: boolean;
  readonly limits: SearchLimits;
}

/** A violation's schedule as the report shows it: minimized (when asked), and its recorded trace. */
export interface ViolationTrace {
  readonly schedule: readonly number[];
  /** The values of the schedule's choose() steps, per thread, when it has any. */
  readonly picks?: Picks;
  readonly minimization: Minimization | null;
  readonly trace: Trace;
  /**
   * With several expected checks: for each other one the search met, the schedule of the execution
   * that met it, minimized for that check as the printed trace is for its own (the TraceOrder
   * says whether to minimize).
   */
  readonly others: readonly { readonly check: CheckId; readonly schedule: readonly number[]; readonly picks?: Picks }[];
}

/** Where a watchdog follows the runs of traceViolation (a search worker's meter): see AfterSearchContext. */
export interface TraceWatch {
  readonly watch: Int32Array;
  /** Called once per execution run. */
  readonly ran: () => void;
}

function traceOrder(options: RunOptions): TraceOrder {
  return {
    minimize: options.minimize ?? true,
    ...(options.minimizeBudget === undefined ? {} : { minimizeBudget: options.minimizeBudget }),
    explain: options.explain ?? true,
    limits: options.limits,
  };
}

/**
 * A violated search's schedule minimized and recorded: in this thread for reportOf, and in the
 * CLI's search worker as its after step (search-worker.ts in this folder), so that a model that
 * hangs on another schedule than the search's is ended by the same watchdog.
 */
export function traceViolation(scenario: Scenario, name: string, params: Params, verdict: Extract<Verdict, { kind: 'violated' }>, order: TraceOrder, watched?: TraceWatch): ViolationTrace {
  const variant = variantOf(scenario, name);
  const expected = variant.expect ?? 'holds';
  // why counted at setup: once per execution, whichever runner runs it, and nothing per step
  const counted: Scenario = watched ? { ...scenario, setup: (p) => (watched.ran(), scenario.setup(p)) } : scenario;
  const watch = watched ? { watch: watched.watch } : {};
  // The trace is about the first declared check that fired, else about the first that did.
  const focus = expectedChecks(expected).find((c) => verdict.violations.some((v) => v.check === c)) ?? verdict.violations[0]!.check;
  let schedule = verdict.schedule;
  let picks = verdict.picks;
  let minimization: Minimization | null = null;
  if (order.minimize) {
    minimization = minimizeSchedule({
      ...{ scenario: counted, variant, params, schedule, check: focus, limits: withAudit(order.limits), ...watch },
      ...(picks ? { picks } : {}),
      ...(order.minimizeBudget === undefined ? {} : { executionsMax: order.minimizeBudget }),
    });
    schedule = minimization.schedule;
    picks = minimization.picks;
  }
  const chosen = picks ? { picks } : {};
  const trace = recordTrace(counted, name, variant, params, schedule, { focus, explain: order.explain, audit: true, ...watch, ...chosen });
  const others: { check: CheckId; schedule: readonly number[]; picks?: Picks }[] = [];
  const findings: readonly Finding[] = [verdict, ...(verdict.also ?? [])];
  for (const check of expectedChecks(expected)) {
    if (check === focus) continue;
    const f = findings.find((x) => x.violations.some((v) => v.check === check));
    if (f === undefined) continue;
    if (!order.minimize) {
      others.push({ check, schedule: f.schedule, ...(f.picks ? { picks: f.picks } : {}) });
      continue;
    }
    const m = minimizeSchedule({
      ...{ scenario: counted, variant, params, schedule: f.schedule, check, limits: withAudit(order.limits), ...watch },
      ...(f.picks ? { picks: f.picks } : {}),
      ...(order.minimizeBudget === undefined ? {} : { executionsMax: order.minimizeBudget }),
    });
    others.push({ check, schedule: m.schedule, ...(m.picks ? { picks: m.picks } : {}) });
  }
  return { schedule, ...chosen, minimization, trace, others };
}

/**
 * A search run elsewhere (the CLI's search worker) and its violation's trace, made there from the
 * TraceOrder it was given; null when there is none (no violation), or when --max-time ended its
 * making (`traceCut`): the report then records the schedule the search found, unminimized.
 */
export interface HostedOutcome {
  readonly outcome: SearchOutcome;
  readonly traced: ViolationTrace | null;
  readonly traceCut: boolean;
}

/** The search worker's entry module (this folder's search-worker.ts), for a SearchHost. */
export const SEARCH_WORKER_ENTRY = entryBeside(import.meta.url, 'search-worker');

/**
 * runChecks with each search run by `hosted` when it takes it (a search worker: search-host.ts),
 * so the caller's event loop turns while it runs; searches it declines (null) run in this thread
 * (`verdictOf` then stands for the search there, as in runChecks).
 * `onReport` hears each report as soon as it is made (what an interrupted run has to show).
 */
export async function runChecksHosted(
  targets: readonly CheckEntry[],
  only: string | null,
  options: RunOptions,
  hosted: (req: SearchRequest, order: TraceOrder) => Promise<HostedOutcome> | null,
  onReport: (r: VariantReport) => void = () => {},
): Promise<VariantReport[]> {
  const reports: VariantReport[] = [];
  for (const job of jobsOf(targets, only, options)) {
    let report: VariantReport;
    if (isBroken(job)) {
      report = moduleErrorReport(job);
      reports.push(report);
      onReport(report);
      continue;
    }
    try {
      const req = requestOf(job, options);
      const elsewhere = hosted(req, traceOrder(options));
      if (elsewhere === null) report = reportOf(job, search(req, options), options);
      else {
        const h = await elsewhere;
        report = reportOf(job, h.outcome, options, h.traced ?? (h.traceCut ? { ...traceOrder(options), minimize: false } : undefined));
      }
    } catch (e) {
      report = failed(job, e, options);
    }
    reports.push(report);
    onReport(report);
  }
  return reports;
}

/**
 * The report of one searched variant: for a violation, minimized, recorded and given a replay
 * token. `traced`: the violation's trace made elsewhere, or how to make it here (default: as the
 * options say).
 */
function reportOf(job: Job, searched: SearchOutcome, options: RunOptions, traced?: ViolationTrace | TraceOrder): CheckedReport {
  const { scenario, file, named, name, params } = job;
  const variant = variantOf(scenario, name);
  const expected = variant.expect ?? 'holds';
  const verdict = searched.verdict;
  let trace: Trace | null = null;
  let token: string | null = null;
  let minimization: Minimization | null = null;
  let otherTraces: ViolationTrace['others'] = [];
  if (verdict.kind === 'violated') {
    const made = traced !== undefined && 'trace' in traced ? traced : traceViolation(scenario, name, params, verdict, traced ?? traceOrder(options));
    ({ trace, minimization } = made);
    otherTraces = made.others ?? [];
    token = encodeToken({ scenario: scenario.id, variant: name, params: nonDefaultParams(scenario.params, params), schedule: made.schedule, ...(made.picks ? { picks: made.picks } : {}) });
  }
  const tokenOf = (f: Pick<Finding, 'schedule' | 'picks'>): string =>
    encodeToken({ scenario: scenario.id, variant: name, params: nonDefaultParams(scenario.params, params), schedule: f.schedule, ...(f.picks ? { picks: f.picks } : {}) });
  const replayOf = (t: string): string => replayCommand({ scenario, target: named ?? scenario.id, variant: name, token: t }, options.command);
  const wantedChecks = expectedChecks(expected);
  const met: readonly Finding[] =
    wantedChecks.length < 2 ? [] : verdict.kind === 'violated' ? [verdict, ...(verdict.also ?? [])] : verdict.kind === 'incomplete' ? (verdict.found ?? []) : [];
  const expectations = (wantedChecks.length < 2 ? [] : wantedChecks).map((check): ExpectedCheckReport => {
    const f = met.find((x) => x.violations.some((v) => v.check === check));
    if (f === undefined) return { check, found: false, message: null, token: null, replay: null };
    // why the printed trace's token for its own check, and the others' minimized schedules: each was
    // minimized for its check (traceViolation)
    const minimized = otherTraces.find((o) => o.check === check);
    const t = f === verdict && verdict.kind === 'violated' && trace?.focus?.check === check && token !== null ? token : tokenOf(minimized ?? f);
    return { check, found: true, message: f.violations.find((v) => v.check === check)!.message, token: t, replay: replayOf(t) };
  });
  return {
    kind: 'checked',
    expectations,
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
    others: (verdict.kind === 'incomplete' ? (verdict.others ?? []) : []).map((f) => {
      const t = encodeToken({ scenario: scenario.id, variant: name, params: nonDefaultParams(scenario.params, params), schedule: f.schedule, ...(f.picks ? { picks: f.picks } : {}) });
      return {
        checks: f.violations.map((v) => v.check),
        message: f.violations[0]!.message,
        token: t,
        replay: replayCommand({ scenario, target: named ?? scenario.id, variant: name, token: t }, options.command),
      };
    }),
  };
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
export function check(entries: readonly CheckEntry[], options: CheckOptions): VariantReport[] {
  return runChecks(entries, options.variant ?? null, options);
}

/** `check` with its searches run by `hosted` where it takes them (the CLI's search worker). */
export function checkHosted(
  entries: readonly CheckEntry[],
  options: CheckOptions,
  hosted: (req: SearchRequest, order: TraceOrder) => Promise<HostedOutcome> | null,
  onReport?: (r: VariantReport) => void,
): Promise<VariantReport[]> {
  return runChecksHosted(entries, options.variant ?? null, options, hosted, onReport);
}

/** The row of a module that threw on import: no scenario, no variant, its own message. */
function moduleErrorReport(entry: BrokenEntry): ErrorReport {
  return {
    kind: 'error',
    scenario: null,
    id: entry.file,
    file: entry.file,
    target: entry.target,
    variant: null,
    expected: null,
    summary: null,
    params: {},
    matches: false,
    during: 'import',
    error: entry.error,
  };
}

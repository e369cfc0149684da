/** `npx tsx check …`: parse, run, render, exit code. Nothing else lives here. */
import { paramsFor, variantOf } from '../search/variant';
import type { SearchRequest } from '../distribute/parallel';
import { InternalError, ScenarioError, UsageError } from '../runtime/errors';
import type { Params, Scenario } from '../runtime/scenario';
import { describeExpectation } from '../runtime/scenario';
import type { renderJunit } from '../report/junit';
import { compareFix, fixReplays, type FixConfirmation } from '../app/confirm-fix';
import { renderFixConfirmation } from '../report/fix';
import type { renderHtml } from '../report/html';
import { renderChanges, renderTable, renderViolations } from '../report/table';
import { reportsToJson, traceToJson } from '../report/json';
import { decodeToken, type ScheduleToken } from '../trace/schedule-token';
import type { Trace } from '../trace/trace';
import { recordReplay, type ReplayOrder } from '../app/replay';
import { parseArgs, type CliOptions } from './args';
import type { ScenarioEntry } from '../app/check';
import { checkHosted, SEARCH_WORKER_ENTRY, type BrokenEntry, type CheckedReport, type CheckEntry, type HostedOutcome, type RunOptions, type ShardOrder, type TraceOrder, type VariantReport, type ViolationTrace } from '../app/check';
import type { EntryMerge } from '../distribute/merge';
import { describeShard, type ShardSearch } from '../distribute/shard-file';
import { SearchHost, SearchInterrupted } from '../distribute/search-host';
import { ProgressLine } from './progress';
import { mergeShardResults, renderSearchDetails, renderShard, searchOptions, seedFor, withSearchDetails } from '../app/shards';
import { LazyPool } from '../distribute/worker-pool';
import { githubAnnotations } from '../report/annotations';
import { EXIT, type ExitCode } from './exit-codes';
import { loadCheckEntries, loadScenarioFiles } from './scenario-files';
import { closest } from './suggest';
import { assertWritable, tryWrite } from './output-files';
import { checkParamLimits } from '../app/param-limits';
import { renderLines, renderScenario, renderSummary } from '../report/text';
import { INSTALLED_COMMAND, replayCommand } from '../app/replay-command';

/** Where output goes; injected so tests run the CLI in-process. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal (progress lines are drawn only there). */
  readonly isTTY: boolean;
  /** Environment variables (GITHUB_ACTIONS turns on workflow annotations). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C (SIGINT): the search stops, what was explored is printed, exit 130. */
  readonly interrupt?: AbortSignal;
}

/**
 * The renderers of `--junit` and `--html` files, loaded only when a flag asks for them: the JUnit
 * one pulls in fast-xml-parser, which every other run would pay for at start (bench/cold-start.ts).
 */
interface FileRenderers {
  readonly junit: typeof renderJunit | null;
  readonly html: typeof renderHtml | null;
}

async function fileRenderers(options: CliOptions): Promise<FileRenderers> {
  const [junit, html] = await Promise.all([options.junit ? import('../report/junit') : null, options.html ? import('../report/html') : null]);
  return { junit: junit?.renderJunit ?? null, html: html?.renderHtml ?? null };
}

/** The scenarios the CLI knows: the registry, or a test's own list. */
export type Registry = readonly ScenarioEntry[];

/**
 * Runs one command line. `registry` is what a scenario id names (weft's own scenarios in this
 * repository, none in the installed bin); `command` is how the reader runs weft, as the printed
 * replay commands spell it.
 */
export async function main(argv: readonly string[], io: Io, registry: Registry, command: string = INSTALLED_COMMAND): Promise<ExitCode> {
  try {
    const options = parseArgs(argv, (s) => io.out(s));
    if (options.helpShown) return EXIT.ok;
    if (options.junit) assertWritable('--junit', options.junit);
    if (options.html) assertWritable('--html', options.html);
    const files = await fileRenderers(options);
    // Scenario files given on the command line take the registry's place.
    if (options.list || options.merge || options.replay) {
      const scenarios = options.files.length ? await loadScenarioFiles(options.files) : registry;
      if (options.list) return list(scenarios, io);
      if (options.merge) return await merge(scenarios, options, io, command, files);
      return await replay(scenarios, options, io, command, files);
    }
    return await check(options.files.length ? await loadCheckEntries(options.files, options) : registry, options, io, command, files);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ScenarioError) {
      io.err(`weft: ${e.message}\n`);
      return EXIT.broken;
    }
    const message = e instanceof InternalError ? e.message : `[weft internal bug] ${e instanceof Error ? e.stack : String(e)}`;
    io.err(`${message}\n`);
    return EXIT.broken;
  }
}

const entryName = (e: CheckEntry): string => ('broken' in e ? e.target : e.scenario.id);

function findScenario(scenarios: Registry, id: string): ScenarioEntry {
  const found = scenarios.find((s) => s.scenario.id === id);
  if (!found) {
    const near = closest(id, scenarios.map((s) => s.scenario.id));
    throw new UsageError(`no scenario '${id}'${near ? `; did you mean '${near}'?` : ''} (check --list)`);
  }
  return found;
}

function list(scenarios: Registry, io: Io): ExitCode {
  // why widths from every row: variant names and expectations vary (benign-double-release)
  const all = scenarios.flatMap(({ scenario }) => Object.entries(scenario.variants));
  const nameWidth = Math.max(...all.map(([name]) => name.length));
  const expectWidth = Math.max(...all.map(([, v]) => describeExpectation(v.expect).length));
  for (const { scenario } of scenarios) {
    io.out(`${scenario.id}: ${scenario.title}\n`);
    const params = Object.entries(scenario.params);
    if (params.length) io.out(`  params: ${params.map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
    for (const [name, v] of Object.entries(scenario.variants)) {
      io.out(`  ${name.padEnd(nameWidth)}  expect ${describeExpectation(v.expect).padEnd(expectWidth)}  ${v.summary}\n`);
    }
  }
  return EXIT.ok;
}

async function check(entries: readonly CheckEntry[], options: CliOptions, io: Io, command: string, files: FileRenderers): Promise<ExitCode> {
  const scenarios = entries.filter((e): e is ScenarioEntry => !('broken' in e));
  const targets = options.all || options.files.length ? entries : [findScenario(scenarios, options.scenario!)];
  const loaded = targets.filter((e): e is ScenarioEntry => !('broken' in e));
  if (options.variant) {
    if (targets.length > 1) throw new UsageError(`--variant needs one scenario; the files export ${targets.length} (${targets.map(entryName).join(', ')})`);
    if (loaded[0]) variantOf(loaded[0].scenario, options.variant);
  }
  const broken = entries.find((e): e is BrokenEntry => 'broken' in e);
  // why refused: a shard file holds searches only; a module that did not load has none to merge
  if (options.shard && broken) throw new UsageError(`${broken.target} throws on import: ${broken.error}`);
  for (const t of loaded) if (Object.keys(options.params).every((k) => Object.hasOwn(t.scenario.params, k))) checkParamLimits(t.scenario, options.params);
  const pool = new LazyPool(options.jobs);
  // why a worker for every search of a scenario that has a module: this thread then stays free to
  // draw progress, hear Ctrl-C and end a search past --max-time whose thread never yields
  const host = loaded.some((t) => t.source) ? new SearchHost(options.jobs, SEARCH_WORKER_ENTRY) : null;
  const progress = io.isTTY && !options.json ? new ProgressLine((s) => io.err(s), () => host?.meter.totals().executions ?? 0) : null;
  const seed = seedFor(options);
  const done: VariantReport[] = [];
  let current = '';
  let reports: VariantReport[];
  try {
    const run = {
      ...searchOptions(options, pool, seed, (s) => scenarios.find((e) => e.scenario === s)?.source ?? null),
      command,
      onStart: (s: Scenario, v: string) => {
        current = `${s.id}/${v}`;
        progress?.start(current);
      },
    };
    if (options.shard) return await shard(loaded, options, run, host, () => current, io, command);
    const hosted = host === null ? () => null : (req: SearchRequest, order: TraceOrder) => (req.source === null ? null : hostedCheck(host, req, order, io));
    const checkOptions = { ...run, variant: options.variant, minimize: options.minimize, minimizeBudget: options.minimizeBudget, keepGoing: options.all || targets.length > 1 };
    reports = await checkHosted(targets, checkOptions, hosted, (r) => done.push(r));
  } catch (e) {
    if (!(e instanceof SearchInterrupted)) throw e;
    progress?.clear();
    return interrupted(done, current, e, options, io);
  } finally {
    pool.close();
    host?.close();
    progress?.clear();
  }
  return render(reports, options, io, seed, files);
}

/**
 * One variant's search and its violation's trace in the search worker. When --max-time ended the
 * trace's making (minimization) there, the report's trace is the schedule the search found, and a
 * line on stderr says so: a cut is never silent.
 */
async function hostedCheck(host: SearchHost, req: SearchRequest, order: TraceOrder, io: Io, merge?: EntryMerge): Promise<HostedOutcome> {
  const h = await host.search<ViolationTrace | null>(req, order, io.interrupt, merge);
  if (h.afterCut && order.minimize) {
    io.err(`weft: ${req.scenario.id}/${req.variant}: --max-time ${req.limits.timeMsMax / 1000} s ended the minimization; the trace shown is the schedule the search found\n`);
  }
  return { outcome: h.outcome, traced: h.after, traceCut: h.afterCut };
}

/** Ctrl-C: the verdicts found so far, the search that was stopped as incomplete, exit 130. */
function interrupted(done: readonly VariantReport[], current: string, e: SearchInterrupted, options: CliOptions, io: Io): ExitCode {
  for (const line of renderLines(done, options.timing)) io.out(`${line}\n`);
  // why said apart: the search had ended with a violation, and only the making of its trace was stopped
  const found = e.found?.verdict.kind === 'violated' ? e.found.verdict : null;
  // why the verdict's counts then: after --merge the worker searched nothing itself (the shards did)
  const counts = found ? countedIn(found.stats, e.explored.timeMs, options) : counted(e, options);
  if (found) io.out(`stopped ${current}: violated:${found.violations[0]!.check} found after ${counts}; interrupted while its trace was being minimized\n`);
  else io.out(`stopped ${current}: incomplete, interrupted after ${counts}\n`);
  io.err(`weft: interrupted (SIGINT); the verdicts above are all that was decided${found ? ', with the violation found by the search that was stopped' : ''}\n`);
  return EXIT.interrupted;
}

/** What an interrupted search had explored, as the stop line says it. */
function counted(e: SearchInterrupted, options: CliOptions): string {
  return countedIn(e.explored, e.explored.timeMs, options);
}

function countedIn(x: { readonly executions: number; readonly steps: number }, timeMs: number, options: CliOptions): string {
  const n = (k: number): string => Math.round(k).toLocaleString('en-US');
  return `${n(x.executions)} execution${x.executions === 1 ? '' : 's'}, ${n(x.steps)} steps${options.timing ? ` in ${(timeMs / 1000).toFixed(1)} s` : ''}`;
}

/** Prints reports as text or JSON (and JUnit, HTML, annotations); the exit code says whether all match. */
function render(reports: VariantReport[], options: CliOptions, io: Io, seed: string | null, files: FileRenderers): ExitCode {
  // why stderr: stdout is the report (`--json` must parse); the runner reads commands from both
  if (io.env.GITHUB_ACTIONS === 'true') io.err(githubAnnotations(reports));
  if (options.json) io.out(`${JSON.stringify(withSearchDetails(reportsToJson(reports, options.timing), reports, seed), null, 2)}\n`);
  else if (options.all) renderAll(reports, options.timing, io, options.explain);
  else io.out(`${renderScenario(reports, options.timing, options.explain)}\n\n${renderSummary(reports)}\n`);
  if (!options.json) io.out(renderSearchDetails(reports, seed));
  // Files are written after the results print, so a full disk never loses them.
  const failures = [
    options.junit && files.junit ? tryWrite('--junit', options.junit, files.junit(reports, options.timing)) : null,
    options.html && files.html ? writeHtml(options.html, reports, io, files.html) : null,
  ].filter((f): f is string => f !== null);
  for (const f of failures) io.err(`${f}\n`);
  if (failures.length || reports.some((r) => r.kind === 'error')) return EXIT.broken;
  return reports.every((r) => r.matches) ? EXIT.ok : EXIT.mismatch;
}

/** The page shows one trace: the first that is not as expected, else the first there is. */
function writeHtml(file: string, reports: readonly VariantReport[], io: Io, renderHtml: typeof import('../report/html').renderHtml): string | null {
  const traced = reports.filter((x): x is CheckedReport => x.kind === 'checked' && x.trace !== null);
  const r = traced.find((x) => !x.matches) ?? traced[0];
  if (!r?.trace || !r.token) {
    io.err(`weft: no violation, so no trace for ${file}\n`);
    return null;
  }
  return tryWrite('--html', file, renderHtml({ trace: r.trace, title: r.scenario.title, replay: r.replay }));
}

function renderAll(reports: readonly VariantReport[], timing: boolean, io: Io, explain: boolean): void {
  for (const line of renderLines(reports, timing)) io.out(`${line}\n`);
  for (const r of reports.filter((x) => !x.matches)) {
    io.out(`\n${renderScenario([r], timing, explain)}\n`);
  }
  io.out(`\n${renderSummary(reports)}\n`);
}

async function replay(scenarios: Registry, options: CliOptions, io: Io, command: string, files: FileRenderers): Promise<ExitCode> {
  const token = decodeToken(options.replay!);
  if (options.scenario && options.scenario !== token.scenario) {
    throw new UsageError(`the token is for scenario '${token.scenario}', not '${options.scenario}'`);
  }
  if (options.files.length && !scenarios.some((e) => e.scenario.id === token.scenario)) {
    throw new UsageError(`the token is for scenario '${token.scenario}', which ${options.files.join(' ')} does not export`);
  }
  const found = findScenario(scenarios, token.scenario);
  const { scenario } = found;
  variantOf(scenario, token.variant); // an unknown variant is the first thing to say
  const params = paramsFor(scenario, { ...token.params, ...options.params });
  checkParamLimits(scenario, options.params);
  if (options.variant && options.variant !== token.variant) return await confirm(options, io, files, found, token.variant, options.variant, params, token.schedule, token.picks);
  const order: ReplayOrder = { replay: true, variant: token.variant, params, schedule: token.schedule, ...(token.picks ? { picks: token.picks } : {}), explain: options.explain || options.html !== null };
  let trace: Trace;
  try {
    trace = await recordedReplay(found, order, options, io);
  } catch (e) {
    if (!(e instanceof SearchInterrupted)) throw e;
    io.err(`weft: interrupted (SIGINT) while ${scenario.id}/${token.variant} replayed; nothing was recorded\n`);
    return EXIT.interrupted;
  }
  if (options.json) {
    io.out(`${JSON.stringify({ version: 1, scenario: scenario.id, variant: token.variant, status: trace.status, trace: traceToJson(trace) }, null, 2)}\n`);
  } else {
    io.out(`${scenario.id}/${token.variant}: replay of ${trace.steps.length} steps, ${trace.status}\n\n`);
    io.out(`${renderTable(trace)}\n`);
    if (trace.violations.length) io.out(`\n${renderViolations(trace)}\n`);
    if (options.explain) io.out(`\n${renderChanges(trace)}\n`);
  }
  const renderHtml = files.html;
  return writeAfter(io, options.html && renderHtml && ['--html', options.html, () => renderHtml({ trace, title: scenario.title, replay: replayCommand({ scenario, target: found.target ?? scenario.id, variant: token.variant, token: options.replay!.trim() }, command) })], EXIT.ok);
}

/**
 * A replay's trace: recorded in the search worker for a scenario a user's file gives, as its check
 * is (under --max-time's watchdog, with Ctrl-C heard), and in this thread for weft's own registry,
 * whose models its tests keep from hanging and whose replays a worker's start would slow.
 */
async function recordedReplay(found: ScenarioEntry, order: ReplayOrder, options: CliOptions, io: Io): Promise<Trace> {
  return (await recordedReplays(found, [order], options, io))[0]!;
}

/** recordedReplay of several orders, in order, in one search worker. */
async function recordedReplays(found: ScenarioEntry, orders: readonly ReplayOrder[], options: CliOptions, io: Io): Promise<Trace[]> {
  if (!options.files.length || !found.source) return orders.map((order) => recordReplay(found.scenario, order));
  const source = found.source;
  const host = new SearchHost(1, SEARCH_WORKER_ENTRY);
  const traces: Trace[] = [];
  try {
    for (const order of orders) {
      const target = variantOf(found.scenario, order.variant).expect ?? 'holds';
      const req: SearchRequest = { scenario: found.scenario, source, variant: order.variant, params: order.params, strategy: options.strategy, limits: options.limits, target };
      traces.push(await host.replay<Trace>(req, order, io.interrupt));
    }
  } finally {
    host.close();
  }
  return traces;
}

/** Writes a file after the results printed; a failure is one line on stderr and exit 2. */
function writeAfter(io: Io, file: false | null | "" | readonly [string, string, () => string], code: ExitCode): ExitCode {
  if (!file) return code;
  const failure = tryWrite(file[0], file[1], file[2]());
  if (failure === null) return code;
  io.err(`${failure}\n`);
  return EXIT.broken;
}

/**
 * `--replay TOKEN --variant V`: the token's schedule against another variant, as far as it goes.
 * Both recordings run where a replay's does (recordedReplay): in the search worker, one task per
 * variant (each watched as a replay of its own variant), for a scenario a user's file gives.
 */
async function confirm(
  options: CliOptions,
  io: Io,
  files: FileRenderers,
  found: ScenarioEntry,
  from: string,
  to: string,
  params: Params,
  schedule: readonly number[],
  picks: ScheduleToken['picks'],
): Promise<ExitCode> {
  const { scenario } = found;
  const request = { params, schedule, from, to, ...(picks ? { picks } : {}) };
  let c: FixConfirmation;
  try {
    const [original, fixed] = await recordedReplays(found, fixReplays(request), options, io);
    c = compareFix(original!, fixed!);
  } catch (e) {
    if (!(e instanceof SearchInterrupted)) throw e;
    io.err(`weft: interrupted (SIGINT) while the schedule of ${scenario.id}/${from} replayed against ${to}; nothing was recorded\n`);
    return EXIT.interrupted;
  }
  if (options.json) {
    io.out(
      `${JSON.stringify(
        {
          version: 1,
          scenario: scenario.id,
          from,
          variant: to,
          holdsAlong: c.holdsAlong,
          divergence: c.fixed.divergence,
          firstDifference: c.firstDifference,
          trace: traceToJson(c.fixed),
        },
        null,
        2,
      )}\n`,
    );
  } else {
    io.out(`${renderFixConfirmation(c)}\n`);
    if (options.explain) io.out(`\n${renderChanges(c.fixed)}\n`);
  }
  const renderHtml = files.html;
  const html = () => renderHtml!({ trace: c.fixed, title: `${scenario.title}: the schedule of ${from} against ${to}`, replay: null });
  return writeAfter(io, options.html && renderHtml && ['--html', options.html, html], c.holdsAlong ? EXIT.ok : EXIT.mismatch);
}

/**
 * `--shard i/n`: this shard's share of each search, as text or as the JSON file `--merge` reads;
 * searched in the search worker for a scenario with a module, as a plain search is. Ctrl-C
 * writes nothing on stdout: part of a shard file would be merged as if it were all of it.
 */
async function shard(targets: Registry, options: CliOptions, run: RunOptions, host: SearchHost | null, current: () => string, io: Io, command: string): Promise<ExitCode> {
  const hosted = (req: SearchRequest, order: ShardOrder): Promise<ShardSearch> | null => (host === null || req.source === null ? null : host.replay<ShardSearch>(req, order, io.interrupt, 'shard'));
  try {
    // why the files: a shard of a user's file merges only with that file named again
    const mergeCommand = [command, ...options.files, '--merge', '<files…>'].join(' ');
    io.out(await renderShard(targets, options, run, hosted, mergeCommand));
  } catch (e) {
    if (!(e instanceof SearchInterrupted)) throw e;
    io.err(`weft: interrupted (SIGINT) in shard ${describeShard(options.shard!)} of ${current()} after ${counted(e, options)}; no shard result was written\n`);
    return EXIT.interrupted;
  }
  return EXIT.ok;
}

/**
 * `--merge files…`: one verdict per variant from every shard's result, reported like a search.
 * Merging runs the model (partitions explored again, violations minimized and recorded), so a
 * scenario with a module is merged in the search worker, as it is searched; Ctrl-C prints the
 * verdicts merged so far and exits 130.
 */
async function merge(scenarios: Registry, options: CliOptions, io: Io, command: string, files: FileRenderers): Promise<ExitCode> {
  const host = scenarios.some((e) => e.source) ? new SearchHost(options.jobs, SEARCH_WORKER_ENTRY) : null;
  const progress = io.isTTY && !options.json ? new ProgressLine((s) => io.err(s), () => host?.meter.totals().executions ?? 0) : null;
  const done: VariantReport[] = [];
  let current = '';
  const hosted = (req: SearchRequest, order: TraceOrder, m: EntryMerge): Promise<HostedOutcome> | null => {
    current = `${req.scenario.id}/${req.variant}`;
    progress?.start(current);
    return host === null || req.source === null ? null : hostedCheck(host, req, order, io, m);
  };
  try {
    const lookup = (id: string): ScenarioEntry => {
      if (options.files.length || scenarios.some((s) => s.scenario.id === id)) return findScenario(scenarios, id);
      throw new UsageError(`the shards searched '${id}', which is not one of weft's own scenarios: name its file before --merge (${command} <file> --merge <shards…>)`);
    };
    const { reports, options: merged } = await mergeShardResults(options, lookup, command, hosted, (r) => done.push(r));
    progress?.clear();
    return render(reports, merged, io, null, files);
  } catch (e) {
    if (!(e instanceof SearchInterrupted)) throw e;
    progress?.clear();
    return interrupted(done, current, e, options, io);
  } finally {
    host?.close();
    progress?.clear();
  }
}

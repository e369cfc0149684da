/** `npx tsx check …`: parse, run, render, exit code. Nothing else lives here. */
import { scenarios as registered } from '../../scenarios/index';
import { paramsFor, variantOf } from '../explore/check-variant';
import { InternalError, ScenarioError, UsageError } from '../runtime/errors';
import type { Scenario } from '../runtime/scenario';
import { describeExpectation } from '../runtime/scenario';
import { writeFileSync } from 'node:fs';
import { renderJunit } from '../trace/render-junit';
import { renderTable, renderViolations } from '../trace/render-table';
import { reportsToJson, traceToJson } from '../trace/render-json';
import { decodeToken } from '../trace/schedule-token';
import { recordTrace } from '../trace/trace';
import { parseArgs, type CliOptions } from './args';
import { runChecks, type VariantReport } from './check-run';
import { githubAnnotations } from './annotations';
import { EXIT, type ExitCode } from './exit-codes';
import { renderLine, renderScenario, renderSummary } from './render-text';

/** Where output goes; injected so tests run the CLI in-process. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal (progress lines are drawn only there). */
  readonly isTTY: boolean;
  /** Environment variables (GITHUB_ACTIONS turns on workflow annotations). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The scenarios the CLI knows: the registry, or a test's own list. */
type Registry = readonly { scenario: Scenario; file: string }[];
let scenarios: Registry = registered;

export function main(argv: readonly string[], io: Io, registry: Registry = registered): ExitCode {
  scenarios = registry;
  try {
    const options = parseArgs(argv, (s) => io.out(s));
    if (options.helpShown) return EXIT.ok;
    if (options.list) return list(io);
    if (options.replay) return replay(options, io);
    return check(options, io);
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

function findScenario(id: string): { scenario: Scenario; file: string } {
  const found = scenarios.find((s) => s.scenario.id === id);
  if (!found) {
    throw new UsageError(`no scenario '${id}' (known: ${scenarios.map((s) => s.scenario.id).join(', ')})`);
  }
  return found;
}

function list(io: Io): ExitCode {
  for (const { scenario } of scenarios) {
    io.out(`${scenario.id}: ${scenario.title}\n`);
    const params = Object.entries(scenario.params);
    if (params.length) io.out(`  params: ${params.map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
    for (const [name, v] of Object.entries(scenario.variants)) {
      io.out(`  ${name.padEnd(12)} expect ${describeExpectation(v.expect).padEnd(32)} ${v.summary}\n`);
    }
  }
  return EXIT.ok;
}

function check(options: CliOptions, io: Io): ExitCode {
  const targets = options.all ? scenarios : [findScenario(options.scenario!)];
  if (options.variant) variantOf(targets[0]!.scenario, options.variant);
  const progress = io.isTTY && !options.json;
  const reports = runChecks(targets, options.variant, {
    strategy: options.strategy,
    params: options.params,
    limits: options.limits,
    ...(progress ? { onStart: (s: Scenario, v: string) => io.err(`\r\x1b[2Kchecking ${s.id}/${v} …`) } : {}),
  });
  if (progress) io.err('\r\x1b[2K');
  if (options.junit) writeFileSync(options.junit, renderJunit(reports, options.timing));
  if (io.env.GITHUB_ACTIONS === 'true') io.out(githubAnnotations(reports));
  if (options.json) io.out(`${JSON.stringify(reportsToJson(reports, options.timing), null, 2)}\n`);
  else if (options.all) renderAll(reports, options.timing, io);
  else io.out(`${renderScenario(reports, options.timing)}\n\n${renderSummary(reports)}\n`);
  return reports.every((r) => r.matches) ? EXIT.ok : EXIT.mismatch;
}

function renderAll(reports: readonly VariantReport[], timing: boolean, io: Io): void {
  for (const r of reports) io.out(`${renderLine(r, timing)}\n`);
  for (const r of reports.filter((x) => !x.matches)) {
    io.out(`\n${renderScenario([r], timing)}\n`);
  }
  io.out(`\n${renderSummary(reports)}\n`);
}

function replay(options: CliOptions, io: Io): ExitCode {
  const token = decodeToken(options.replay!);
  if (options.scenario && options.scenario !== token.scenario) {
    throw new UsageError(`the token is for scenario '${token.scenario}', not '${options.scenario}'`);
  }
  if (options.variant && options.variant !== token.variant) {
    throw new UsageError(`the token is for variant '${token.variant}', not '${options.variant}'`);
  }
  const { scenario } = findScenario(token.scenario);
  const variant = variantOf(scenario, token.variant);
  const params = paramsFor(scenario, { ...token.params, ...options.params });
  const trace = recordTrace(scenario, token.variant, variant, params, token.schedule);
  if (options.json) {
    io.out(`${JSON.stringify({ version: 1, scenario: scenario.id, variant: token.variant, status: trace.status, trace: traceToJson(trace) }, null, 2)}\n`);
    return EXIT.ok;
  }
  io.out(`${scenario.id}/${token.variant}: replay of ${trace.steps.length} steps, ${trace.status}\n\n`);
  io.out(`${renderTable(trace)}\n`);
  if (trace.violations.length) io.out(`\n${renderViolations(trace)}\n`);
  return EXIT.ok;
}

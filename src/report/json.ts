/**
 * `--json`: the `weft-report` format. `{ format: 'weft-report', version, results, summary }`, and
 * `seed` when the strategy samples. One result per row of the text report, in its order:
 *
 * - a checked variant: `scenario`, `file`, `variant`, `params`, `expected`, `verdict` (`holds`,
 *   `violated` or `incomplete`), `matches`, `strategy`, `stats` (no `timeMs` under `--no-timing`),
 *   `violations`, `cutBy`, `token`, `replay`, `minimization`, `trace` (null unless violated),
 *   `expectations` (for a variant that expects several checks, each: `check`, `found`, `message`,
 *   `token`, `replay`; empty otherwise), and `executionsByPreemptions` under `--strategy bounded`;
 * - a variant whose scenario threw: `scenario`, `file`, `variant`, `params`, `expected`,
 *   `verdict: 'error'`, `matches: false`, `during: 'check'` and `error`, the one-line message; no
 *   search fields, since there was no search;
 * - a module that threw on import (a run of several files): the same with `scenario`, `variant`
 *   and `expected` null, `params` empty and `during: 'import'`.
 *
 * `summary`: `variants` (rows), `matching`, `errors`. Versions: 2 added `format`, `params` and `replay`;
 * 3 gave error rows their own shape (before, they carried a made-up empty `incomplete` search);
 * 4 added `expectations`, and `expected` and `verdict`-side check names may list several checks
 * (`violated:assertion+deadlock`).
 */
import type { CheckedReport, ErrorReport, VariantReport } from '../app/check';
import { describeExpectation } from '../runtime/scenario';
import type { Trace } from '../trace/trace';

/** Bumped when a field changes meaning or goes; new fields keep the version. */
export const REPORT_VERSION = 4;

/** The JSON form of a set of reports: the same data as the text, for tools. */
export function reportsToJson(reports: readonly VariantReport[], timing: boolean): object {
  return {
    format: 'weft-report',
    version: REPORT_VERSION,
    results: reports.map((r) => (r.kind === 'error' ? errorToJson(r) : checkedToJson(r, timing))),
    summary: { variants: reports.length, matching: reports.filter((r) => r.matches).length, errors: reports.filter((r) => r.kind === 'error').length },
  };
}

function errorToJson(r: ErrorReport): object {
  return {
    scenario: r.scenario === null ? null : r.id,
    file: r.file,
    variant: r.variant,
    params: r.params,
    expected: r.expected === null ? null : describeExpectation(r.expected),
    verdict: 'error',
    matches: false,
    during: r.during,
    error: r.error,
  };
}

function checkedToJson(r: CheckedReport, timing: boolean): object {
  return {
    scenario: r.scenario.id,
    file: r.file,
    variant: r.variant,
    params: r.params,
    expected: describeExpectation(r.expected),
    verdict: r.verdict.kind,
    matches: r.matches,
    strategy: r.verdict.strategy,
    stats: timing ? r.verdict.stats : { ...r.verdict.stats, timeMs: undefined },
    violations: r.verdict.kind === 'violated' ? r.verdict.violations : [],
    cutBy: r.verdict.kind === 'incomplete' ? r.verdict.cutBy : [],
    others: r.others,
    expectations: r.expectations,
    token: r.token,
    replay: r.replay,
    minimization: r.minimization
      ? { found: r.minimization.found, minimized: r.minimization.minimized, executions: r.minimization.executions, preemptionsProvenMinimal: r.minimization.preemptionsProvenMinimal, preemptionsRuledOutBelow: r.minimization.preemptionsRuledOutBelow, budget: r.minimization.budget }
      : null,
    trace: r.trace ? traceToJson(r.trace) : null,
  };
}

export function traceToJson(t: Trace): object {
  return {
    threads: t.threads,
    steps: t.steps.map((s) => ({
      step: s.step,
      thread: t.threads[s.thread]!.letter,
      label: s.label,
      object: s.object,
      access: s.access,
      result: s.result,
      violations: s.violations.map((v) => v.check),
      ...(s.blocked.length ? { blocked: s.blocked.map((b) => ({ thread: t.threads[b.thread]!.letter, label: b.label, waitsFor: b.waitsFor })) } : {}),
      ...(s.changes !== null ? { changes: s.changes } : {}),
    })),
    violations: t.violations,
    focus: t.focus,
    ...(t.divergence ? { divergence: t.divergence } : {}),
  };
}

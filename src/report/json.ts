import type { VariantReport } from '../app/check';
import { describeExpectation } from '../runtime/scenario';
import type { Trace } from '../trace/trace';

/** Bumped when a field changes meaning or goes; new fields keep the version. */
export const REPORT_VERSION = 2;

/** The JSON form of a set of reports: the same data as the text, for tools. */
export function reportsToJson(reports: readonly VariantReport[], timing: boolean): object {
  return {
    format: 'weft-report',
    version: REPORT_VERSION,
    results: reports.map((r) => ({
      scenario: r.scenario.id,
      file: r.file,
      variant: r.variant,
      params: r.params,
      expected: describeExpectation(r.expected),
      verdict: r.error !== undefined ? 'error' : r.verdict.kind,
      ...(r.error !== undefined ? { error: r.error } : {}),
      matches: r.matches,
      strategy: r.verdict.strategy,
      stats: timing ? r.verdict.stats : { ...r.verdict.stats, timeMs: undefined },
      violations: r.verdict.kind === 'violated' ? r.verdict.violations : [],
      cutBy: r.verdict.kind === 'incomplete' ? r.verdict.cutBy : [],
      others: r.others,
      token: r.token,
      replay: r.replay,
      minimization: r.minimization
        ? { found: r.minimization.found, minimized: r.minimization.minimized, executions: r.minimization.executions, preemptionsProvenMinimal: r.minimization.preemptionsProvenMinimal }
        : null,
      trace: r.trace ? traceToJson(r.trace) : null,
    })),
    summary: { variants: reports.length, matching: reports.filter((r) => r.matches).length },
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

import { describeVerdict, type Verdict } from '../search/verdict';
import { describeExpectation } from '../runtime/scenario';
import type { Minimization } from '../trace/minimize';
import { renderChanges, renderTable, renderViolations } from './table';
import { reportId, reportName, type CheckedReport, type ErrorReport, type VariantReport } from '../app/check';

const count = (n: number) => n.toLocaleString('en-US');

/** How far the search went, in words: `55,040 executions, every schedule explored`. */
export function describeSearch(v: Verdict): string {
  const s = v.stats;
  // why say so: optimal DPOR runs none; a count here is work that explored no new schedule
  const redundant = s.executionsAbandoned > 0 ? ` (and ${count(s.executionsAbandoned)} redundant, not counted)` : '';
  const base = `${count(s.executions)} execution${s.executions === 1 ? '' : 's'}${redundant}, ${count(s.steps)} steps`;
  if (v.kind === 'holds') return `${base}, every schedule explored (${v.strategy})`;
  if (v.kind === 'violated') return `${base} (${v.strategy})`;
  const why = v.cutBy.length
    ? v.cutBy.map((c) => `${c.detail} (raise with ${c.flag})`).join('; ')
    : `${v.strategy} samples schedules and cannot prove that none fails`;
  return `${base}, search incomplete: ${why}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `trace minimized: 2 → 1 preemptions, 17 → 14 steps (47 executions; 1 is the fewest possible)`. */
export function describeMinimization(m: Minimization): string {
  const p = `${m.found.preemptions} → ${plural(m.minimized.preemptions, 'preemption')}`;
  const st = `${m.found.steps} → ${plural(m.minimized.steps, 'step')}`;
  const proof = m.preemptionsProvenMinimal
    ? `no schedule with fewer preemptions violates ${m.check}`
    : m.preemptionsRuledOutBelow > 0
      ? `no schedule with fewer than ${plural(m.preemptionsRuledOutBelow, 'preemption')} violates ${m.check}; the budget of ${count(m.budget)} executions ran out before fewer than ${m.minimized.preemptions} were ruled out`
      : `the budget of ${count(m.budget)} executions ran out before fewer preemptions were ruled out`;
  return `trace minimized: ${p}, ${st} to the violation (${plural(m.executions, 'execution')}; ${proof})`;
}

/**
 * One line per expected check when a variant expects several: `expected deadlock: violated: … ·
 * replay: …`, or why it was not (`not violated in any schedule`, `not met before the search was cut`).
 */
export function describeExpectations(r: CheckedReport): string[] {
  return r.expectations.map((e) =>
    e.found
      ? `expected ${e.check}: violated: ${e.message} · replay: ${e.replay}`
      : `expected ${e.check}: ${r.verdict.kind === 'incomplete' ? 'not met before the search stopped' : 'not violated in any schedule'}`,
  );
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** Full report of one variant: verdict line, and for a violation the trace and how to replay it. */
export function renderVariant(r: VariantReport, timing: boolean, explain = false): string {
  if (r.kind === 'error') return renderError(r);
  const lines: string[] = [];
  const mark = r.matches ? 'as expected' : 'NOT AS EXPECTED';
  lines.push(`  ${r.variant}: ${r.summary}`);
  lines.push(
    `    verdict ${describeVerdict(r.verdict, r.expected)} (expected ${describeExpectation(r.expected)}) · ` +
      `${describeSearch(r.verdict)}${timing ? ` · ${seconds(r.verdict.stats.timeMs)}` : ''} · ${mark}`,
  );
  for (const line of describeExpectations(r)) lines.push(`    ${line}`);
  // why beside the verdict, not as it: the search was cut before it answered what was asked
  for (const o of r.others) lines.push(`    meanwhile violated (not what was asked): ${o.checks.join(', ')}: ${o.message} · replay: ${o.replay}`);
  if (r.trace && r.token) {
    if (r.minimization) lines.push(`    ${describeMinimization(r.minimization)}`);
    lines.push('');
    lines.push(indent(renderTable(r.trace), 4));
    lines.push('');
    lines.push(indent(renderViolations(r.trace), 4));
    if (explain && r.trace.steps.some((st) => st.changes !== null)) {
      lines.push('');
      lines.push(indent(renderChanges(r.trace), 4));
    }
    if (r.replay) lines.push(`    replay: ${r.replay}`);
  }
  return lines.join('\n');
}

/** A variant whose scenario threw, or a module that threw on import: what broke, in one line. */
function renderError(r: ErrorReport): string {
  if (r.variant === null) return `  ${r.file}: threw on import: ${r.error} · NOT AS EXPECTED`;
  return `  ${r.variant}: ${r.summary}\n    error (expected ${describeExpectation(r.expected!)}): ${r.error} · NOT AS EXPECTED`;
}

/** What a row says it got: the verdict, or what threw. */
function got(r: VariantReport): string {
  if (r.kind === 'checked') return `got ${describeVerdict(r.verdict, r.expected)}`;
  return r.during === 'import' ? `error: threw on import: ${r.error}` : `got error: ${r.error}`;
}

/** One scenario with all its checked variants. */
export function renderScenario(reports: readonly VariantReport[], timing: boolean, explain = false): string {
  const first = reports[0];
  if (!first) return '';
  if (first.scenario === null) return reports.map((r) => renderVariant(r, timing, explain)).join('\n\n');
  const s = first.scenario;
  const params = Object.entries(first.params);
  const head = [
    `${s.id}: ${s.title}`,
    ...(params.length ? [`  params: ${params.map(([k, v]) => `${k}=${v}`).join(' ')}`] : []),
    ...s.commits.map((c) => `  models ${c}`),
  ];
  return [...head, '', reports.map((r) => renderVariant(r, timing, explain)).join('\n\n')].join('\n');
}

/**
 * One line per variant, for --all, in columns as wide as their widest cell (an expectation such as
 * `violated:tlb-no-stale-after-syscall` must not push the rest of its line out of line).
 */
export function renderLines(reports: readonly VariantReport[], timing: boolean): string[] {
  const rows = reports.map((r) => {
    // why no count or time for an error: it has no search to count, and a 0 would read as one
    const cols = [
      r.matches ? 'ok' : 'FAIL',
      reportName(r),
      r.expected === null ? '' : `expected ${describeExpectation(r.expected)}`,
      got(r),
      r.kind === 'checked' ? `${count(r.verdict.stats.executions)} execution${r.verdict.stats.executions === 1 ? '' : 's'}` : '',
    ];
    if (timing) cols.push(r.kind === 'checked' ? seconds(r.verdict.stats.timeMs) : '');
    return cols;
  });
  // Counts and times are right-aligned, the rest left-aligned.
  const right = (i: number) => i >= 4;
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((row) => row.map((c, i) => (right(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

export function renderSummary(reports: readonly VariantReport[]): string {
  const bad = reports.filter((r) => !r.matches).length;
  const errors = reports.filter((r) => r.kind === 'error').length;
  const scenarios = new Set(reports.map(reportId)).size;
  return `${scenarios} scenario${scenarios === 1 ? '' : 's'}, ${reports.length} variant${reports.length === 1 ? '' : 's'}: ${reports.length - bad} as expected, ${bad} not${errors ? ` (${errors} threw)` : ''}`;
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n');
}

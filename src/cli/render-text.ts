import { describeVerdict, type Verdict } from '../explore/verdict';
import { describeExpectation } from '../runtime/scenario';
import { renderTable, renderViolations } from '../trace/render-table';
import type { VariantReport } from './check-run';

const count = (n: number) => n.toLocaleString('en-US');

export function replayCommand(r: { scenario: { id: string }; variant: string; token: string }): string {
  return `npx tsx check ${r.scenario.id} --variant ${r.variant} --replay ${r.token}`;
}

/** How far the search went, in words: `55,040 executions, every schedule explored`. */
export function describeSearch(v: Verdict): string {
  const s = v.stats;
  const base = `${count(s.executions)} execution${s.executions === 1 ? '' : 's'}, ${count(s.steps)} steps`;
  if (v.kind === 'holds') return `${base}, every schedule explored (${v.strategy})`;
  if (v.kind === 'violated') return `${base} (${v.strategy})`;
  const why = v.cutBy.length
    ? v.cutBy.map((c) => `${c.detail} (raise with ${c.flag})`).join('; ')
    : `${v.strategy} samples schedules and cannot prove that none fails`;
  return `${base}, search incomplete: ${why}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** Full report of one variant: verdict line, and for a violation the trace and how to replay it. */
export function renderVariant(r: VariantReport, timing: boolean): string {
  const lines: string[] = [];
  const mark = r.matches ? 'as expected' : 'NOT AS EXPECTED';
  lines.push(`  ${r.variant}: ${r.summary}`);
  lines.push(
    `    verdict ${describeVerdict(r.verdict, r.expected)} (expected ${describeExpectation(r.expected)}) · ` +
      `${describeSearch(r.verdict)}${timing ? ` · ${seconds(r.verdict.stats.timeMs)}` : ''} · ${mark}`,
  );
  if (r.trace && r.token) {
    lines.push('');
    lines.push(indent(renderTable(r.trace), 4));
    lines.push('');
    lines.push(indent(renderViolations(r.trace), 4));
    lines.push(`    replay: ${replayCommand({ scenario: r.scenario, variant: r.variant, token: r.token })}`);
  }
  return lines.join('\n');
}

/** One scenario with all its checked variants. */
export function renderScenario(reports: readonly VariantReport[], timing: boolean): string {
  const first = reports[0];
  if (!first) return '';
  const s = first.scenario;
  const head = [`${s.id}: ${s.title}`, ...s.commits.map((c) => `  models ${c}`)];
  return [...head, '', reports.map((r) => renderVariant(r, timing)).join('\n\n')].join('\n');
}

/** One line per variant, for --all. */
export function renderLine(r: VariantReport, timing: boolean): string {
  const cols = [
    r.matches ? 'ok  ' : 'FAIL',
    `${r.scenario.id}/${r.variant}`.padEnd(52),
    `expected ${describeExpectation(r.expected)}`.padEnd(34),
    `got ${describeVerdict(r.verdict, r.expected)}`.padEnd(32),
    `${count(r.verdict.stats.executions)} executions`.padStart(20),
  ];
  if (timing) cols.push(seconds(r.verdict.stats.timeMs).padStart(9));
  return cols.join(' ').trimEnd();
}

export function renderSummary(reports: readonly VariantReport[]): string {
  const bad = reports.filter((r) => !r.matches).length;
  const scenarios = new Set(reports.map((r) => r.scenario.id)).size;
  return `${scenarios} scenario${scenarios === 1 ? '' : 's'}, ${reports.length} variant${reports.length === 1 ? '' : 's'}: ${reports.length - bad} as expected, ${bad} not`;
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n');
}

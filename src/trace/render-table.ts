import type { Violation } from '../checks/check';
import type { Trace, TraceStep } from './trace';

/**
 * The failing schedule as kernel engineers write races up in commit messages: one column per
 * thread, one row per step, the step's kernel label in the column of the thread that ran it.
 * A thread that becomes blocked shows what it waits for in its own column; the step where a
 * check fired is marked ✗. Pure function of the trace: no colours, times or paths.
 */
export function renderTable(trace: Trace): string {
  const n = trace.threads.length;
  const header = ['t', ...trace.threads.map((t) => `${t.letter} ${t.name}`)];
  const rows: string[][] = [];
  let wasBlocked = new Set<number>();
  for (const s of trace.steps) {
    const row = new Array<string>(n + 1).fill('');
    row[0] = String(s.step);
    row[s.thread + 1] = cell(s);
    const nowBlocked = new Set<number>();
    for (const b of s.blocked) {
      nowBlocked.add(b.thread);
      if (!wasBlocked.has(b.thread) && b.thread !== s.thread) {
        row[b.thread + 1] = `(blocked: ${b.waitsFor ?? b.label})`;
      }
    }
    wasBlocked = nowBlocked;
    rows.push(row);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' │ ').trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('─┼─');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

function cell(s: TraceStep): string {
  let text = s.label + (s.result !== null ? ` → ${s.result}` : '');
  for (const v of s.violations) text += `  ✗ ${v.check}`;
  return text;
}

/** The violations under the table: which check, where, what, and the state it is about. */
export function renderViolations(trace: Trace): string {
  return trace.violations.map((v) => describeViolation(trace, v)).join('\n');
}

export function describeViolation(trace: Trace, v: Violation): string {
  const who = v.thread >= 0 ? ` in ${trace.threads[v.thread]!.letter} (${trace.threads[v.thread]!.name})` : '';
  const state = v.state !== undefined ? `\n    state: ${v.state}` : '';
  return `✗ ${v.check} at t${v.step}${who}: ${v.message}${state}`;
}

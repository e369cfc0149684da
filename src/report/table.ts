import type { Violation } from '../runtime/check';
import { formatPatch } from '../trace/explain';
import { formatStepCall } from './step';
import type { Trace, TraceStep } from '../trace/trace';

/**
 * The failing schedule as kernel engineers write races up in commit messages: one column per
 * thread, one row per step, the step's kernel label in the column of the thread that ran it.
 * A thread that becomes blocked shows what it waits for in its own column; the step where a
 * check fired is marked ✗. Steps after the violation the trace is about (threads only running to
 * completion) are left out and counted. Pure function of the trace: no colours, times or paths.
 */
export function renderTable(trace: Trace): string {
  const n = trace.threads.length;
  const shown = shownSteps(trace);
  const header = ['t', ...trace.threads.map((t) => `${t.letter} ${t.name}`)];
  const rows: string[][] = [];
  let wasBlocked = new Set<number>();
  for (const s of shown) {
    const row = new Array<string>(n + 1).fill('');
    row[0] = String(s.step);
    row[s.thread + 1] = cell(s, trace.focus);
    const nowBlocked = new Set<number>();
    for (const b of s.blocked) {
      nowBlocked.add(b.thread);
      if (!wasBlocked.has(b.thread) && b.thread !== s.thread) {
        row[b.thread + 1] = b.waitsFor !== null ? `(waits for ${b.waitsFor})` : `(blocked in ${b.label})`;
      }
    }
    wasBlocked = nowBlocked;
    rows.push(row);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' │ ').trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('─┼─');
  const out = [line(header), rule, ...rows.map(line)];
  const left = trace.steps.length - shown.length;
  if (left > 0) {
    const who = [...new Set(trace.steps.slice(shown.length).map((s) => trace.threads[s.thread]!.letter))].join(', ');
    out.push(`(${left} later step${left === 1 ? '' : 's'} left out: ${who} running on after the violation)`);
  }
  return out.join('\n');
}

/** Steps up to and including the one at which the trace's focus violation fired. */
export function shownSteps(trace: Trace): readonly TraceStep[] {
  const f = trace.focus;
  if (f === null) return trace.steps;
  const at = trace.steps.findIndex((s) => s.violations.includes(f));
  return at < 0 ? trace.steps : trace.steps.slice(0, at + 1);
}

function cell(s: TraceStep, focus: Violation | null): string {
  let text = formatStepCall(s);
  for (const v of s.violations) text += v === focus ? `  ✗ ${v.check} ◀` : `  ✗ ${v.check}`;
  return text;
}

/**
 * The violations under the table: the one the trace is about first, with the state it is about,
 * then the others that fired in the steps shown.
 */
export function renderViolations(trace: Trace): string {
  const last = shownSteps(trace).at(-1)?.step ?? 0;
  const shown = trace.violations.filter((v) => v.step <= last || v === trace.focus);
  const ordered = trace.focus ? [trace.focus, ...shown.filter((v) => v !== trace.focus)] : shown;
  return ordered.map((v) => describeViolation(trace, v)).join('\n');
}

/**
 * One violation: check, step, thread, message, and the state it is about. A check that names no
 * state (a scenario invariant) is shown with what its step changed, when the trace recorded it.
 */
export function describeViolation(trace: Trace, v: Violation): string {
  const who = v.thread >= 0 ? ` in ${trace.threads[v.thread]!.letter} (${trace.threads[v.thread]!.name})` : '';
  let state = '';
  if (v.state !== undefined) {
    state = `\n    state: ${v.state}`;
  } else {
    const changes = trace.steps.find((s) => s.violations.includes(v))?.changes ?? [];
    if (changes.length > 0) state = `\n    state changed by t${v.step}: ${changes.map(formatPatch).join('; ')}`;
  }
  return `✗ ${v.check} at t${v.step}${who}: ${v.message}${state}`;
}

/** `--explain`: what each shown step changed in the world, one patch a line. */
export function renderChanges(trace: Trace): string {
  const out: string[] = ['changes to the world, step by step:'];
  for (const s of shownSteps(trace)) {
    const head = `  t${s.step} ${trace.threads[s.thread]!.letter} ${s.label}`;
    const changes = s.changes ?? [];
    if (changes.length === 0) {
      out.push(`${head}: no change`);
      continue;
    }
    out.push(`${head}:`);
    for (const p of changes) out.push(`      ${formatPatch(p)}`);
  }
  return out.join('\n');
}

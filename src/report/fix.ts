import { formatPatch } from '../trace/explain';
import { formatStepCall } from './step';
import type { FixConfirmation } from '../app/confirm-fix';
import { renderTable, renderViolations } from './table';

/** The one-screen answer to "why does the fix hold here": the fix's table, then where it parts ways. */
export function renderFixConfirmation(c: FixConfirmation): string {
  const { original, fixed } = c;
  const who = (t: number) => `${fixed.threads[t]!.letter} (${fixed.threads[t]!.name})`;
  const out: string[] = [];
  out.push(`${fixed.scenario}: the schedule of ${original.variant} (${original.schedule.length} steps) replayed against ${fixed.variant}`);
  out.push('');
  out.push(renderTable(fixed));
  out.push('');
  const d = c.firstDifference;
  if (d && d.kind !== 'effect') {
    out.push(`first difference at t${d.step}: ${who(d.thread)} runs ${formatStepCall(d.now)} where ${original.variant} ran ${formatStepCall(d.was)}`);
    const changes = fixed.steps[d.step - 1]?.changes;
    if (changes) out.push(`    under ${fixed.variant} that step ${changes.length ? `changes ${changes.map(formatPatch).join('; ')}` : 'changes nothing'}`);
  } else if (d) {
    const list = (xs: readonly string[]) => (xs.length ? xs.join('; ') : 'no change');
    out.push(`first difference at t${d.step}: ${who(d.thread)} runs ${formatStepCall(d.now)} as ${original.variant} did, with another effect:`);
    out.push(`    ${original.variant}: ${list(d.changes?.was ?? [])}`);
    out.push(`    ${fixed.variant}: ${list(d.changes?.now ?? [])}`);
  } else {
    out.push(`no difference: every step of ${fixed.variant} did what ${original.variant} did, as far as it went`);
  }
  const v = fixed.divergence;
  out.push(v ? `diverges at t${v.step}: ${v.reason}` : `the schedule fits ${fixed.variant} to its end (${fixed.steps.length} steps)`);
  const was = original.focus ? `${original.focus.check} at t${original.focus.step}` : 'no violation';
  if (c.holdsAlong) {
    out.push(`${fixed.variant} does not violate any check along this schedule (${original.variant}: ${was})`);
  } else {
    out.push(`${fixed.variant} is violated along this schedule (${original.variant}: ${was}):`);
    out.push(renderViolations(fixed));
  }
  return out.join('\n');
}

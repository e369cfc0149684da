/**
 * What the audits cost and what they leave alone, side by side in one run, on a few registry
 * scenarios: `dfs` steps/s of one search with no audit execution (`auditExecutions: 0`, the hot
 * loop as every execution past the audited ones runs it) and with the default (the first
 * DEFAULT_AUDIT_EXECUTIONS audited, then plain), what those audited executions add per search, and
 * S1 fixed with every execution audited (`--audit`). The two rates of a large search must stay
 * within 5% of each other (issue 15); the others show where the fixed cost of the audit dominates.
 */
import { DEFAULT_AUDIT_EXECUTIONS } from '../src/runtime/execution';
import type { Scenario } from '../src/runtime/scenario';
import { checkVariant } from '../src/search/variant';
import s1 from '../scenarios/mmu-notifier-unregister-release';
import folioMove from '../scenarios/folio-move-anon-rmap-vs-referenced';

interface Sample {
  steps: number;
  ms: number;
  searches: number;
  executions: number;
}

function once(s: Scenario, variant: string, auditExecutions: number | undefined, into: Sample, executionsMax?: number): void {
  const limits = { ...(auditExecutions === undefined ? {} : { auditExecutions }), ...(executionsMax === undefined ? {} : { executionsMax }) };
  const t0 = performance.now();
  const v = checkVariant(s, variant, { limits });
  into.ms += performance.now() - t0;
  into.steps += v.stats.steps;
  into.searches++;
  into.executions = v.stats.executions;
}

/**
 * Plain and default searches of one variant, alternated until each has run for `minMs` — why
 * alternated: the machine is shared, and load that comes and goes then hits both alike.
 */
function compare(s: Scenario, variant: string, minMs: number): { plain: Sample; audited: Sample; prefix: Sample } {
  const plain: Sample = { steps: 0, ms: 0, searches: 0, executions: 0 };
  const audited: Sample = { steps: 0, ms: 0, searches: 0, executions: 0 };
  // the audited executions alone: the default search cut after them
  const prefix: Sample = { steps: 0, ms: 0, searches: 0, executions: 0 };
  const warm: Sample = { steps: 0, ms: 0, searches: 0, executions: 0 };
  once(s, variant, 0, warm);
  once(s, variant, undefined, warm);
  while (plain.ms < minMs || audited.ms < minMs) {
    once(s, variant, 0, plain);
    once(s, variant, undefined, audited);
    once(s, variant, undefined, prefix, DEFAULT_AUDIT_EXECUTIONS);
  }
  return { plain, audited, prefix };
}

const k = (n: number) => `${(n / 1000).toFixed(1)}k`;
const rate = (x: Sample) => x.steps / (x.ms / 1000);

/** The section's lines: one per scenario, then S1 fixed under `--audit`. */
export function auditLines(quick: boolean): string[] {
  const minMs = quick ? 200 : 2000;
  const rows: string[] = [];
  const cases: [Scenario, string][] = [
    [s1, 'fixed'],
    [folioMove, 'fixed'],
    [folioMove, 'sleeping-fixed'],
  ];
  for (const [s, variant] of cases) {
    const { plain, audited, prefix } = compare(s, variant, minMs);
    const per = (x: Sample) => ({ ms: x.ms / x.searches, steps: x.steps / x.searches });
    const p = per(plain);
    const a = per(audited);
    const pre = per(prefix);
    // why: the executions past the audited ones run the plain loop; their rate is the default
    // search's rest, the whole minus the audited prefix
    const restSteps = a.steps - pre.steps;
    const rest = restSteps > 0 && a.ms > pre.ms ? `, past them ${k(restSteps / ((a.ms - pre.ms) / 1000))} steps/s (${((restSteps / (a.ms - pre.ms) / (p.steps / p.ms)) * 100).toFixed(0)}% of none)` : '';
    rows.push(
      `audit: ${s.id}/${variant} (${plain.executions.toLocaleString('en-US')} executions): ${k(rate(plain))} steps/s with auditExecutions 0, ` +
        `${k(rate(audited))} steps/s with the default (${DEFAULT_AUDIT_EXECUTIONS} audited, then plain)${rest}; ` +
        `the audited executions cost ${(pre.ms - (p.ms * pre.steps) / p.steps).toFixed(0)} ms a search beyond running them plain`,
    );
  }
  const all: Sample = { steps: 0, ms: 0, searches: 0, executions: 0 };
  const plain: Sample = { steps: 0, ms: 0, searches: 0, executions: 0 };
  while (all.ms < minMs || plain.ms < minMs) {
    once(s1, 'fixed', 0, plain);
    once(s1, 'fixed', Number.MAX_SAFE_INTEGER, all);
  }
  rows.push(`audit: ${s1.id}/fixed with every execution audited (--audit): ${k(rate(all))} steps/s, ${(rate(plain) / rate(all)).toFixed(1)}x slower than with none`);
  return rows;
}

/** The section as one block of text (kept for callers that print one string). */
export function auditLine(quick: boolean): string {
  return auditLines(quick).join('\n');
}

if (process.argv[1]?.endsWith('audit.ts')) process.stdout.write(`${auditLine(process.argv.includes('--quick'))}\n`);

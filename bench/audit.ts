/**
 * What the audits cost and what they leave alone: `dfs` steps/s of one search with no audit
 * execution (the hot loop as every execution after the first 50 runs it) and with every execution
 * audited (`--audit`), on S1 fixed at its default parameters. The first number is the one that must
 * not move when the audits change; the ratio is what `--audit` costs.
 */
import s1 from '../scenarios/mmu-notifier-unregister-release';
import { checkVariant } from '../src/search/variant';

function rate(auditExecutions: number, minMs: number): { stepsPerS: number; executions: number } {
  let steps = 0;
  let executions = 0;
  const t0 = performance.now();
  // why repeated: a single search of a few hundred ms carries warm-up noise
  do {
    const v = checkVariant(s1, 'fixed', { limits: { auditExecutions } });
    steps += v.stats.steps;
    executions = v.stats.executions;
  } while (performance.now() - t0 < minMs);
  return { stepsPerS: steps / ((performance.now() - t0) / 1000), executions };
}

/** One line: plain and audited steps/s of S1 fixed, and their ratio. */
export function auditLine(quick: boolean): string {
  const minMs = quick ? 200 : 2000;
  rate(0, minMs / 4);
  const plain = rate(0, minMs);
  const audited = rate(Number.MAX_SAFE_INTEGER, minMs);
  const k = (n: number) => `${(n / 1000).toFixed(1)}k`;
  return `audit: S1 fixed (${plain.executions.toLocaleString('en-US')} executions) ${k(plain.stepsPerS)} steps/s with no audit execution, ${k(audited.stepsPerS)} steps/s with every execution audited (--audit: ${(plain.stepsPerS / audited.stepsPerS).toFixed(1)}x slower)`;
}

if (process.argv[1]?.endsWith('audit.ts')) process.stdout.write(`${auditLine(process.argv.includes('--quick'))}\n`);

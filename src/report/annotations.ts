/**
 * GitHub Actions workflow commands: a verdict that is not what its variant declares becomes an
 * `::error file=…,line=…::` annotation on the line that declares the variant.
 */
import { readFileSync } from 'node:fs';
import { describeVerdict } from '../search/verdict';
import { describeExpectation } from '../runtime/scenario';
import type { VariantReport } from '../app/check';

/** Line (1-based) of `<variant>: {` in the scenario file, or 1 when it cannot be found. */
export function variantLine(file: string, variant: string): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return 1;
  }
  const lines = text.split('\n');
  const start = Math.max(0, lines.findIndex((l) => /^\s*variants\s*:/.test(l)));
  const re = new RegExp(`^\\s*['"]?${variant.replace(/[-]/g, '\\-')}['"]?\\s*:`);
  for (let i = start; i < lines.length; i++) if (re.test(lines[i]!)) return i + 1;
  return 1;
}

/** Escapes a workflow-command message (%, CR and LF must be encoded). */
function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function githubAnnotations(reports: readonly VariantReport[]): string {
  return reports
    .filter((r) => !r.matches)
    .map((r) => {
      const got = r.error !== undefined ? `error: ${r.error}` : describeVerdict(r.verdict, r.expected);
      const msg = `${r.scenario.id}/${r.variant}: expected ${describeExpectation(r.expected)}, got ${got}`;
      const title = r.error !== undefined ? 'weft scenario error' : 'weft verdict mismatch';
      return `::error file=${r.file},line=${variantLine(r.file, r.variant)},title=${title}::${escapeData(msg)}\n`;
    })
    .join('');
}

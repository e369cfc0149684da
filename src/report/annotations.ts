/**
 * GitHub Actions workflow commands: a verdict that is not what its variant declares becomes an
 * `::error file=…,line=…::` annotation on the line that declares the variant; a variant whose
 * scenario threw becomes one there too, and a module that threw on import one on its first line.
 */
import { readFileSync } from 'node:fs';
import { describeVerdict } from '../search/verdict';
import { describeExpectation } from '../runtime/scenario';
import { reportName, type VariantReport } from '../app/check';

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

/** Escapes a workflow-command property value (`:` and `,` separate properties as well). */
function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function githubAnnotations(reports: readonly VariantReport[]): string {
  return reports
    .filter((r) => !r.matches)
    .map((r) => {
      let title: string;
      let msg: string;
      if (r.kind === 'checked') {
        title = 'weft verdict mismatch';
        msg = `${reportName(r)}: expected ${describeExpectation(r.expected)}, got ${describeVerdict(r.verdict, r.expected)}`;
      } else if (r.variant === null) {
        title = 'weft module error';
        msg = `${r.file} threw on import: ${r.error}`;
      } else {
        title = 'weft scenario error';
        msg = `${reportName(r)}: expected ${describeExpectation(r.expected!)}, got error: ${r.error}`;
      }
      const line = r.variant === null ? 1 : variantLine(r.file, r.variant);
      return `::error file=${escapeProperty(r.file)},line=${line},title=${title}::${escapeData(msg)}\n`;
    })
    .join('');
}

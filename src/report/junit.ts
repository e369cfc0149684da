/**
 * JUnit XML for CI systems: one testsuite per scenario, one testcase per variant, a verdict that is
 * not what the variant declares as a <failure> whose body is the trace. Built with
 * fast-xml-parser's builder, which escapes text and attributes.
 */
import { XMLBuilder } from 'fast-xml-parser';
import type { VariantReport } from '../app/check';
import { describeSearch, renderVariant } from './text';
import { describeVerdict } from '../search/verdict';
import { describeExpectation } from '../runtime/scenario';

export function renderJunit(reports: readonly VariantReport[], timing: boolean): string {
  const byScenario = new Map<string, VariantReport[]>();
  for (const r of reports) byScenario.set(r.scenario.id, [...(byScenario.get(r.scenario.id) ?? []), r]);
  const seconds = (ms: number) => (timing ? (ms / 1000).toFixed(3) : '0');
  const suites = [...byScenario.entries()].map(([id, rs]) => ({
    '@_name': id,
    '@_tests': rs.length,
    '@_failures': rs.filter((r) => !r.matches).length,
    '@_time': seconds(rs.reduce((t, r) => t + r.verdict.stats.timeMs, 0)),
    testcase: rs.map((r) => ({
      '@_classname': id,
      '@_name': r.variant,
      '@_file': r.file,
      '@_time': seconds(r.verdict.stats.timeMs),
      'system-out': `expected ${describeExpectation(r.expected)}, got ${describeVerdict(r.verdict, r.expected)}: ${describeSearch(r.verdict)}`,
      ...(r.matches
        ? {}
        : {
            failure: {
              '@_message': `expected ${describeExpectation(r.expected)}, got ${describeVerdict(r.verdict, r.expected)}`,
              '@_type': r.verdict.kind,
              '#text': renderVariant(r, timing),
            },
          }),
    })),
  }));
  const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: true });
  return builder.build({
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    testsuites: {
      '@_name': 'weft',
      '@_tests': reports.length,
      '@_failures': reports.filter((r) => !r.matches).length,
      testsuite: suites,
    },
  }) as string;
}

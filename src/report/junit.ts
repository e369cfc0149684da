/**
 * JUnit XML for CI systems, as Jenkins' junit-10.xsd (jenkinsci/xunit-plugin) allows it: one
 * testsuite per scenario (naming its file), one testcase per variant, a verdict that is not what
 * the variant declares as a <failure> whose body is the trace, and a variant whose scenario broke
 * (threw, failed to load) as an <error>. Built with fast-xml-parser's builder, which escapes text
 * and attributes. test/src/report/junit.test.ts validates the output against that schema.
 */
import { XMLBuilder } from 'fast-xml-parser';
import type { CheckedReport, ErrorReport, VariantReport } from '../app/check';
import { describeExpectations, describeSearch, renderVariant } from './text';
import { describeVerdict } from '../search/verdict';
import { describeExpectation } from '../runtime/scenario';

/** A variant that produced no verdict because its scenario broke: written as a JUnit <error>. */
export interface ErroredVariant {
  /** The scenario's id. */
  readonly scenario: string;
  readonly file: string;
  readonly variant: string;
  readonly error: {
    /** One line: what broke. */
    readonly message: string;
    /** The error's kind, e.g. the exception's name; `error` when not given. */
    readonly type?: string;
    /** The body of the <error>, e.g. a stack trace. */
    readonly detail?: string;
  };
  /** Time spent before it broke, ms; 0 when not given. */
  readonly timeMs?: number;
}

export type JunitEntry = VariantReport | ErroredVariant;

/** A testcase: a checked variant, or one that broke. */
type Case = CheckedReport | ErroredVariant;

/** The <error> of a report whose scenario threw or whose module threw on import. */
function fromErrorReport(r: ErrorReport): ErroredVariant {
  // why `import` as the name: the module never said which variants it has; the suite is its file
  return {
    scenario: r.id,
    file: r.file,
    variant: r.variant ?? 'import',
    error: { message: r.error, type: r.during === 'import' ? 'import-error' : 'scenario-error' },
  };
}

const errored = (r: Case): r is ErroredVariant => !('kind' in r);
const scenarioId = (r: Case): string => (errored(r) ? r.scenario : r.scenario.id);
const timeOf = (r: Case): number => (errored(r) ? (r.timeMs ?? 0) : r.verdict.stats.timeMs);
const failed = (r: Case): boolean => !errored(r) && !r.matches;

export function renderJunit(entries: readonly JunitEntry[], timing: boolean): string {
  const reports: Case[] = entries.map((r) => ('kind' in r && r.kind === 'error' ? fromErrorReport(r) : r));
  const byScenario = new Map<string, Case[]>();
  for (const r of reports) byScenario.set(scenarioId(r), [...(byScenario.get(scenarioId(r)) ?? []), r]);
  const seconds = (ms: number) => (timing ? (ms / 1000).toFixed(3) : '0');
  const suites = [...byScenario.entries()].map(([id, rs]) => ({
    '@_name': id,
    '@_tests': rs.length,
    '@_failures': rs.filter(failed).length,
    '@_errors': rs.filter(errored).length,
    '@_time': seconds(rs.reduce((t, r) => t + timeOf(r), 0)),
    // why here: the schema allows `file` on a testsuite, not on a testcase; a scenario is one file.
    '@_file': rs[0]!.file,
    testcase: rs.map((r) => testcase(id, r, timing, seconds)),
  }));
  const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: true });
  return builder.build({
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    testsuites: {
      '@_name': 'weft',
      '@_tests': reports.length,
      '@_failures': reports.filter(failed).length,
      '@_errors': reports.filter(errored).length,
      testsuite: suites,
    },
  }) as string;
}

/** ` (not met: deadlock)` when some of several expected checks were not met, else nothing. */
function missingOf(r: CheckedReport): string {
  const missing = r.expectations.filter((e) => !e.found).map((e) => e.check);
  return missing.length > 0 ? ` (not met: ${missing.join(', ')})` : '';
}

function testcase(id: string, r: Case, timing: boolean, seconds: (ms: number) => string): object {
  const head = { '@_classname': id, '@_name': r.variant, '@_time': seconds(timeOf(r)) };
  if (errored(r)) {
    return {
      ...head,
      error: { '@_message': r.error.message, '@_type': r.error.type ?? 'error', '#text': r.error.detail ?? r.error.message },
    };
  }
  return {
    ...head,
    'system-out': [`expected ${describeExpectation(r.expected)}, got ${describeVerdict(r.verdict, r.expected)}: ${describeSearch(r.verdict)}`, ...describeExpectations(r)].join('\n'),
    ...(r.matches
      ? {}
      : {
          failure: {
            '@_message': `expected ${describeExpectation(r.expected)}, got ${describeVerdict(r.verdict, r.expected)}${missingOf(r)}`,
            '@_type': r.verdict.kind,
            '#text': renderVariant(r, timing),
          },
        }),
  };
}

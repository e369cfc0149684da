import { paramsFor, variantOf } from '../explore/check-variant';
import { explore, type SearchLimits } from '../explore/explorer';
import { makeStrategy } from '../explore/strategies';
import { matchesExpectation, type Verdict } from '../explore/verdict';
import type { Expectation, Params, Scenario } from '../runtime/scenario';
import { encodeToken, nonDefaultParams } from '../trace/schedule-token';
import { recordTrace, type Trace } from '../trace/trace';

/** One variant's check: what it declared, what exploration found, and the trace if it failed. */
export interface VariantReport {
  readonly scenario: Scenario;
  readonly file: string;
  readonly variant: string;
  readonly summary: string;
  readonly expected: Expectation;
  readonly verdict: Verdict;
  readonly matches: boolean;
  /** The violating execution, replayed and recorded, when the verdict is `violated`. */
  readonly trace: Trace | null;
  /** The replay token of that execution. */
  readonly token: string | null;
}

export interface RunOptions {
  readonly strategy: string;
  readonly params: Params;
  readonly limits: SearchLimits;
  /** Called before each variant starts, for a progress line. */
  readonly onStart?: (scenario: Scenario, variant: string) => void;
}

/** Checks the named variants (all when `only` is null) of each scenario, in order. */
export function runChecks(
  targets: readonly { scenario: Scenario; file: string }[],
  only: string | null,
  options: RunOptions,
): VariantReport[] {
  const reports: VariantReport[] = [];
  for (const { scenario, file } of targets) {
    const params = paramsFor(scenario, options.params);
    const names = only === null ? Object.keys(scenario.variants) : [only];
    for (const name of names) {
      const variant = variantOf(scenario, name);
      options.onStart?.(scenario, name);
      const expected = variant.expect ?? 'holds';
      const verdict = explore({
        scenario,
        variant,
        params,
        strategy: makeStrategy(options.strategy),
        limits: options.limits,
        target: expected,
      });
      let trace: Trace | null = null;
      let token: string | null = null;
      if (verdict.kind === 'violated') {
        trace = recordTrace(scenario, name, variant, params, verdict.schedule);
        token = encodeToken({
          scenario: scenario.id,
          variant: name,
          params: nonDefaultParams(scenario.params, params),
          schedule: verdict.schedule,
        });
      }
      reports.push({
        scenario,
        file,
        variant: name,
        summary: variant.summary,
        expected,
        verdict,
        matches: matchesExpectation(verdict, expected),
        trace,
        token,
      });
    }
  }
  return reports;
}

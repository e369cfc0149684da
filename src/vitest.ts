/**
 * weft in a vitest suite (`weft-check/vitest`): matchers over scenarios, and one test per variant.
 *
 * Two ways to register the matchers, pick either:
 * - a side-effect import: `import 'weft-check/vitest'` in a test file, or in vitest's
 *   `setupFiles`; importing this module calls `expect.extend(weftMatchers)`;
 * - explicitly: `import { setupWeft } from 'weft-check/vitest'; setupWeft();` (or
 *   `expect.extend(weftMatchers)` with your own `expect`). Registering twice is harmless.
 *
 * ```ts
 * import { checkEveryVariant } from 'weft-check/vitest';
 * import { counter } from './race';
 *
 * it('the fix holds', () => expect(counter).toHold({ variant: 'fixed' }));
 * it('the bug oopses', () => expect(counter).toViolate('oops', { variant: 'buggy' }));
 * checkEveryVariant(counter); // one `it` per variant, each against the variant's own `expect`
 * ```
 *
 * Each check is the CLI's (src/app runChecks): a search towards the matcher's expectation, and for a
 * violation a minimized trace, its replay token and command. A failing matcher's message is the
 * variant's report as `weft check` prints it: the verdict, the per-thread step table, the
 * violations and the `replay:` line, like fast-check's counterexample.
 *
 * Without `variant` a matcher checks every variant of the scenario and passes only if each one
 * does. `.not` inverts as usual.
 *
 * Async: `await expect(x).toHoldAsync(options)` and `await expect(x).toViolateAsync(check,
 * options)` take the same options and return a Promise, so `x` may also be a Promise, of a scenario
 * or of a module that exports one (`await expect(import('./race')).toHoldAsync()`; a module with
 * several scenarios needs `scenario: '<id>'`). The search itself still runs in this thread; the
 * async matchers yield to the event loop first. Forgetting the `await` loses the assertion, as with
 * every async matcher.
 *
 * Replay commands name `file` when given (the scenario's file, as `weft check` takes it), else the
 * scenario's id.
 */
import { expect, it } from 'vitest';
import { runChecks, type RunOptions, type VariantReport } from './app/check';
import { isScenario } from './cli/scenario-files';
import { renderVariant } from './report/text';
import { UsageError } from './runtime/errors';
import type { CheckId } from './runtime/check-id';
import { describeExpectation, expectedChecks, type Expectation, type Params, type Scenario } from './runtime/scenario';
import { DEFAULT_LIMITS, type SearchLimits } from './search/explorer';
import { variantOf } from './search/variant';

/** How a matcher or `checkEveryVariant` checks. Every field is optional. */
export interface WeftCheckOptions {
  /** Check only this variant; absent: every variant. */
  readonly variant?: string;
  /** Parameter overrides (`--param`), merged with the scenario's defaults. */
  readonly params?: Params;
  /** `dfs` (default), `bounded`, `exhaustive`, `random`, `pct`. */
  readonly strategy?: string;
  /** Search bounds over DEFAULT_LIMITS (`--max-executions`, `--max-steps`, `--max-time`). */
  readonly limits?: Partial<SearchLimits>;
  /** Minimize the failing schedule before printing it (default true). */
  readonly minimize?: boolean;
  /** How the replay command names the scenario: its file (`./race.ts`); default its id. */
  readonly file?: string;
  /** The async matchers, given a module: which of its scenarios (by id). */
  readonly scenario?: string;
}

/** `checkEveryVariant`: the options above, and the vitest timeout of each `it`, ms. */
export interface CheckEveryVariantOptions extends Omit<WeftCheckOptions, 'variant' | 'scenario'> {
  readonly timeout?: number;
}

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

/**
 * Checks the variants `options` names against `wanted` (each variant's own declaration when null):
 * the matcher's expectation replaces the declared one, so the search looks for what is asserted.
 */
export function checkScenario(scenario: Scenario, wanted: Expectation | null, options: WeftCheckOptions = {}): VariantReport[] {
  if (!isScenario(scenario)) throw new TypeError(`weft: expected a scenario (what defineScenario returns), got ${describeValue(scenario)}`);
  const only = options.variant ?? null;
  if (only !== null) variantOf(scenario, only); // an unknown variant is a UsageError naming the known ones
  const checked: Scenario =
    wanted === null
      ? scenario
      : {
          ...scenario,
          variants: Object.fromEntries(
            Object.entries(scenario.variants).map(([name, v]) => [name, only === null || name === only ? { ...v, expect: wanted } : v]),
          ),
        };
  const run: RunOptions = {
    strategy: options.strategy ?? 'dfs',
    params: options.params ?? {},
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    minimize: options.minimize ?? true,
    keepGoing: true,
  };
  return runChecks([{ scenario: checked, file: options.file ?? scenario.file ?? scenario.id, target: options.file ?? scenario.id }], only, run);
}

function describeValue(v: unknown): string {
  if (v === null || typeof v !== 'object') return String(v);
  const keys = Object.keys(v).slice(0, 5);
  return `an object with ${keys.length ? keys.join(', ') : 'no keys'}`;
}

/** The rendered report of each failing variant, as `weft check` prints it (no timings). */
function failures(reports: readonly VariantReport[]): string {
  return reports
    .filter((r) => !r.matches)
    .map((r) => renderVariant(r, false))
    .join('\n\n');
}

function verdictWords(r: VariantReport): string {
  if (r.kind === 'error') return `threw: ${r.error}`;
  const v = r.verdict;
  if (v.kind === 'violated') return `violated ${[...new Set(v.violations.map((x) => x.check))].join(', ')}`;
  if (v.kind === 'holds') return `holds (${v.stats.executions} executions, every schedule)`;
  return `is incomplete (${v.cutBy.map((c) => c.detail).join('; ') || `${v.strategy} cannot prove absence`})`;
}

function result(scenario: Scenario, wanted: Expectation, options: WeftCheckOptions, isNot: boolean): MatcherResult {
  const reports = checkScenario(scenario, wanted, options);
  const pass = reports.every((r) => r.matches);
  const which = options.variant === undefined ? `every variant of ${scenario.id}` : `${scenario.id}/${options.variant}`;
  const goal = wanted === 'holds' ? 'hold' : `violate ${expectedChecks(wanted).join(' and ')}`;
  return {
    pass,
    message: () => {
      if (isNot || pass) {
        const got = reports.map((r) => `${r.variant} ${verdictWords(r)}`).join('; ');
        const shown = reports.filter((r) => r.kind === 'checked' && r.trace !== null).map((r) => renderVariant({ ...r, matches: false }, false));
        return [`expected ${which} not to ${goal}, but: ${got}`, ...shown].join('\n\n');
      }
      const bad = reports.filter((r) => !r.matches).map((r) => `${r.variant} ${verdictWords(r)}`).join('; ');
      return `expected ${which} to ${goal}, but ${bad}\n\n${failures(reports)}`;
    },
  };
}

/** A scenario, or the one a module (namespace) exports. */
function scenarioIn(value: unknown, options: WeftCheckOptions): Scenario {
  if (isScenario(value)) return value;
  if (typeof value === 'object' && value !== null) {
    const found = [...new Set(Object.values(value).filter(isScenario))];
    const named = options.scenario === undefined ? found : found.filter((s) => s.id === options.scenario);
    if (named.length === 1) return named[0]!;
    if (found.length) {
      const ids = found.map((s) => s.id).join(', ');
      throw new UsageError(
        options.scenario === undefined ? `the module exports ${found.length} scenarios (${ids}); say which with { scenario: '<id>' }` : `the module exports no scenario '${options.scenario}' (it exports ${ids})`,
      );
    }
  }
  throw new TypeError(`weft: expected a scenario (what defineScenario returns) or a module exporting one, got ${describeValue(value)}`);
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The matchers, for `expect.extend(weftMatchers)`. */
export const weftMatchers = {
  /** Every schedule of the variant(s) satisfies every check and invariant (an exhaustive search finishes). */
  toHold(this: { isNot: boolean }, received: Scenario, options: WeftCheckOptions = {}): MatcherResult {
    return result(received, 'holds', options, this.isNot);
  },
  /**
   * Some schedule of each variant checked violates `check` (a built-in id or one of its
   * invariants); given several, each of them is violated by some schedule.
   */
  toViolate(this: { isNot: boolean }, received: Scenario, check: ViolatedChecks, options: WeftCheckOptions = {}): MatcherResult {
    return result(received, violating(check), options, this.isNot);
  },
  /** `toHold` for a scenario or a promise of one (or of its module); await it. */
  async toHoldAsync(this: { isNot: boolean }, received: unknown, options: WeftCheckOptions = {}): Promise<MatcherResult> {
    const scenario = scenarioIn(await received, options);
    await nextTurn();
    return result(scenario, 'holds', options, this.isNot);
  },
  /** `toViolate` for a scenario or a promise of one (or of its module); await it. */
  async toViolateAsync(this: { isNot: boolean }, received: unknown, check: ViolatedChecks, options: WeftCheckOptions = {}): Promise<MatcherResult> {
    const scenario = scenarioIn(await received, options);
    await nextTurn();
    return result(scenario, violating(check), options, this.isNot);
  },
};

/** What toViolate takes: one check, or several that must each be violated. */
export type ViolatedChecks = CheckId | readonly [CheckId, ...CheckId[]];

function violating(check: ViolatedChecks): Expectation {
  if (typeof check === 'string') return { violated: check };
  const [first, ...rest] = check;
  return rest.length > 0 ? { violated: first, and: rest } : { violated: first };
}

/** Registers the matchers on vitest's `expect` (done once on import too). */
export function setupWeft(): void {
  expect.extend(weftMatchers);
}

/**
 * One vitest `it` per variant of `scenario`, each checking the variant against its own `expect`
 * declaration (`holds` when it declares none), named `<variant>: <expectation>`. A failing one
 * throws the variant's report: the table, the violations and the replay command.
 */
export function checkEveryVariant(scenario: Scenario, options: CheckEveryVariantOptions = {}): void {
  if (!isScenario(scenario)) throw new TypeError(`weft: checkEveryVariant expects a scenario, got ${describeValue(scenario)}`);
  const { timeout, ...check } = options;
  for (const [name, variant] of Object.entries(scenario.variants)) {
    it(
      `${scenario.id}/${name}: ${describeExpectation(variant.expect)}`,
      () => {
        const [report] = checkScenario(scenario, null, { ...check, variant: name });
        if (report && !report.matches) {
          throw new Error(`${scenario.id}/${name} declares ${describeExpectation(variant.expect)}, but it ${verdictWords(report)}\n\n${renderVariant(report, false)}`);
        }
      },
      timeout,
    );
  }
}

interface WeftMatchers<R = unknown> {
  /** Every schedule of the variant(s) satisfies every check and invariant. */
  toHold(options?: WeftCheckOptions): R;
  /** Some schedule of each variant checked violates `check`. */
  toViolate(check: ViolatedChecks, options?: WeftCheckOptions): R;
  /** `toHold`, awaited; the subject may be a promise of a scenario or of its module. */
  toHoldAsync(options?: WeftCheckOptions): Promise<R>;
  /** `toViolate`, awaited; the subject may be a promise of a scenario or of its module. */
  toViolateAsync(check: ViolatedChecks, options?: WeftCheckOptions): Promise<R>;
}

declare module 'vitest' {
  interface Assertion<T = any> extends WeftMatchers<T> {}
}

setupWeft();

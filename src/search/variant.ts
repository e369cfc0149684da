import { UsageError } from '../runtime/errors';
import type { Params, Scenario, Variant } from '../runtime/scenario';
import { DfsStrategy } from './strategies/dfs';
import { DEFAULT_LIMITS, explore, type SearchLimits } from './explorer';
import type { Strategy } from './strategy';
import type { Verdict } from './verdict';

export interface CheckOptions {
  /** Parameter overrides, merged over the scenario's defaults. */
  readonly params?: Params;
  /** Bounds; each missing one takes its default. */
  readonly limits?: Partial<SearchLimits>;
  /** A fresh strategy for this search (default: `dfs`). */
  readonly strategy?: Strategy;
}

/** Looks a variant up by name, with a usage error listing the ones that exist. */
export function variantOf(scenario: Scenario, name: string): Variant<object> {
  const v = scenario.variants[name];
  if (!v) {
    throw new UsageError(`${scenario.id} has no variant '${name}' (it has: ${Object.keys(scenario.variants).join(', ')})`);
  }
  return v;
}

/** Merges parameter overrides over a scenario's defaults, rejecting names it does not have. */
export function paramsFor(scenario: Scenario, overrides: Params = {}): Params {
  for (const k of Object.keys(overrides)) {
    if (!Object.hasOwn(scenario.params, k)) {
      const known = Object.keys(scenario.params);
      throw new UsageError(`${scenario.id} has no parameter '${k}' (${known.length ? `it has: ${known.join(', ')}` : 'it has none'})`);
    }
  }
  return { ...scenario.params, ...overrides };
}

/** Explores one variant towards its declared expectation and returns the verdict. */
export function checkVariant(scenario: Scenario, variantName: string, options: CheckOptions = {}): Verdict {
  const variant = variantOf(scenario, variantName);
  return explore({
    scenario,
    variant,
    params: paramsFor(scenario, options.params),
    strategy: options.strategy ?? new DfsStrategy(),
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    target: variant.expect ?? 'holds',
  });
}

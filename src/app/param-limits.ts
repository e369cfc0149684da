import { UsageError } from '../runtime/errors';
import type { Params, Scenario } from '../runtime/scenario';

/** What a parameter takes when its scenario declares no range: enough for any catalogue model. */
export const DEFAULT_PARAM_LIMIT = { min: 0, max: 1000 } as const;

/** Refuses `--param` values outside the scenario's declared range (default 0 … 1,000). */
export function checkParamLimits(scenario: Scenario, overrides: Params): void {
  for (const [name, value] of Object.entries(overrides)) {
    if (!Number.isSafeInteger(value)) throw new UsageError(`--param ${name}=${value} is not a safe integer`);
    const { min, max } = scenario.paramLimits?.[name] ?? DEFAULT_PARAM_LIMIT;
    if (value < min || value > max) {
      throw new UsageError(`--param ${name}=${value} is out of range for ${scenario.id}: ${name} takes ${min} … ${max.toLocaleString('en-US')}`);
    }
  }
}

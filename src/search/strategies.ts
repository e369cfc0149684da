/** The strategies `--strategy` offers: one line each; everything else is in the strategy's own file. */
import { UsageError } from '../runtime/errors';
import { bounded } from './strategies/bounded';
import { dfs } from './strategies/dfs';
import { exhaustive } from './strategies/exhaustive';
import { pct } from './strategies/pct';
import { random } from './strategies/random';
import type { Strategy, StrategyDescriptor, StrategyOptions } from './strategy';

export type { StrategyOptions } from './strategy';
export { DEFAULT_SAMPLED_EXECUTIONS, DEFAULT_SEED } from './strategies/random';
export { DEFAULT_PCT_DEPTH } from './strategies/pct';

export const STRATEGIES: readonly StrategyDescriptor[] = [dfs, exhaustive, bounded, random, pct];

/** The descriptor of strategy `id`; a usage error naming the known ones when there is none. */
export function strategyDescriptor(id: string): StrategyDescriptor {
  const found = STRATEGIES.find((s) => s.id === id);
  if (!found) throw new UsageError(`unknown strategy '${id}' (known: ${STRATEGIES.map((s) => s.id).join(', ')})`);
  return found;
}

export function makeStrategy(id: string, options: StrategyOptions = {}): Strategy {
  return strategyDescriptor(id).make(options);
}

import { UsageError } from '../runtime/errors';
import { DfsStrategy } from './dfs';
import type { Strategy } from './strategy';

/** Options a strategy factory may read; each strategy takes what it needs. */
export interface StrategyOptions {
  /** Seed for randomised strategies. */
  readonly seed?: string;
}

/** Strategy ids as `--strategy` takes them, each with a factory for a fresh search. */
export const STRATEGIES: Readonly<Record<string, (options: StrategyOptions) => Strategy>> = {
  dfs: () => new DfsStrategy(),
};

export function makeStrategy(id: string, options: StrategyOptions = {}): Strategy {
  const make = STRATEGIES[id];
  if (!make) throw new UsageError(`unknown strategy '${id}' (known: ${Object.keys(STRATEGIES).join(', ')})`);
  return make(options);
}

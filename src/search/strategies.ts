import { UsageError } from '../runtime/errors';
import { BoundedStrategy } from './strategies/bounded';
import { DfsStrategy } from './strategies/dfs';
import { ExhaustiveStrategy } from './strategies/exhaustive';
import { PctStrategy } from './strategies/pct';
import { RandomStrategy } from './strategies/random';
import type { Strategy } from './strategy';

/** Options a strategy factory may read; each strategy takes what it needs. */
export interface StrategyOptions {
  /** Seed for randomised strategies. */
  readonly seed?: string;
  /** `bounded`: stop after the pass of this many preemptions (default: no bound). */
  readonly preemptionsMax?: number;
  /** `random`, `pct`: how many executions to sample. */
  readonly executions?: number;
  /** `pct`: bug depth d (d − 1 priority change points per execution). */
  readonly depth?: number;
}

/** Sampled executions when `--executions` is not given. */
export const DEFAULT_SAMPLED_EXECUTIONS = 1000;
/** PCT depth when `--depth` is not given: one ordering constraint beyond the priorities. */
export const DEFAULT_PCT_DEPTH = 2;
/** The seed randomised strategies use when none is given (the CLI draws and prints a fresh one). */
export const DEFAULT_SEED = '0';

/** Strategy ids as `--strategy` takes them, each with a factory for a fresh search. */
export const STRATEGIES: Readonly<Record<string, (options: StrategyOptions) => Strategy>> = {
  dfs: () => new DfsStrategy(),
  exhaustive: () => new ExhaustiveStrategy(),
  bounded: (o) => new BoundedStrategy(o.preemptionsMax === undefined ? {} : { preemptionsMax: o.preemptionsMax }),
  random: (o) => new RandomStrategy({ seed: o.seed ?? DEFAULT_SEED, executions: o.executions ?? DEFAULT_SAMPLED_EXECUTIONS }),
  pct: (o) =>
    new PctStrategy({
      seed: o.seed ?? DEFAULT_SEED,
      executions: o.executions ?? DEFAULT_SAMPLED_EXECUTIONS,
      depth: o.depth ?? DEFAULT_PCT_DEPTH,
    }),
};

export function makeStrategy(id: string, options: StrategyOptions = {}): Strategy {
  const make = STRATEGIES[id];
  if (!make) throw new UsageError(`unknown strategy '${id}' (known: ${Object.keys(STRATEGIES).join(', ')})`);
  return make(options);
}

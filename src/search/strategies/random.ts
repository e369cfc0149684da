import seedrandom from 'seedrandom';
import type { ChoicePoint, ExecutionOutcome, LimitHit } from '../../runtime/execution';
import type { ExecutionCount, Strategy, StrategyDescriptor } from '../strategy';

/**
 * Uniform random scheduling: at every step each runnable thread is equally likely. A sampling
 * strategy (as shuttle's RandomScheduler): it can find a violation but never prove there is none,
 * so a search that ends without one is `incomplete`.
 *
 * Execution k draws from its own generator, seeded with `<seed>:<k>`, so any single execution can
 * be re-run from the seed and its index alone, whatever ran before it.
 */
export interface SamplingOptions {
  /** Seed text; the same seed gives the same schedules. */
  readonly seed: string;
  /** How many executions to sample. */
  readonly executions: number;
}

/** The generator of execution `index` under `seed`: a float in [0, 1) per call. */
export function executionRandom(seed: string, index: number): () => number {
  return seedrandom(`${seed}:${index}`);
}

/** A seed for a run where the user gave none; printed with the result so the run can be repeated. */
export function freshSeed(): string {
  return String(Math.floor(Math.random() * 2 ** 32));
}

export class RandomStrategy implements Strategy {
  readonly id = 'random';
  readonly seed: string;
  private readonly executionsMax: number;
  // invariant: `begun` executions have been started; the current one is number begun - 1
  private begun = 0;
  private random: () => number = Math.random;

  constructor(options: SamplingOptions) {
    if (!Number.isInteger(options.executions) || options.executions < 1) {
      throw new RangeError(`executions ${options.executions} must be a whole number ≥ 1`);
    }
    this.seed = options.seed;
    this.executionsMax = options.executions;
  }

  beginExecution(): boolean {
    if (this.begun >= this.executionsMax) return false;
    this.random = executionRandom(this.seed, this.begun++);
    return true;
  }

  choose(point: ChoicePoint): number {
    const enabled = point.enabled;
    return enabled[Math.floor(this.random() * enabled.length)]!;
  }

  endExecution(_outcome: ExecutionOutcome): ExecutionCount {
    return 'counted';
  }

  cuts(): readonly LimitHit[] {
    return [];
  }

  /** A choice's value, uniform, from the execution's own generator (so it replays from the seed). */
  pick(_step: number, _thread: number, n: number): number {
    return Math.floor(this.random() * n);
  }
}

/** Sampled executions when `--executions` is not given. */
export const DEFAULT_SAMPLED_EXECUTIONS = 1000;
/** The seed sampling strategies use when none is given (the CLI draws and prints a fresh one). */
export const DEFAULT_SEED = '0';

export const random: StrategyDescriptor = {
  id: 'random',
  help: 'uniformly random schedules from a seed (violated or incomplete, never holds)',
  exhaustive: false,
  seeded: true,
  options: ['executions', 'seed'],
  make: (o) => new RandomStrategy({ seed: o.seed ?? DEFAULT_SEED, executions: o.executions ?? DEFAULT_SAMPLED_EXECUTIONS }),
};

import type { ChoicePoint, ExecutionOutcome, LimitHit } from '../../runtime/execution';
import { DEFAULT_SAMPLED_EXECUTIONS, DEFAULT_SEED, executionRandom, type SamplingOptions } from './random';
import type { ExecutionCount, Strategy, StrategyDescriptor } from '../strategy';

/**
 * Probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, "A Randomized
 * Scheduler with Probabilistic Guarantees of Finding Bugs", ASPLOS 2010).
 *
 * Each execution gives the n threads distinct random priorities d, d+1, …, d+n−1 and picks d−1
 * change points among the k steps. The runnable thread of highest priority always runs; at the
 * i-th change point the thread about to run drops to priority d − i (below every initial priority,
 * and below every thread demoted before it), and the highest runnable thread is picked again.
 * Why later demotions go lower, as in Coyote and shuttle: otherwise the thread demoted second
 * outranks the one demoted first, and two threads that never block could never alternate twice
 * (A·B·A·B needs the second demoted thread to yield back to the first). A bug of depth d (d ordering constraints
 * between steps) is then hit by one execution with probability at least 1 / (n · k^(d−1)).
 *
 * Departures from the paper: k is not known in advance. It is estimated as the most steps any
 * earlier execution of this search took; the first execution, with nothing to go on, has no change
 * points (depth 1). As in shuttle's PctScheduler, change points are drawn with replacement, so two
 * may fall on one step (then only the first lowers a priority there).
 */
export interface PctOptions extends SamplingOptions {
  /** Bug depth d ≥ 1: d − 1 priority change points per execution. */
  readonly depth: number;
}

export class PctStrategy implements Strategy {
  readonly id = 'pct';
  readonly seed: string;
  private readonly executionsMax: number;
  private readonly depth: number;
  private begun = 0;
  /** Estimated steps per execution (k): the most steps of any execution so far. */
  private stepsEstimate = 0;
  // invariant: priority[t] is thread t's priority in the current execution; higher runs first
  private readonly priority: number[] = [];
  // invariant: changeAt[i] is the 0-based step of change point i+1 (ascending), for this execution
  private readonly changeAt: number[] = [];
  private nextChange = 0;
  private random: () => number = Math.random;
  private prioritiesDrawn = false;

  constructor(options: PctOptions) {
    if (!Number.isInteger(options.executions) || options.executions < 1) {
      throw new RangeError(`executions ${options.executions} must be a whole number ≥ 1`);
    }
    if (!Number.isInteger(options.depth) || options.depth < 1) {
      throw new RangeError(`depth ${options.depth} must be a whole number ≥ 1`);
    }
    this.seed = options.seed;
    this.executionsMax = options.executions;
    this.depth = options.depth;
  }

  beginExecution(): boolean {
    if (this.begun >= this.executionsMax) return false;
    this.random = executionRandom(this.seed, this.begun++);
    this.prioritiesDrawn = false;
    this.changeAt.length = 0;
    this.nextChange = 0;
    if (this.stepsEstimate > 0) {
      for (let i = 1; i < this.depth; i++) this.changeAt.push(Math.floor(this.random() * this.stepsEstimate));
      this.changeAt.sort((a, b) => a - b);
    }
    return true;
  }

  /** Random distinct priorities d … d+n−1 (a Fisher–Yates shuffle), once the thread count is known. */
  private drawPriorities(threads: number): void {
    const p = this.priority;
    p.length = threads;
    for (let t = 0; t < threads; t++) p[t] = this.depth + t;
    for (let t = threads - 1; t > 0; t--) {
      const j = Math.floor(this.random() * (t + 1));
      const x = p[t]!;
      p[t] = p[j]!;
      p[j] = x;
    }
    this.prioritiesDrawn = true;
  }

  choose(point: ChoicePoint): number {
    if (!this.prioritiesDrawn) this.drawPriorities(point.pending.length);
    let t = this.highest(point.enabled);
    let lowered = false;
    while (this.nextChange < this.changeAt.length && this.changeAt[this.nextChange]! <= point.step) {
      const i = ++this.nextChange;
      if (this.changeAt[i - 1] !== point.step || lowered) continue;
      this.priority[t] = this.depth - i;
      lowered = true;
    }
    if (lowered) t = this.highest(point.enabled);
    return t;
  }

  private highest(enabled: readonly number[]): number {
    let best = enabled[0]!;
    for (let i = 1; i < enabled.length; i++) {
      const t = enabled[i]!;
      if (this.priority[t]! > this.priority[best]!) best = t;
    }
    return best;
  }

  endExecution(outcome: ExecutionOutcome): ExecutionCount {
    if (outcome.steps > this.stepsEstimate) this.stepsEstimate = outcome.steps;
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

/** PCT depth when `--depth` is not given: one ordering constraint beyond the priorities. */
export const DEFAULT_PCT_DEPTH = 2;

export const pct: StrategyDescriptor = {
  id: 'pct',
  help: 'probabilistic concurrency testing from a seed, bug depth --depth (violated or incomplete)',
  exhaustive: false,
  seeded: true,
  options: ['executions', 'seed', 'depth'],
  make: (o) =>
    new PctStrategy({ seed: o.seed ?? DEFAULT_SEED, executions: o.executions ?? DEFAULT_SAMPLED_EXECUTIONS, depth: o.depth ?? DEFAULT_PCT_DEPTH }),
};

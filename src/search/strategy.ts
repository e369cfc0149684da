import type { ExecutionOutcome, LimitHit, Scheduler } from '../runtime/execution';
import type { Observed } from './dpor/dependency';

/**
 * How the explorer chooses schedules. One file per strategy implements this; the runtime sees only
 * the `Scheduler` half (choose / observe), the explorer drives the rest.
 */
export interface Strategy extends Scheduler {
  /** Stable id, the one `--strategy` takes (`dfs`, `replay`). */
  readonly id: string;
  /**
   * Whether finishing the search means every schedule was covered (so a clean search is `holds`).
   * Sampling strategies are not exhaustive and can only report `violated` or `incomplete`.
   */
  readonly exhaustive: boolean;
  /** Told once, before the first execution, what the search is over. */
  prepare?(setup: SearchSetup): void;
  /** Prepare the next execution; false when the search is over. */
  beginExecution(): boolean;
  /** Hear how the execution ended (depth-first strategies backtrack here). */
  endExecution(outcome: ExecutionOutcome): void;
  /**
   * After `endExecution`: whether the execution that just ran is one another part of a split
   * search counts (its class is not this part's). The explorer counts it apart, as abandoned.
   */
  lastExecutionRedundant?(): boolean;
  /** Bounds of the strategy's own that skipped schedules (a preemption bound, say); empty if none. */
  cuts(): readonly LimitHit[];
}

/** What a strategy may know of the variant it searches (never its models). */
export interface SearchSetup {
  /** Threads of the variant. */
  readonly threads: number;
  /** Invariants the variant declares: each is checked on the world after every step. */
  readonly invariants: number;
  /**
   * What those invariants read (`observedBy` of dependency.ts); absent means the whole world
   * whenever there are invariants, the sound default.
   */
  readonly observed?: Observed;
}

/** Options a strategy may read; each descriptor lists the ones it reads (`options`). */
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

/** One part of a split search: every execution starts with `prefix`; `sleeping` threads are asleep after it. */
export interface Subtree {
  readonly prefix: readonly number[];
  readonly sleeping: readonly number[];
}

/**
 * Everything weft knows of a strategy, in the strategy's own file: adding a strategy is that file
 * and one line in strategies.ts. The command line, the split search and the reports read it here.
 */
export interface StrategyDescriptor {
  /** What `--strategy` takes. */
  readonly id: string;
  /** One line for `--help`. */
  readonly help: string;
  /** Whether a finished search covered every schedule (so a clean search is `holds`). */
  readonly exhaustive: boolean;
  /** Whether it draws from a seed (the run prints the seed so it can be repeated). */
  readonly seeded: boolean;
  /** The options it reads; any other strategy option given with it is a usage error. */
  readonly options: readonly (keyof StrategyOptions)[];
  /** A fresh strategy for one search. */
  make(options: StrategyOptions): Strategy;
  /** How it explores one part of a split search (`--jobs`, `--shard`); absent: it is never split. */
  readonly split?: {
    /** Whether parts carry sleep sets (partial-order reduction), so the rule splits by sleepers. */
    readonly sleepSets: boolean;
    make(part: Subtree, options: StrategyOptions): Strategy;
  };
}

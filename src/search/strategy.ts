import type { ExecutionOutcome, LimitHit, Scheduler } from '../runtime/execution';
import type { Observed } from './dpor/dependency';

/**
 * How the explorer chooses schedules: the moves of one search, and nothing a descriptor can say
 * (whether it is exhaustive, seeded, which options it reads, how it splits: see
 * `StrategyDescriptor`). The runtime sees only the `Scheduler` half (choose, observe, deadlocked);
 * the explorer drives the rest. Concerns that cut across strategies (a forced prefix, say) are
 * decorators over this interface, as ForcedPrefix is.
 */
export interface Strategy extends Scheduler {
  /** The id of the descriptor that made it: the explorer reads the strategy's facts there. */
  readonly id: string;
  /** Told once, before the first execution, what the search is over. */
  prepare?(setup: SearchSetup): void;
  /** Prepare the next execution; false when the search is over. */
  beginExecution(): boolean;
  /**
   * Hear how the execution ended (depth-first strategies backtrack here), and say whether it
   * counts: `redundant` when it is one that another part of a split search counts (its class is
   * not this part's); the explorer counts it apart, as abandoned.
   */
  endExecution(outcome: ExecutionOutcome): ExecutionCount;
  /** Bounds of the strategy's own that skipped schedules (a preemption bound, say); empty if none. */
  cuts(): readonly LimitHit[];
  /**
   * The value of a choose(n) step (Scheduler.pick): exhaustive strategies explore every value,
   * sampling ones draw it from the execution's seed.
   */
  pick(step: number, thread: number, n: number, nth: number): number;
}

/** Whether an execution is one of the search's schedules, or a redundant one counted apart. */
export type ExecutionCount = 'counted' | 'redundant';

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

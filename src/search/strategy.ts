import type { ExecutionOutcome, LimitHit, Scheduler } from '../runtime/execution';

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
  /** Invariants the variant declares: each is checked on the whole world after every step. */
  readonly invariants: number;
}

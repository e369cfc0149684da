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
  /** Prepare the next execution; false when the search is over. */
  beginExecution(): boolean;
  /** Hear how the execution ended (depth-first strategies backtrack here). */
  endExecution(outcome: ExecutionOutcome): void;
  /** Bounds of the strategy's own that skipped schedules (a preemption bound, say); empty if none. */
  cuts(): readonly LimitHit[];
}

/**
 * The top of a search tree, looked at without exploring it: a node (a schedule prefix with the
 * threads asleep after it), and a probe that replays a prefix and reports the choice that follows.
 * The partition rules (partition.ts, sleep-splits.ts) are built on these.
 */
import { ABANDON, type ChoicePoint, type ExecutionRunner } from '../runtime/execution';
import type { Op } from '../runtime/op';
import { forcedChoice } from '../search/forced-prefix';

export interface TopNode {
  readonly prefix: readonly number[];
  readonly sleeping: readonly number[];
  /**
   * Split no further: the execution ends within the prefix (the partition holds that one
   * execution), or, under dfs, a probe finished the part (it is small) or no split of it was found.
   */
  readonly leaf: boolean;
}

/** Replays a prefix and looks at the choice after it, running nothing more. */
export class Probe {
  private prefix: readonly number[] = [];
  /** Runnable threads after the prefix (when `look` returned true). */
  enabled: number[] = [];
  /** Each thread's announced op after the prefix. */
  pending: (Op | null)[] = [];
  private reached = false;

  /** False when the execution ends within the prefix. */
  look(runner: ExecutionRunner, prefix: readonly number[]): boolean {
    this.prefix = prefix;
    this.reached = false;
    runner.run(this);
    return this.reached;
  }

  choose(point: ChoicePoint): number {
    if (point.step < this.prefix.length) return forcedChoice(point, this.prefix[point.step]!);
    this.enabled = point.enabled.slice();
    this.pending = point.pending.slice();
    this.reached = true;
    return ABANDON;
  }
}

/** How far the top of a search is cut (see the file comment and sleep-splits.ts). */
export interface PartitionRule {
  /** Parts to reach (dfs: parts not known to be small; enumeration: tree nodes). */
  readonly partitionsMin: number;
  /** Levels of splitting at most. */
  readonly depthMax: number;
  /**
   * Executions each half of a candidate dfs split runs before the split is judged; 0 takes the
   * first candidate unprobed (tests use it to check that any split adds up).
   */
  readonly probeExecutions: number;
}

/** The fixed partition rule. Changing it changes shard files, so shards record it. */
export const PARTITION_RULE: PartitionRule = { partitionsMin: 16, depthMax: 16, probeExecutions: 16 };

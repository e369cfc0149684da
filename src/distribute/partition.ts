import { UsageError } from '../runtime/errors';
import { ExecutionRunner, type RuntimeLimits } from '../runtime/execution';
import type { Expectation, Params, Scenario, Variant } from '../runtime/scenario';
import { STRATEGIES } from '../search/strategies';
import { explore, type MeterLane, type SearchLimits } from '../search/explorer';
import { observedBy } from '../search/dpor/dependency';
import { splitBySleepers } from './sleep-splits';
import type { Strategy } from '../search/strategy';
import { PARTITION_RULE, Probe, type PartitionRule, type TopNode } from './tree-top';

export { PARTITION_RULE, type PartitionRule } from './tree-top';
import type { Verdict } from '../search/verdict';

/**
 * Splitting one exhaustive search into parts that can run anywhere (a worker, another machine) and
 * be merged back into exactly the verdict of one search.
 *
 * A partition is a node of the search tree with the threads asleep there: the executions whose
 * schedule starts with `prefix`, less the classes a sleeper could start. Every rule reads nothing
 * but the scenario (probes count executions, never time), so the partitions are the same for every
 * job count and every machine.
 *
 * `dfs` (sleep sets) is cut by probed binary splits (sleep-splits.ts); every Mazurkiewicz class is
 * in exactly one part, so the counts of the parts add up to the count of the whole. Plain
 * enumeration has no sleep sets: the top of its tree is expanded whole levels at a time, one
 * partition per node, and its parts add up to the count of every interleaving.
 */
export interface Partition {
  /** Position in partition order; merges go in this order. */
  readonly index: number;
  /** The choices every execution of the partition starts with. */
  readonly prefix: readonly number[];
  /** Threads asleep at the end of the prefix (ascending): their next op was covered elsewhere. */
  readonly sleeping: readonly number[];
}

/** An exhaustive strategy that can explore one partition. */
export interface PartitionableStrategy {
  /** Whether the strategy honours sleep sets (partial-order reduction), so partitions carry them. */
  readonly sleepSets: boolean;
  /** A fresh strategy for the executions of one partition. */
  make(partition: Partition): Strategy;
}

/** Strategies that split: `dfs` explores a subtree itself (DfsOptions); plain ones are wrapped. */
export function partitionableStrategy(id: string): PartitionableStrategy | null {
  const split = STRATEGIES.find((s) => s.id === id)?.split;
  return split ? { sleepSets: split.sleepSets, make: (p) => split.make(p, {}) } : null;
}

/** The partitions of one variant's search, in partition order. */
export function partitionSearch(
  scenario: Scenario,
  variant: Variant<object>,
  params: Params,
  limits: RuntimeLimits,
  sleepSets: boolean,
  rule: PartitionRule = PARTITION_RULE,
): Partition[] {
  const runner = new ExecutionRunner(scenario, variant, params, limits);
  const nodes = sleepSets ? splitBySleepers(runner, observedBy(variant.invariants), rule) : expandLevels(runner, rule);
  return nodes.map((n, index) => ({ index, prefix: n.prefix, sleeping: n.sleeping }));
}

function expandLevels(runner: ExecutionRunner, rule: PartitionRule): TopNode[] {
  const probe = new Probe();
  let frontier: TopNode[] = [{ prefix: [], sleeping: [], leaf: false }];
  for (let depth = 0; frontier.length < rule.partitionsMin && depth < rule.depthMax; depth++) {
    const next: TopNode[] = [];
    let grew = false;
    for (const node of frontier) {
      // why a leaf when a runnable thread is about to choose: its child would fix the choice's step
      // in the prefix, which fixes a thread and not a value (forced-prefix.ts), and every runnable
      // thread must have its child for the partitions to cover the tree
      if (node.leaf || !probe.look(runner, node.prefix) || probe.enabled.some((t) => probe.pending[t]!.choices !== undefined)) {
        next.push({ ...node, leaf: true });
        continue;
      }
      grew = true;
      const previous = node.prefix.length > 0 ? node.prefix[node.prefix.length - 1]! : -1;
      const order = probe.enabled.includes(previous) ? [previous, ...probe.enabled.filter((t) => t !== previous)] : probe.enabled;
      for (const t of order) next.push({ prefix: [...node.prefix, t], sleeping: [], leaf: false });
    }
    frontier = next;
    if (!grew) break;
  }
  return frontier;
}

/** What exploring one partition needs besides the scenario itself; plain data, so it can be posted. */
export interface PartitionJob {
  readonly strategy: string;
  readonly limits: SearchLimits;
  readonly target: Expectation;
  readonly partition: Partition;
}

/**
 * Explores one partition. `stopped()` is asked before each execution; when it says yes the result
 * is null (the merge no longer needs this partition), never a verdict of a half-done search.
 */
export function explorePartition(
  scenario: Scenario,
  variant: Variant<object>,
  params: Params,
  job: PartitionJob,
  stopped: () => boolean = () => false,
  meter?: MeterLane,
): Verdict | null {
  const split = partitionableStrategy(job.strategy);
  if (!split) throw new UsageError(`strategy '${job.strategy}' cannot be split into partitions (use dfs)`);
  const strategy = split.make(job.partition);
  // why in place, not a wrapper: the strategy keeps every other member (optional hooks included)
  // exactly as the explorer expects it, whatever the Strategy interface grows
  const begin = strategy.beginExecution.bind(strategy);
  let wasStopped = false;
  strategy.beginExecution = (): boolean => {
    if (!stopped()) return begin();
    wasStopped = true;
    return false;
  };
  const verdict = explore({ scenario, variant, params, strategy, limits: job.limits, target: job.target, ...(meter ? { meter } : {}) });
  return wasStopped ? null : verdict;
}

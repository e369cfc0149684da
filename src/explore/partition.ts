import { ScenarioError, UsageError } from '../runtime/errors';
import { ABANDON, ExecutionRunner, type ChoicePoint, type ExecutionOutcome, type LimitHit, type RuntimeLimits } from '../runtime/execution';
import type { Op } from '../runtime/op';
import type { Expectation, Params, Scenario, Variant } from '../runtime/scenario';
import { dependent } from './dependency';
import { DfsStrategy } from './dfs';
import { ExhaustiveStrategy } from './exhaustive';
import { explore, type SearchLimits } from './explorer';
import type { SearchSetup, Strategy } from './strategy';
import type { Verdict } from './verdict';

/**
 * Splitting one exhaustive search into parts that can run anywhere (a worker, another machine) and
 * be merged back into exactly the verdict of one search.
 *
 * A partition is a node of the search tree: the executions whose schedule starts with `prefix`.
 * The tree's top is expanded level by level, always whole levels, until there are at least
 * `partitionsMin` nodes or `depthMax` levels; the rule reads nothing but the scenario, so the
 * partitions are the same for every job count and every machine. Children of a node are its
 * runnable threads in the order `dfs` tries them (the thread that ran last first, then by id).
 *
 * For a strategy that reduces by partial order, siblings carry sleep sets (Godefroid 1996): child t
 * starts with the earlier siblings, and the node's own sleepers, whose announced ops commute with
 * t's; a sleeping thread is never a child. Every Mazurkiewicz class is then inside exactly one
 * partition, so the counts of the parts add up to the count of the whole. Plain enumeration gets
 * no sleep sets: its parts add up to the count of every interleaving.
 */
export interface Partition {
  /** Position in partition order; merges go in this order. */
  readonly index: number;
  /** The choices every execution of the partition starts with. */
  readonly prefix: readonly number[];
  /** Threads asleep at the end of the prefix (ascending): their next op was covered elsewhere. */
  readonly sleeping: readonly number[];
}

/** The fixed partition rule. Changing it changes shard files, so shards record it. */
export const PARTITION_RULE = { partitionsMin: 64, depthMax: 16 } as const;

/** An exhaustive strategy that can explore one partition. */
export interface PartitionableStrategy {
  /** Whether the strategy honours sleep sets (partial-order reduction), so partitions carry them. */
  readonly sleepSets: boolean;
  /** A fresh strategy for the executions of one partition. */
  make(partition: Partition): Strategy;
}

/** Strategies that split: `dfs` explores a subtree itself (DfsOptions); plain ones are wrapped. */
export const PARTITIONABLE: Readonly<Record<string, PartitionableStrategy>> = {
  dfs: { sleepSets: true, make: (p) => new DfsStrategy({ prefix: p.prefix, sleeping: p.sleeping }) },
  exhaustive: { sleepSets: false, make: (p) => new PrefixedStrategy(new ExhaustiveStrategy(), p.prefix) },
};

export function partitionableStrategy(id: string): PartitionableStrategy | null {
  return PARTITIONABLE[id] ?? null;
}

/** The partitions of one variant's search, in partition order. */
export function partitionSearch(
  scenario: Scenario,
  variant: Variant<object>,
  params: Params,
  limits: RuntimeLimits,
  sleepSets: boolean,
  rule: { readonly partitionsMin: number; readonly depthMax: number } = PARTITION_RULE,
): Partition[] {
  const runner = new ExecutionRunner(scenario, variant, params, limits);
  const probe = new Probe();
  let frontier: Node[] = [{ prefix: [], sleeping: [], leaf: false }];
  for (let depth = 0; frontier.length < rule.partitionsMin && depth < rule.depthMax; depth++) {
    const next: Node[] = [];
    let grew = false;
    for (const node of frontier) {
      if (node.leaf || !probe.look(runner, node.prefix)) {
        next.push({ ...node, leaf: true });
        continue;
      }
      grew = true;
      expand(node, probe, sleepSets, (variant.invariants ?? []).length > 0, next);
    }
    frontier = next;
    if (!grew) break;
  }
  return frontier.map((n, index) => ({ index, prefix: n.prefix, sleeping: n.sleeping }));
}

interface Node {
  readonly prefix: readonly number[];
  readonly sleeping: readonly number[];
  /** The execution ends within the prefix: the partition holds that one execution. */
  readonly leaf: boolean;
}

// why `observed`: with invariants, dfs orders every non-read step through its observer; pruning
// here by a weaker relation would put to sleep threads whose steps dfs considers dependent.
function expand(node: Node, probe: Probe, sleepSets: boolean, observed: boolean, out: Node[]): void {
  const previous = node.prefix.length > 0 ? node.prefix[node.prefix.length - 1]! : -1;
  const order = probe.enabled.includes(previous) ? [previous, ...probe.enabled.filter((t) => t !== previous)] : probe.enabled;
  const explored: number[] = [];
  for (const t of order) {
    if (node.sleeping.includes(t)) continue;
    const sleeping: number[] = [];
    if (sleepSets) {
      const mine = probe.pending[t]!;
      for (const u of [...node.sleeping, ...explored]) {
        const theirs = probe.pending[u];
        if (theirs && !dependent(theirs, mine, observed)) sleeping.push(u);
      }
      sleeping.sort((a, b) => a - b);
      explored.push(t);
    }
    out.push({ prefix: [...node.prefix, t], sleeping, leaf: false });
  }
}

/** Replays a prefix and looks at the choice after it, running nothing more. */
class Probe {
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
    if (point.step < this.prefix.length) return replayed(point, this.prefix[point.step]!);
    this.enabled = point.enabled.slice();
    this.pending = point.pending.slice();
    this.reached = true;
    return ABANDON;
  }
}

function replayed(point: ChoicePoint, t: number): number {
  if (point.enabled.indexOf(t) < 0) {
    throw new ScenarioError(
      `nondeterministic scenario: replaying step ${point.step + 1} found thread ${t} not runnable; ` +
        'setup() and threads must depend only on the schedule',
    );
  }
  return t;
}

/**
 * Runs a fixed prefix, then hands every later choice to a strategy of its own that sees the steps
 * after the prefix as its whole execution. For strategies that know nothing of prefixes.
 */
export class PrefixedStrategy implements Strategy {
  readonly id: string;
  readonly exhaustive: boolean;
  // why one object: the runtime reuses its point, so this one is reused too, shifted in place
  private readonly shifted: { enabled: readonly number[]; pending: readonly (Op | null)[]; previous: number; step: number } = {
    enabled: [],
    pending: [],
    previous: -1,
    step: 0,
  };

  constructor(
    private readonly inner: Strategy,
    private readonly prefix: readonly number[],
  ) {
    this.id = inner.id;
    this.exhaustive = inner.exhaustive;
  }

  prepare(setup: SearchSetup): void {
    this.inner.prepare?.(setup);
  }

  beginExecution(): boolean {
    return this.inner.beginExecution();
  }

  lastExecutionRedundant(): boolean {
    return this.inner.lastExecutionRedundant?.() ?? false;
  }

  choose(point: ChoicePoint): number {
    if (point.step < this.prefix.length) return replayed(point, this.prefix[point.step]!);
    const s = this.shifted;
    s.enabled = point.enabled;
    s.pending = point.pending;
    s.previous = point.previous;
    s.step = point.step - this.prefix.length;
    return this.inner.choose(s);
  }

  observe(step: number, thread: number, op: Op): void {
    if (step >= this.prefix.length) this.inner.observe?.(step - this.prefix.length, thread, op);
  }

  deadlocked(point: ChoicePoint): void {
    if (point.step < this.prefix.length) return;
    const s = this.shifted;
    s.enabled = point.enabled;
    s.pending = point.pending;
    s.previous = point.previous;
    s.step = point.step - this.prefix.length;
    this.inner.deadlocked?.(s);
  }

  endExecution(outcome: ExecutionOutcome): void {
    this.inner.endExecution(outcome);
  }

  cuts(): readonly LimitHit[] {
    return this.inner.cuts();
  }
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
  const verdict = explore({ scenario, variant, params, strategy, limits: job.limits, target: job.target });
  return wasStopped ? null : verdict;
}

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
 * A partition is a node of the search tree with the threads asleep there: the executions whose
 * schedule starts with `prefix`, less the classes a sleeper could start. Every rule here reads
 * nothing but the scenario (probes count executions, never time), so the partitions are the same
 * for every job count and every machine.
 *
 * `dfs` (sleep sets, Godefroid 1996) is cut by binary splits. A part (P, S) is split on a thread t
 * runnable after P and not in S into "t runs first", (P.t, the sleepers of S whose announced ops
 * commute with t's), and "t does not", (P, S + t). Every class of the part is in exactly one half,
 * so the counts of the parts add up to the count of the whole. A half is cheap only when its
 * sleepers rarely leave an execution nothing to count (dfs.ts, DfsOptions.sleeping): on
 * lastzero(13), "thread 1 does not run first" holds no class at all yet costs 15,360 executions to
 * learn that, while splitting on any thread from 2 up costs nothing extra. So each candidate split is
 * probed: both halves run their first `probeExecutions` executions, and the first t whose halves
 * both count an execution and waste none is taken (candidates: threads whose next op conflicts with
 * another runnable thread's first, then by id; at most CANDIDATES_MAX per part). A half that probes
 * empty is no split: the part takes the step of the other half instead. Parts are split level by level until
 * there are `partitionsMin` parts not known to be small (a half whose probe finished is small and is
 * split no further), or after `depthMax` levels.
 *
 * Plain enumeration has no sleep sets: the top of its tree is expanded whole levels at a time, one
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

/** How far the top of a search is cut (see the file comment). */
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
  rule: PartitionRule = PARTITION_RULE,
): Partition[] {
  const runner = new ExecutionRunner(scenario, variant, params, limits);
  const invariants = (variant.invariants ?? []).length;
  const nodes = sleepSets ? splitBySleepers(runner, invariants, rule) : expandLevels(runner, rule);
  return nodes.map((n, index) => ({ index, prefix: n.prefix, sleeping: n.sleeping }));
}

function expandLevels(runner: ExecutionRunner, rule: PartitionRule): Node[] {
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
      const previous = node.prefix.length > 0 ? node.prefix[node.prefix.length - 1]! : -1;
      const order = probe.enabled.includes(previous) ? [previous, ...probe.enabled.filter((t) => t !== previous)] : probe.enabled;
      for (const t of order) next.push({ prefix: [...node.prefix, t], sleeping: [], leaf: false });
    }
    frontier = next;
    if (!grew) break;
  }
  return frontier;
}

function splitBySleepers(runner: ExecutionRunner, invariants: number, rule: PartitionRule): Node[] {
  const probe = new Probe();
  let parts: Node[] = [{ prefix: [], sleeping: [], leaf: false }];
  for (let depth = 0; depth < rule.depthMax; depth++) {
    if (parts.filter((p) => !p.leaf).length >= rule.partitionsMin) break;
    const next: Node[] = [];
    let grew = false;
    for (const part of parts) {
      const halves = part.leaf ? null : splitPart(runner, probe, part, invariants, rule.probeExecutions);
      if (halves === null) {
        next.push(part.leaf ? part : { ...part, leaf: true });
        continue;
      }
      grew = true;
      next.push(...halves);
    }
    parts = next;
    if (!grew) break;
  }
  return parts;
}

/**
 * The first split of `part` whose halves both probe non-empty and waste nothing; or `part` itself
 * one step further down when one half is empty (a forced step: no class starts otherwise); null
 * if neither.
 */
// why `observed`: with invariants, dfs orders every non-read step through its observer; a sleeper
// kept by a weaker relation would cut classes dfs considers distinct
function splitPart(runner: ExecutionRunner, probe: Probe, part: Node, invariants: number, probeExecutions: number): Node[] | null {
  const observed = invariants > 0;
  if (!probe.look(runner, part.prefix)) return null;
  const enabled = probe.enabled.slice();
  const pending = probe.pending.slice();
  let tried = 0;
  for (const t of candidates(enabled, pending, part.sleeping, observed)) {
    // why a cap: each candidate costs two probes, and a part where the first few fail is rarely
    // worth many more (indexer(15) ran 362 probes, 0.75 s, before the order and the cap)
    if (probeExecutions > 0 && tried++ >= CANDIDATES_MAX) break;
    const mine = pending[t]!;
    const first = part.sleeping.filter((u) => {
      const theirs = pending[u];
      return theirs != null && !dependent(theirs, mine, observed);
    });
    const runs: Node = { prefix: [...part.prefix, t], sleeping: first, leaf: false };
    const waits: Node = { prefix: part.prefix, sleeping: [...part.sleeping, t].sort((a, b) => a - b), leaf: false };
    if (probeExecutions === 0) return [runs, waits];
    // why: every class starts with a runnable thread that is not asleep; with t asleep as well
    // there is none, so the part is exactly its "t runs first" half (2 threads, one asleep: S1)
    if (enabled.every((u) => u === t || waits.sleeping.includes(u))) return [runs];
    const a = probeRun(runner, runs, invariants, probeExecutions);
    if (a.finished && a.counted === 0) return [waits];
    if (a.counted === 0 || a.redundant > 0) continue;
    const b = probeRun(runner, waits, invariants, probeExecutions);
    if (b.finished && b.counted === 0) return [runs];
    if (b.counted === 0 || b.redundant > 0) continue;
    // why a finished half is a leaf: it is already known to be small, splitting it gains nothing
    return [
      { ...runs, leaf: a.finished },
      { ...waits, leaf: b.finished },
    ];
  }
  return null;
}

/** Candidates of a dfs split tried at most per part (a part with none that fits stays whole). */
const CANDIDATES_MAX = 4;

/**
 * The threads a part may be split on, best first: runnable, not asleep, and those whose next op
 * conflicts with another runnable thread's before those whose op commutes with all of them. Why:
 * a thread that commutes with every other can run first in nearly every class, so "it does not
 * run first" is nearly empty and costs executions to learn it; ids break ties.
 */
function candidates(enabled: readonly number[], pending: readonly (Op | null)[], sleeping: readonly number[], observed: boolean): number[] {
  const awake = enabled.filter((t) => !sleeping.includes(t));
  const conflicts = (t: number): boolean => enabled.some((u) => u !== t && dependent(pending[t]!, pending[u]!, observed));
  return [...awake.filter(conflicts), ...awake.filter((t) => !conflicts(t))];
}

/** The first executions of a part's dfs search: how many counted, how many wasted, and whether that was all. */
function probeRun(runner: ExecutionRunner, part: Node, invariants: number, executions: number): { counted: number; redundant: number; finished: boolean } {
  const strategy = new DfsStrategy({ prefix: part.prefix, sleeping: part.sleeping });
  strategy.prepare({ threads: runner.threadCount, invariants });
  let counted = 0;
  let redundant = 0;
  while (counted + redundant < executions) {
    if (!strategy.beginExecution()) return { counted, redundant, finished: true };
    const outcome = runner.run(strategy);
    strategy.endExecution(outcome);
    if (outcome.status === 'abandoned' || strategy.lastExecutionRedundant()) redundant++;
    else counted++;
  }
  return { counted, redundant, finished: false };
}

interface Node {
  readonly prefix: readonly number[];
  readonly sleeping: readonly number[];
  /**
   * Split no further: the execution ends within the prefix (the partition holds that one
   * execution), or, under dfs, a probe finished the part (it is small) or no split of it was found.
   */
  readonly leaf: boolean;
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

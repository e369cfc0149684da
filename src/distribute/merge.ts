import { InternalError, ScenarioError, UsageError } from '../runtime/errors';
import type { LimitHit } from '../runtime/execution';
import { describeExpectation, expectedChecks, type Expectation } from '../runtime/scenario';
import type { Partition } from './partition';
import type { ShardFile, ShardFileEntry, ShardPart, ShardSearch } from './shard-file';
import { addsFinding, type Finding, type Stats, type Verdict } from '../search/verdict';

/**
 * Folds the verdicts of a search's partitions, in partition order, into the verdict of the whole
 * search, as if one explorer had run the partitions one after another with one execution budget.
 *
 * That sequential reading fixes every rule: counts add up; the first partition that finds the
 * target violation ends the search (later partitions are never looked at, whatever they found);
 * violations of other checks are kept while the search goes on, as `explore` keeps them, and
 * decide the verdict only when every partition was explored (a cut search is `incomplete`);
 * the execution budget is shared, so a partition that ran more executions than were left must be
 * explored again with exactly what was left (`rerun`); a time cut ends the search.
 */
export class PartitionMerger {
  private readonly stats: Stats = { executions: 0, executionsAbandoned: 0, steps: 0, executionsViolated: 0, executionsCut: 0, timeMs: 0 };
  private readonly cuts: LimitHit[] = [];
  private readonly others: Finding[] = [];
  private final: Verdict | null = null;
  // invariant: partitions [0, next) have been added
  private next = 0;
  private readonly wanted: string | null;

  constructor(
    private readonly strategy: string,
    target: Expectation,
    private readonly executionsMax: number,
    private readonly partitions: number,
    /** The search's --max-time, ms, named by a time cut (a partition's own names what was left to it). */
    private readonly timeMsMax?: number,
  ) {
    // why not merged: parts stop at their own target, so a part that met one of several expected
    // checks says nothing of the others; such searches run whole (search-job.ts, shard.ts)
    if (expectedChecks(target).length > 1) throw new InternalError(`partitions of a search for several checks (${describeExpectation(target)}) cannot be merged`);
    this.wanted = target !== 'holds' ? target.violated : null;
  }

  /** Partitions added so far; the next one to add has this index. */
  get added(): number {
    return this.next;
  }

  /** Executions the next partition may still run. */
  get executionsLeft(): number {
    return this.executionsMax - this.stats.executions;
  }

  /** Whether the search is decided: later partitions cannot change it. */
  get done(): boolean {
    return this.final !== null || this.next >= this.partitions;
  }

  /**
   * Adds the next partition's verdict. If it ran more executions than were left, `rerun(left)` must
   * explore it again with that budget. Returns whether the search is decided.
   */
  add(verdict: Verdict, rerun: (executionsLeft: number) => Verdict): boolean {
    if (this.done) throw new RangeError(`partition ${this.next} added after the search was decided`);
    if (this.executionsLeft <= 0) return this.cutByBudget();
    const v = verdict.stats.executions > this.executionsLeft ? rerun(this.executionsLeft) : verdict;
    this.next++;
    addCounts(this.stats, v.stats);
    if (v.kind === 'violated') {
      const found = { violations: v.violations, schedule: v.schedule, ...(v.picks ? { picks: v.picks } : {}) };
      if (this.wanted === null || v.violations.some((x) => x.check === this.wanted)) return this.decide(this.violated(found));
      this.keep(found);
      return this.done;
    }
    if (v.kind === 'incomplete') {
      for (const f of v.others ?? []) this.keep(f);
      // why not the partition's own execution cut: it names the budget left to that partition,
      // and the reader set --max-executions for the whole search
      for (const c of v.cutBy) if (c.limit !== 'executions' && this.cuts.every((k) => k.limit !== c.limit)) this.cuts.push(this.named(c));
      if (v.cutBy.some((c) => c.limit === 'executions')) return this.cutByBudget();
      if (v.cutBy.some((c) => c.limit === 'time')) return this.decide(this.ending());
    }
    return this.done;
  }

  /**
   * Counts a partition explored after the search was decided (out of order, on another thread),
   * when --max-time decided it: its schedules were explored, and a time cut's count is what was
   * explored. Any other decision stands as the sequential reading fixes it.
   */
  addLate(verdict: Verdict): void {
    const v = this.final;
    if (v === null || v.kind !== 'incomplete' || !v.cutBy.some((c) => c.limit === 'time')) return;
    addCounts(v.stats, verdict.stats);
  }

  /** The merged verdict; every partition must have been added unless the search was decided early. */
  result(timeMs: number): Verdict {
    if (this.final === null && this.next < this.partitions) {
      throw new RangeError(`merge needs partition ${this.next} of ${this.partitions}`);
    }
    const v = this.final ?? this.ending();
    return { ...v, stats: { ...v.stats, timeMs } };
  }

  /** Ends the search as cut by --max-executions if the budget is spent; returns whether it did. */
  cutIfSpent(): boolean {
    return this.executionsLeft <= 0 ? this.cutByBudget() : false;
  }

  private cutByBudget(): boolean {
    const hit: LimitHit = {
      limit: 'executions',
      flag: '--max-executions',
      value: this.executionsMax,
      detail: `stopped after ${this.executionsMax} executions with schedules left to explore`,
    };
    if (this.cuts.every((k) => k.limit !== 'executions')) this.cuts.push(hit);
    return this.decide(this.ending());
  }

  private named(c: LimitHit): LimitHit {
    if (c.limit !== 'time' || this.timeMsMax === undefined) return c;
    const value = this.timeMsMax;
    return { ...c, value, detail: `stopped after ${(value / 1000).toFixed(1)} s with schedules left to explore` };
  }

  private keep(found: Finding): void {
    if (addsFinding(this.others, found.violations)) this.others.push(found);
  }

  private decide(v: Verdict): boolean {
    this.final = v;
    return true;
  }

  private violated(found: Finding): Verdict {
    return { kind: 'violated', strategy: this.strategy, violations: found.violations, schedule: found.schedule, ...(found.picks ? { picks: found.picks } : {}), stats: { ...this.stats } };
  }

  /** The verdict when no partition found the target: as `explore` ends, a cut before the others. */
  private ending(): Verdict {
    if (this.cuts.length > 0) {
      const others = this.others.length > 0 ? { others: [...this.others] } : {};
      return { kind: 'incomplete', strategy: this.strategy, cutBy: [...this.cuts], stats: { ...this.stats }, ...others };
    }
    if (this.others.length > 0) return this.violated(this.others[0]!);
    return { kind: 'holds', strategy: this.strategy, stats: { ...this.stats } };
  }
}

/** One merged variant: the entry (as the shards describe it) and its verdict. */
export interface MergedEntry {
  readonly entry: ShardFileEntry;
  readonly verdict: Verdict;
}

/** Explores one partition again with a smaller execution budget (see PartitionMerger.add). */
export type Rerun = (entry: ShardFileEntry, partition: Partition, executionsMax: number) => Verdict;

/**
 * One variant's merge, as plain data (it crosses to the CLI's search worker): what every shard
 * found of its search, and the run's strategy and limits.
 */
export interface EntryMerge {
  readonly strategy: string;
  readonly executionsMax: number;
  /** The shards' --max-time, ms, which a time cut names. */
  readonly timeMsMax: number;
  readonly entry: ShardFileEntry;
  /** Each shard's search of the variant, shard order. */
  readonly searches: readonly ShardSearch[];
  /** How many shards the run had. */
  readonly count: number;
}

/**
 * Merges the files of every shard of one run into one verdict per variant. A file that is not a
 * shard result, a shard missing or given twice, or shards of different runs are usage errors.
 */
export function mergeShardFiles(files: readonly { name: string; content: unknown }[], rerun: Rerun): MergedEntry[] {
  return entryMerges(files).map((m) => ({ entry: m.entry, verdict: mergeEntry(m, rerun) }));
}

/**
 * The files of every shard of one run, checked as mergeShardFiles says, cut into one merge per
 * variant. Reads data only: the model runs in mergeEntry's reruns.
 */
export function entryMerges(files: readonly { name: string; content: unknown }[]): EntryMerge[] {
  if (files.length === 0) throw new UsageError('--merge needs the result files of every shard');
  const shards = files.map(({ name, content }) => asShardFile(name, content));
  const first = shards[0]!;
  const count = first.shard.count;
  const byIndex = new Map<number, ShardFile>();
  shards.forEach((s, i) => {
    const name = files[i]!.name;
    if (s.shard.count !== count) throw new UsageError(`${name} is shard ${`${s.shard.index}/${s.shard.count}`}, but ${files[0]!.name} is one of ${count}`);
    if (byIndex.has(s.shard.index)) throw new UsageError(`shard ${`${s.shard.index}/${s.shard.count}`} is given twice (${name})`);
    if (runKey(s) !== runKey(first)) throw new UsageError(`${name} comes from a different run than ${files[0]!.name} (strategy, limits, partition rule or variants differ)`);
    byIndex.set(s.shard.index, s);
  });
  const missing = [...Array(count).keys()].filter((i) => !byIndex.has(i));
  if (missing.length > 0) throw new UsageError(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing`);
  return first.results.map((entry, k) => ({
    strategy: first.strategy,
    executionsMax: first.limits.executionsMax,
    timeMsMax: first.limits.timeMsMax,
    entry,
    searches: shards.map((s) => s.results[k]!.search),
    count,
  }));
}

/** One variant's verdict from every shard's search of it; `rerun` explores a partition again when the budget asks. */
export function mergeEntry(m: EntryMerge, rerun: Rerun): Verdict {
  const { strategy, executionsMax, timeMsMax, entry, searches, count } = m;
  const name = `${entry.scenario}/${entry.variant}`;
  const wholes = searches.map((s) => s.whole);
  if (wholes.some((w) => w !== null)) {
    const w = wholes[0];
    if (!w || wholes.some((x) => x === null || x.kind !== w.kind || x.stats.executions !== w.stats.executions)) {
      throw new ScenarioError(`shards disagree on ${name}: the scenario is not deterministic, or the shards ran different code`);
    }
    return w;
  }
  const partitions = searches[0]!.partitions;
  const parts = new Map<number, ShardPart>();
  for (const s of searches) for (const p of s.parts) parts.set(p.partition.index, p);
  const merger = new PartitionMerger(strategy, entry.target, executionsMax, partitions, timeMsMax);
  let timeMs = 0;
  while (!merger.done && !merger.cutIfSpent()) {
    const k = merger.added;
    const part = parts.get(k);
    if (!part) throw new UsageError(`${name}: no shard has partition ${k} (shard ${k % count}/${count} stopped before it)`);
    timeMs += part.verdict.stats.timeMs;
    merger.add(part.verdict, (left) => rerun(entry, part.partition, left));
  }
  return merger.result(timeMs);
}

function runKey(s: ShardFile): string {
  return JSON.stringify([s.strategy, s.limits, s.rule, s.results.map((r) => [r.scenario, r.variant, r.params, r.target])]);
}

function asShardFile(name: string, content: unknown): ShardFile {
  const c = content as Partial<ShardFile> | null;
  if (c === null || typeof c !== 'object' || c.format !== 'weft-shard' || c.version !== 1 || !c.shard || !Array.isArray(c.results)) {
    throw new UsageError(`${name} is not a weft shard result (write one with check --shard i/n --json)`);
  }
  return c as ShardFile;
}

/** Adds a partition's counts to a merged verdict's (its time is the whole search's, set apart). */
function addCounts(into: Stats, from: Stats): void {
  into.executions += from.executions;
  into.executionsAbandoned += from.executionsAbandoned;
  into.steps += from.steps;
  into.executionsViolated += from.executionsViolated;
  into.executionsCut += from.executionsCut;
}

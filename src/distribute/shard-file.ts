/**
 * The shard result format: what `check --shard i/n --json` writes and `--merge` reads, and the
 * shard spec `i/n` itself. Types and parsing only, so the search (shard.ts) and the merge
 * (merge.ts) both depend on it and not on each other.
 */
import { UsageError } from '../runtime/errors';
import type { Expectation, Params } from '../runtime/scenario';
import type { SearchLimits } from '../search/explorer';
import type { Verdict } from '../search/verdict';
import type { Partition } from './partition';
import type { PARTITION_RULE } from './tree-top';

/** This machine's share: shard `index` of `count`. */
export interface ShardSpec {
  readonly index: number;
  readonly count: number;
}

/** Parses `i/n` (0 ≤ i < n). */
export function parseShard(text: string): ShardSpec {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) throw new UsageError(`--shard takes i/n with 0 ≤ i < n, not '${text}'`);
  return { index, count };
}

export function describeShard(s: ShardSpec): string {
  return `${s.index}/${s.count}`;
}

/** One explored partition of a shard, with what is needed to explore it again. */
export interface ShardPart {
  readonly partition: Partition;
  readonly verdict: Verdict;
}

/** A shard's result for one variant. */
export interface ShardSearch {
  /**
   * The verdict of the whole search when it was small enough not to be split: every shard finds
   * the same one, and the merge takes it.
   */
  readonly whole: Verdict | null;
  /** How many partitions the whole search has (0 when `whole` is set). */
  readonly partitions: number;
  /** This shard's partitions, in order, up to where the shard could stop. */
  readonly parts: readonly ShardPart[];
}

/** A shard's result file, as `check --shard i/n --json` writes it. */
export interface ShardFile {
  readonly format: 'weft-shard';
  readonly version: 1;
  readonly shard: ShardSpec;
  readonly strategy: string;
  readonly limits: SearchLimits;
  /** The partition rule in force; shards cut by different rules cannot be merged. */
  readonly rule: typeof PARTITION_RULE;
  readonly results: readonly ShardFileEntry[];
}

/** One variant's search within a shard file. */
export interface ShardFileEntry {
  readonly scenario: string;
  readonly variant: string;
  /** Full parameters the search ran with. */
  readonly params: Params;
  readonly target: Expectation;
  readonly search: ShardSearch;
}


/**
 * Search across machines: `--shard i/n` explores the partitions p with p mod n = i, and the shard
 * results, merged in partition order (merge.ts), give the verdict one machine would have found.
 * Shards are independent: each decides alone where it may stop (its own target violation, its
 * own share of the execution budget spent), which is never before what the merge will need.
 */
import { describeExpectation, expectedChecks } from '../runtime/scenario';
import { UsageError } from '../runtime/errors';
import { variantOf } from '../search/variant';
import { explorePartitions, wholeSearch, type ParallelOptions, type SearchRequest } from './parallel';
import { partitionableStrategy, partitionSearch } from './partition';
import type { ShardPart, ShardSearch, ShardSpec } from './shard-file';

/** Explores this shard's share of one variant's search (on the pool, if one is given). */
export function searchShard(req: SearchRequest, shard: ShardSpec, options: ParallelOptions = {}): ShardSearch {
  const split = partitionableStrategy(req.strategy);
  if (!split) throw new UsageError(`--shard needs a strategy that splits (dfs), not '${req.strategy}'`);
  // why refused: shards decide alone where to stop, and one that met only some of several expected
  // checks cannot know whether another shard met the rest
  if (expectedChecks(req.target).length > 1) throw new UsageError(`${req.scenario.id}/${req.variant} expects several checks (${describeExpectation(req.target)}); --shard checks one expected check per variant: run it without --shard`);
  const deadlineMs = Date.now() + req.limits.timeMsMax;
  const whole = wholeSearch(req, options);
  if (whole !== null) return { whole, partitions: 0, parts: [] };
  const variant = variantOf(req.scenario, req.variant);
  const all = partitionSearch(req.scenario, variant, req.params, req.limits, split.sleepSets);
  const mine = all.filter((p) => p.index % shard.count === shard.index);
  const parts: ShardPart[] = [];
  const wanted = req.target !== 'holds' ? req.target.violated : null;
  // invariant: executions = executions of the parts so far; the merged search has run at least
  // these before any later part of this shard, so a part never needs more than the rest
  let executions = 0;
  explorePartitions(req, variant, mine, options.pool?.() ?? null, {
    budget: () => req.limits.executionsMax - executions,
    accept: (partition, verdict) => {
      parts.push({ partition, verdict });
      executions += verdict.stats.executions;
      if (verdict.kind === 'violated') return wanted === null || verdict.violations.some((v) => v.check === wanted);
      if (verdict.kind === 'incomplete' && verdict.cutBy.some((c) => c.limit === 'time')) return true;
      return executions >= req.limits.executionsMax;
    },
  }, deadlineMs);
  return { whole: null, partitions: all.length, parts };
}

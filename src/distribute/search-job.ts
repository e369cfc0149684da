/**
 * One variant's search, whatever its strategy, as the command line and the library run it: split
 * into partitions when the strategy allows it and a pool getter is given, else one whole search.
 * The same function runs in this thread (`check()`) and in the CLI's search worker.
 */
import { explore } from '../search/explorer';
import { expectedChecks } from '../runtime/scenario';
import { BoundedStrategy } from '../search/strategies/bounded';
import { makeStrategy } from '../search/strategies';
import type { Verdict } from '../search/verdict';
import { variantOf } from '../search/variant';
import { searchVariant, type SearchRequest } from './parallel';
import { partitionableStrategy } from './partition';
import type { WorkerPool } from './worker-pool';

/** A search's verdict and what the report prints beside it. */
export interface SearchOutcome {
  readonly verdict: Verdict;
  /** `bounded`: executions run with exactly b preemptions, at index b; null for other strategies. */
  readonly executionsByPreemptions: readonly number[] | null;
}

export function runSearch(req: SearchRequest, pool?: () => WorkerPool | null): SearchOutcome {
  // why every --jobs value splits, 1 included: the partitions are the same for every N, so the
  // verdict, the count and the violation reported never depend on N (or on the machine's cores)
  // why several expected checks run whole: partitions stop at their own target (merge.ts)
  if (partitionableStrategy(req.strategy) && pool && expectedChecks(req.target).length <= 1) return { verdict: searchVariant(req, { pool }), executionsByPreemptions: null };
  const strategy = makeStrategy(req.strategy, req.strategyOptions);
  const verdict = explore({
    scenario: req.scenario,
    variant: variantOf(req.scenario, req.variant),
    params: req.params,
    strategy,
    limits: req.limits,
    target: req.target,
    ...(req.meter ? { meter: req.meter } : {}),
  });
  return { verdict, executionsByPreemptions: strategy instanceof BoundedStrategy ? [...strategy.executionsByBound()] : null };
}

/**
 * The CLI's search worker's entry (started by distribute/search-host.ts): the search loop of
 * distribute/search-worker.ts, with this layer's after step: a violation's schedule minimized and
 * recorded there as well, so that no model code of a hosted check runs on the thread that has to
 * stop it; a replay's recording (replay.ts, and each side of a fix's confirmation), and a shard's
 * share of a search (`--shard`), which have no search before them.
 */
import { serveSearches } from '../distribute/search-worker';
import { searchShard } from '../distribute/shard';
import type { ShardSearch } from '../distribute/shard-file';
import type { Trace } from '../trace/trace';
import { traceViolation, type ShardOrder, type TraceOrder, type ViolationTrace } from './check';
import { recordReplay, type ReplayOrder } from './replay';

serveSearches<TraceOrder | ReplayOrder | ShardOrder, ViolationTrace | Trace | ShardSearch | null>((order, { scenario, task, outcome, watch, lane, pool, ran }) => {
  if ('replay' in order) return recordReplay(scenario, order, { watch, ran });
  if ('shard' in order) {
    const { id: _id, after: _after, search: _search, merge: _merge, ...req } = task;
    return searchShard({ ...req, scenario, meter: lane }, order.shard, { pool });
  }
  return outcome?.verdict.kind === 'violated' ? traceViolation(scenario, task.variant, task.params, outcome.verdict, order, { watch, ran }) : null;
});

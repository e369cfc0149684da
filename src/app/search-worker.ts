/**
 * The CLI's search worker's entry (started by distribute/search-host.ts): the search loop of
 * distribute/search-worker.ts, with this layer's after step: a violation's schedule minimized and
 * recorded there as well, so that no model code of a hosted check runs on the thread that has to
 * stop it; and a replay's recording (replay.ts), which has no search before it.
 */
import { serveSearches } from '../distribute/search-worker';
import type { Trace } from '../trace/trace';
import { traceViolation, type TraceOrder, type ViolationTrace } from './check';
import { recordReplay, type ReplayOrder } from './replay';

serveSearches<TraceOrder | ReplayOrder, ViolationTrace | Trace | null>((order, { scenario, task, outcome, watch, ran }) => {
  if ('replay' in order) return recordReplay(scenario, order, { watch, ran });
  return outcome?.verdict.kind === 'violated' ? traceViolation(scenario, task.variant, task.params, outcome.verdict, order, { watch, ran }) : null;
});

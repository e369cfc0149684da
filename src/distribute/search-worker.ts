/**
 * The CLI's search worker: runs each search it is sent (search-job.ts) and answers on its port, so
 * the thread that owns the run stays free to draw progress, hear Ctrl-C, and end a search that
 * does not stop (search-host.ts). Split searches use a pool of its own, started on first use.
 *
 * A search's outcome may need more model code run before it can be reported (a violation's
 * schedule minimized and recorded). That runs here too, as the `after` step the worker's entry
 * gives (app/search-worker.ts: this layer knows nothing of traces), so that a model that hangs
 * there is under the same watchdog as one that hangs in the search.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { InternalError, ScenarioError, UsageError } from '../runtime/errors';
import type { Scenario } from '../runtime/scenario';
import { SearchMeter } from './meter';
import { scenarioModuleExports } from './scenario-module';
import { runSearch, type SearchOutcome } from './search-job';
import { LazyPool, type WorkerPool } from './worker-pool';
import type { MeterLane } from '../search/explorer';
import { mergeEntry, type EntryMerge } from './merge';
import { exploreInProcess, type SearchRequest } from './parallel';
import { variantOf } from '../search/variant';
import type { SearchAnswer, SearchInit, SearchTask } from './search-protocol';

/** What an after-search step is given besides its own work order. */
export interface AfterSearchContext {
  readonly scenario: Scenario;
  readonly task: SearchTask;
  /** Null when the task had no search (a replay). */
  readonly outcome: SearchOutcome | null;
  /** The watch the search noted its place in: an after-search runner notes its own there. */
  readonly watch: Int32Array;
  /** The worker's own meter lane (`watch` is its watch), for a search the step runs itself (a shard's). */
  readonly lane: MeterLane;
  /** The worker's pool for split searches, started on first use. */
  readonly pool: () => WorkerPool | null;
  /** To be called once per execution the step runs: the watchdog's sign that it moves. */
  readonly ran: () => void;
}

/** Model work after a search, in the worker: `work` is the task's `after`; the result crosses back as plain data. */
export type AfterSearch<A, R> = (work: A, context: AfterSearchContext) => R;

/** Starts answering searches on the worker's port; `after` runs for tasks that carry work for it. */
export function serveSearches<A, R>(after: AfterSearch<A, R> | null): void {
  const init = workerData as SearchInit;
  const meter = new SearchMeter(init.meter);
  const lane = meter.lane(0);
  const pool = new LazyPool(init.jobs, init.meter);
  const loaded = new Map<string, Scenario>();
  const port = parentPort!;

  async function load(task: SearchTask): Promise<Scenario> {
    const key = `${task.source.url}#${task.source.exportName}`;
    const known = loaded.get(key);
    if (known) return known;
    const scenario = (await scenarioModuleExports(task.source.url))[task.source.exportName] as Scenario | undefined;
    if (!scenario) throw new UsageError(`the search worker cannot find scenario ${key}`);
    loaded.set(key, scenario);
    return scenario;
  }

  async function run(task: SearchTask): Promise<SearchAnswer<R>> {
    try {
      const scenario = await load(task);
      port.postMessage({ id: task.id, kind: 'started' } satisfies SearchAnswer);
      const ran = (): void => meter.ranAfter(0);
      const context = { scenario, task, watch: lane.watch, lane, pool: () => pool.get(), ran };
      if (!task.search) {
        if (task.after === null || after === null) throw new InternalError('a task without a search has nothing to run');
        return { id: task.id, kind: 'done', outcome: null, after: after(task.after as A, { ...context, outcome: null }) };
      }
      const { source, id: _id, after: _after, search: _search, merge, ...rest } = task;
      const req: SearchRequest = { ...rest, scenario, source, meter: lane };
      const outcome = merge === null ? runSearch(req, () => pool.get()) : merged(req, merge);
      if (task.after === null || after === null) return { id: task.id, kind: 'done', outcome, after: null };
      port.postMessage({ id: task.id, kind: 'searched', outcome } satisfies SearchAnswer);
      const done = after(task.after as A, { ...context, outcome });
      return { id: task.id, kind: 'done', outcome, after: done };
    } catch (e) {
      const error = e instanceof UsageError ? 'usage' : e instanceof ScenarioError ? 'scenario' : 'internal';
      const message = e instanceof Error ? (error === 'internal' ? (e.stack ?? e.message) : e.message) : String(e);
      return { id: task.id, kind: 'error', error, message };
    }
  }

  let queue: Promise<void> = Promise.resolve();

  // why here: a partition explored again for the merge runs the model, as a search does
  function merged(req: SearchRequest, m: EntryMerge): SearchOutcome {
    const variant = variantOf(req.scenario, req.variant);
    return { verdict: mergeEntry(m, (_entry, partition, left) => exploreInProcess(req, variant, partition, left)), executionsByPreemptions: null };
  }

  port.on('message', (task: SearchTask) => {
    queue = queue.then(async () => port.postMessage(await run(task)));
  });
}

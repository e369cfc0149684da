/**
 * The CLI's search worker: runs each search it is sent (search-job.ts) and answers on its port, so
 * the thread that owns the run stays free to draw progress, hear Ctrl-C, and end a search that
 * does not stop (search-host.ts). Split searches use a pool of its own, started on first use.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ScenarioError, UsageError } from '../runtime/errors';
import type { Scenario } from '../runtime/scenario';
import { SearchMeter } from './meter';
import { runSearch } from './search-job';
import { LazyPool } from './worker-pool';
import type { SearchAnswer, SearchInit, SearchTask } from './search-protocol';

const init = workerData as SearchInit;
const meter = new SearchMeter(init.meter);
const pool = new LazyPool(init.jobs, init.meter);
const loaded = new Map<string, Scenario>();

async function load(task: SearchTask): Promise<Scenario> {
  const key = `${task.source.url}#${task.source.exportName}`;
  const known = loaded.get(key);
  if (known) return known;
  const mod = (await import(task.source.url)) as Record<string, Scenario | undefined>;
  const scenario = mod[task.source.exportName];
  if (!scenario) throw new UsageError(`the search worker cannot find scenario ${key}`);
  loaded.set(key, scenario);
  return scenario;
}

async function run(task: SearchTask): Promise<SearchAnswer> {
  try {
    const scenario = await load(task);
    parentPort!.postMessage({ id: task.id, kind: 'started' } satisfies SearchAnswer);
    const { source, id: _id, ...rest } = task;
    const outcome = runSearch({ ...rest, scenario, source, meter: meter.lane(0) }, () => pool.get());
    return { id: task.id, kind: 'done', outcome };
  } catch (e) {
    const error = e instanceof UsageError ? 'usage' : e instanceof ScenarioError ? 'scenario' : 'internal';
    const message = e instanceof Error ? (error === 'internal' ? (e.stack ?? e.message) : e.message) : String(e);
    return { id: task.id, kind: 'error', error, message };
  }
}

let queue: Promise<void> = Promise.resolve();
parentPort!.on('message', (task: SearchTask) => {
  queue = queue.then(async () => parentPort!.postMessage(await run(task)));
});

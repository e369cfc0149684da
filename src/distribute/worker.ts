/**
 * A worker thread of the parallel search: explores the partitions it is sent, one at a time, and
 * answers each on its port. Every failure becomes an answer, since the pool waits synchronously
 * and never sees a worker's `error` event.
 */
import { workerData } from 'node:worker_threads';
import { ScenarioError, UsageError } from '../runtime/errors';
import type { Scenario } from '../runtime/scenario';
import { variantOf } from '../search/variant';
import { explorePartition } from './partition';
import { SearchMeter } from './meter';
import { scenarioModuleExports } from './scenario-module';
import {
  ANSWERS_WORD,
  CLAIMED_BY_WORKER,
  HEARTBEAT_WORD,
  STOP_WORD,
  UNCLAIMED,
  type ScenarioSource,
  type WorkerAnswer,
  type WorkerInit,
  type WorkerTask,
} from './worker-protocol';

const { port, signal, slot, meter } = workerData as WorkerInit;
const lane = meter ? new SearchMeter(meter).lane(slot + 1) : undefined;
const beat = (): void => void Atomics.add(signal, HEARTBEAT_WORD + slot, 1);
const loaded = new Map<string, Scenario>();

async function load(source: ScenarioSource): Promise<Scenario> {
  const key = `${source.url}#${source.exportName}`;
  const known = loaded.get(key);
  if (known) return known;
  const scenario = (await scenarioModuleExports(source.url))[source.exportName] as Scenario | undefined;
  if (!scenario) throw new UsageError(`worker cannot find scenario ${key}`);
  loaded.set(key, scenario);
  return scenario;
}

function answer(a: WorkerAnswer): void {
  port.postMessage(a);
  Atomics.add(signal, ANSWERS_WORD, 1);
  Atomics.notify(signal, ANSWERS_WORD);
}

async function run(task: WorkerTask): Promise<void> {
  try {
    // why loaded before the claim: while the module loads, the pool's thread may still take the
    // task back and explore it itself, rather than wait for this one
    const scenario = await load(task.source);
    if (Atomics.compareExchange(task.claim, 0, UNCLAIMED, CLAIMED_BY_WORKER) !== UNCLAIMED) {
      answer({ taskId: task.taskId, kind: 'taken' });
      return;
    }
    beat();
    const index = task.job.partition.index;
    const job = { ...task.job, limits: { ...task.job.limits, timeMsMax: Math.max(0, task.deadlineMs - Date.now()) } };
    const stopped = (): boolean => {
      beat();
      return Atomics.load(signal, STOP_WORD) < index;
    };
    const verdict = explorePartition(scenario, variantOf(scenario, task.variant), task.params, job, stopped, lane);
    answer(verdict === null ? { taskId: task.taskId, kind: 'stopped' } : { taskId: task.taskId, kind: 'verdict', partition: index, verdict });
  } catch (e) {
    const error = e instanceof UsageError ? 'usage' : e instanceof ScenarioError ? 'scenario' : 'internal';
    const message = e instanceof Error ? (error === 'internal' ? (e.stack ?? e.message) : e.message) : String(e);
    answer({ taskId: task.taskId, kind: 'error', error, message });
  }
}

// why a chain: tasks arrive while an async import is pending; they must still run one at a time
let queue: Promise<void> = Promise.resolve();
port.on('message', (task: WorkerTask) => {
  queue = queue.then(() => run(task));
});

/**
 * A fixed set of worker threads that explore partitions. The caller stays synchronous: it posts
 * tasks and sleeps on a shared counter (Atomics.wait) until answers arrive, then reads them with
 * receiveMessageOnPort. So `check` needs no event loop and `main` keeps returning an exit code.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { InternalError } from '../runtime/errors';
import { ANSWERS_WORD, HEARTBEAT_WORD, NOT_STOPPED, STOP_WORD, type WorkerAnswer, type WorkerInit, type WorkerTask } from './worker-protocol';

/** The default for --jobs. */
export function defaultJobs(): number {
  // why 1, not the core count: a split search runs redundant executions (partitions prune less
  // than one search, dfs.ts), about 3x the time of the whole search on lastzero(15), so on a
  // 2-core machine --jobs 2 is still slower than one whole search (bench/README.md); --jobs N
  // opts in. Handing out subtrees of one search instead does not work either (docs/distributed.md).
  // A core-count default would also make which violation is reported depend on the machine.
  return 1;
}

/** How long to sleep between checks that the workers are still alive, ms. */
const WAIT_SLICE_MS = 1000;
/**
 * A busy worker whose heartbeat (one per execution) stays still this long is taken for dead (out
 * of memory, killed): the search fails loudly instead of waiting forever. Only ever an error path;
 * no result depends on time.
 */
const SILENCE_MS_MAX = 120_000;

/**
 * Workers run TypeScript sources: each loads tsx's loader first (the pool runs under `npx tsx` and
 * under vitest alike; neither hands its loader to a worker by itself), then the worker module.
 */
function bootCode(): string {
  return [
    "const { workerData } = require('node:worker_threads');",
    'import(workerData.tsxApi).then(({ tsImport }) => tsImport(workerData.entry, workerData.entry))',
    '  .catch((e) => { workerData.port.postMessage({ taskId: -1, kind: "error", error: "internal", message: String(e && e.stack || e) });',
    '    Atomics.add(workerData.signal, 1, 1); Atomics.notify(workerData.signal, 1); });',
  ].join('\n');
}

/**
 * URL of tsx's ESM API. `require.resolve` finds its CommonJS twin, whose `tsImport` mis-resolves
 * its own loader (tsx 4.23), so the `.mjs` beside it is used; the bare name is the last resort.
 */
function tsxEsmApi(): string {
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  const esm = cjs.replace(/\.cjs$/, '.mjs');
  return existsSync(esm) ? pathToFileURL(esm).href : 'tsx/esm/api';
}

/**
 * Tasks posted to one worker before it answers. Why more than one: this thread explores partitions
 * too (`help`), synchronously, and cannot post while it does; a worker that finished its only task
 * would sit idle until then.
 */
const TASKS_PER_WORKER = 2;

interface Slot {
  readonly worker: Worker;
  readonly port: MessagePort;
  /** Tasks posted to this worker and not answered yet. */
  inFlight: number;
  /** Heartbeat last seen, and when it last moved (performance.now). */
  beat: number;
  beatAt: number;
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly signal: Int32Array;
  private nextTaskId = 0;
  private closed = false;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size ${size} must be ≥ 1`);
    const tsxApi = tsxEsmApi();
    const entry = new URL('./worker.ts', import.meta.url).href;
    this.signal = new Int32Array(new SharedArrayBuffer(4 * (HEARTBEAT_WORD + size)));
    this.signal[STOP_WORD] = NOT_STOPPED;
    for (let i = 0; i < size; i++) {
      const channel = new MessageChannel();
      const init: WorkerInit & { tsxApi: string; entry: string } = { port: channel.port2, signal: this.signal, slot: i, tsxApi, entry };
      const worker = new Worker(bootCode(), { eval: true, workerData: init, transferList: [channel.port2] });
      // why: an idle pool must not keep the process alive; `close` ends it explicitly anyway
      worker.unref();
      this.slots.push({ worker, port: channel.port1, inFlight: 0, beat: 0, beatAt: 0 });
    }
  }

  /**
   * Runs tasks on idle workers until `next()` has none left and every started task has answered.
   * `next()` is asked whenever a worker is free; `onAnswer` hears each answer as it arrives and may
   * call `stop(index)` to stop every task of a later partition. When no answer is waiting, `help()`
   * may do a piece of the work in this thread (returning false when there is none) before it sleeps.
   */
  run(next: () => Omit<WorkerTask, 'taskId'> | null, onAnswer: (answer: WorkerAnswer) => void, help: () => boolean = () => false): void {
    if (this.closed) throw new InternalError('worker pool used after close');
    this.signal[STOP_WORD] = NOT_STOPPED;
    let exhausted = false;
    for (;;) {
      if (!exhausted) {
        for (const slot of this.slots) {
          while (!exhausted && slot.inFlight < TASKS_PER_WORKER) {
            const task = next();
            if (task === null) {
              exhausted = true;
              break;
            }
            const taskId = this.nextTaskId++;
            if (slot.inFlight++ === 0) slot.beatAt = performance.now();
            slot.port.postMessage({ ...task, taskId });
          }
        }
      }
      if (exhausted && this.slots.every((s) => s.inFlight === 0)) return;
      const seen = Atomics.load(this.signal, ANSWERS_WORD);
      let got = false;
      for (const slot of this.slots) {
        for (let m = receiveMessageOnPort(slot.port); m !== undefined; m = receiveMessageOnPort(slot.port)) {
          const a = m.message as WorkerAnswer;
          if (a.taskId === -1) throw new InternalError(`a search worker failed to start: ${a.kind === 'error' ? a.message : ''}`);
          slot.inFlight--;
          got = true;
          onAnswer(a);
        }
      }
      if (!got && !help() && Atomics.wait(this.signal, ANSWERS_WORD, seen, WAIT_SLICE_MS) === 'timed-out') this.checkAlive();
    }
  }

  private checkAlive(): void {
    const now = performance.now();
    this.slots.forEach((slot, i) => {
      if (slot.inFlight === 0) return;
      const beat = Atomics.load(this.signal, HEARTBEAT_WORD + i);
      if (beat !== slot.beat) {
        slot.beat = beat;
        slot.beatAt = now;
      } else if (now - slot.beatAt > SILENCE_MS_MAX) {
        throw new InternalError(`search worker ${i} has not run an execution for ${SILENCE_MS_MAX / 1000} s (out of memory, or killed?)`);
      }
    });
  }

  /** Tells running tasks of partitions after `index` to stop at their next execution. */
  stop(index: number): void {
    if (index < Atomics.load(this.signal, STOP_WORD)) Atomics.store(this.signal, STOP_WORD, index);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.slots) {
      s.port.close();
      void s.worker.terminate();
    }
  }
}

/** A pool started on first use, so a run of small searches (`check --all`) never starts one. */
export class LazyPool {
  private pool: WorkerPool | null = null;

  /** `jobs` threads in all: this one and jobs − 1 workers; 1 means no pool at all. */
  constructor(readonly jobs: number) {}

  get(): WorkerPool | null {
    if (this.jobs <= 1) return null;
    this.pool ??= new WorkerPool(this.jobs - 1);
    return this.pool;
  }

  close(): void {
    this.pool?.close();
    this.pool = null;
  }
}

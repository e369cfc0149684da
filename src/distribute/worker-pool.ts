/**
 * A fixed set of worker threads that explore partitions. The caller stays synchronous: it posts
 * tasks and sleeps on a shared counter (Atomics.wait) until answers arrive, then reads them with
 * receiveMessageOnPort. So `check` needs no event loop and `main` keeps returning an exit code.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { InternalError } from '../runtime/errors';
import {
  ANSWERS_WORD,
  CLAIMED_BY_POOL,
  HEARTBEAT_WORD,
  NOT_STOPPED,
  STOP_WORD,
  UNCLAIMED,
  type WorkerAnswer,
  type WorkerInit,
  type WorkerTask,
} from './worker-protocol';
import type { MeterBuffers } from './meter';
import { bootCode, bootData, entryBeside, type BootData } from './worker-boot';

/** A worker that cannot start answers as a task would, so the pool (which waits synchronously) hears it. */
const FAILED_TO_START = [
  'workerData.port.postMessage({ taskId: -1, kind: "error", error: "internal", message: String(e && e.stack || e) });',
  'Atomics.add(workerData.signal, 1, 1); Atomics.notify(workerData.signal, 1);',
].join(' ');

/** Most threads --jobs takes by default (see defaultJobs). */
export const DEFAULT_JOBS_MAX = 8;

/**
 * The default for --jobs: every core, up to DEFAULT_JOBS_MAX. Safe as a default because a split
 * search wastes no execution on the benchmark programs (sleep-splits.ts, probed splits) and every N
 * explores the same partitions, so the output is the same on every machine. Why a cap: a search
 * has 16 to 34 partitions, so past a few threads most of them wait, and each worker costs its own
 * start (about 0.3 s) and heap; `--jobs N` asks for more.
 */
export function defaultJobs(): number {
  return Math.min(availableParallelism(), DEFAULT_JOBS_MAX);
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
 * Tasks posted to one worker before it answers. Why more than one: this thread explores partitions
 * too (`help`), synchronously, and cannot post while it does; a worker that finished its only task
 * would sit idle until then. Why a queued task is not lost to this thread: it can take one back
 * (`steal`) when it has nothing else to do, so the last partitions do not wait behind each other.
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
  /** Posted tasks not answered or taken back yet, in the order they were posted, with their slot. */
  private readonly posted: { readonly task: WorkerTask; readonly slot: Slot }[] = [];
  /**
   * Tasks taken back (`steal`) whose worker has not answered yet. Why they no longer count as in
   * flight: a worker still starting answers only once it has started, and a search past its
   * --max-time would wait for that with nothing left to explore.
   */
  private readonly takenBack = new Set<number>();

  constructor(
    readonly size: number,
    /** Shared progress record with a lane for each worker (1 + slot); absent: none. */
    meter?: MeterBuffers,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size ${size} must be ≥ 1`);
    // why by our own URL: from the sources the worker is worker.ts, from the package's dist/ it is
    // worker.js (worker-boot.ts says why the worker then shares the scenario's copy of weft)
    const boot = bootData(entryBeside(import.meta.url, 'worker'));
    this.signal = new Int32Array(new SharedArrayBuffer(4 * (HEARTBEAT_WORD + size)));
    this.signal[STOP_WORD] = NOT_STOPPED;
    for (let i = 0; i < size; i++) {
      const channel = new MessageChannel();
      const init: WorkerInit & BootData = { port: channel.port2, signal: this.signal, slot: i, ...boot, ...(meter ? { meter } : {}) };
      const worker = new Worker(bootCode(FAILED_TO_START), { eval: true, workerData: init, transferList: [channel.port2] });
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
  run(next: () => Omit<WorkerTask, 'taskId' | 'claim'> | null, onAnswer: (answer: WorkerAnswer) => void, help: () => boolean = () => false): void {
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
            const posted: WorkerTask = { ...task, taskId: this.nextTaskId++, claim: new Int32Array(new SharedArrayBuffer(4)) };
            if (slot.inFlight++ === 0) slot.beatAt = performance.now();
            this.posted.push({ task: posted, slot });
            slot.port.postMessage(posted);
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
          got = true;
          // why even an error is dropped: the task was explored here, and it may be of a search
          // that has ended; a module that does not load fails the next task the worker keeps
          if (this.takenBack.delete(a.taskId)) continue;
          slot.inFlight--;
          const k = this.posted.findIndex((p) => p.task.taskId === a.taskId);
          if (k >= 0) this.posted.splice(k, 1);
          if (a.kind !== 'taken') onAnswer(a);
        }
      }
      if (!got && !help() && Atomics.wait(this.signal, ANSWERS_WORD, seen, WAIT_SLICE_MS) === 'timed-out') this.checkAlive();
    }
  }

  /**
   * Takes back the earliest posted task no worker has started, for this thread to explore (its
   * worker will answer `taken`); null when every posted task is started. Only from `help`.
   */
  steal(): Omit<WorkerTask, 'taskId' | 'claim'> | null {
    for (let k = 0; k < this.posted.length; k++) {
      const { task, slot } = this.posted[k]!;
      if (Atomics.compareExchange(task.claim, 0, UNCLAIMED, CLAIMED_BY_POOL) !== UNCLAIMED) continue;
      this.posted.splice(k, 1);
      slot.inFlight--;
      this.takenBack.add(task.taskId);
      return task;
    }
    return null;
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
  constructor(
    readonly jobs: number,
    private readonly meter?: MeterBuffers,
  ) {}

  get(): WorkerPool | null {
    if (this.jobs <= 1) return null;
    this.pool ??= new WorkerPool(this.jobs - 1, this.meter);
    return this.pool;
  }

  close(): void {
    this.pool?.close();
    this.pool = null;
  }
}

/**
 * Messages between the parallel search and its worker threads. Functions cannot cross threads, so a
 * worker finds the scenario itself: by module URL and export name.
 */
import type { Params } from '../runtime/scenario';
import type { PartitionJob } from './partition';
import type { Verdict } from '../search/verdict';
import type { MeterBuffers } from './meter';

/** Where a worker imports the scenario from. */
export interface ScenarioSource {
  readonly kind: 'module';
  /** File URL of a module that exports the scenario. */
  readonly url: string;
  /** `default` or the name of a named export. */
  readonly exportName: string;
}

/** One partition to explore. */
export interface WorkerTask {
  /** Unique within the pool, to match the answer. */
  readonly taskId: number;
  readonly source: ScenarioSource;
  readonly variant: string;
  readonly params: Params;
  readonly job: PartitionJob;
  /** Wall-clock time (Date.now) after which the search is cut by --max-time. */
  readonly deadlineMs: number;
  /**
   * One shared word: whoever turns it from UNCLAIMED to their mark explores the task. The pool's
   * thread may take a task still queued at a worker (WorkerPool.steal), which then answers `taken`.
   */
  readonly claim: Int32Array;
}

/** Value of a task's claim word before anyone took it. */
export const UNCLAIMED = 0;
/** A worker's mark on a claim word. */
export const CLAIMED_BY_WORKER = 1;
/** The pool thread's mark on a claim word. */
export const CLAIMED_BY_POOL = 2;

/** A worker's answer to one task. */
export type WorkerAnswer =
  | { readonly taskId: number; readonly kind: 'verdict'; readonly partition: number; readonly verdict: Verdict }
  /** The search was decided before this partition finished; it has no result. */
  | { readonly taskId: number; readonly kind: 'stopped' }
  /** The pool's thread explored this task itself (its claim word says so). */
  | { readonly taskId: number; readonly kind: 'taken' }
  | { readonly taskId: number; readonly kind: 'error'; readonly error: 'usage' | 'scenario' | 'internal'; readonly message: string };

/** Data every worker gets at start. */
export interface WorkerInit {
  /** Answers go here (read synchronously by the pool). */
  readonly port: import('node:worker_threads').MessagePort;
  /**
   * Shared words: [0] the lowest partition index at which the current search was decided (tasks
   * for later partitions stop), [1] a counter bumped after every answer (the pool waits on it),
   * [2 + slot] each worker's heartbeat, bumped before every execution it runs.
   */
  readonly signal: Int32Array;
  /** This worker's position in the pool (its heartbeat word). */
  readonly slot: number;
  /** Where it notes progress: lane slot + 1 (lane 0 is the pool's own thread); absent: nowhere. */
  readonly meter?: MeterBuffers;
}

/** Index of the stop word in `signal`. */
export const STOP_WORD = 0;
/** Index of the answer counter in `signal`. */
export const ANSWERS_WORD = 1;
/** Index of worker 0's heartbeat in `signal`. */
export const HEARTBEAT_WORD = 2;
/** Value of the stop word when no search is decided. */
export const NOT_STOPPED = 0x7fffffff;

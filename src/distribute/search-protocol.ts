/** Messages between the CLI's main thread and its search worker (search-host.ts, search-worker.ts). */
import type { EntryMerge } from './merge';
import type { MeterBuffers } from './meter';
import type { SearchRequest } from './parallel';
import type { SearchOutcome } from './search-job';
import type { BootData } from './worker-boot';
import type { ScenarioSource } from './worker-protocol';

export interface SearchInit extends BootData {
  /** Threads of a split search: the worker's own and jobs − 1 pool workers. */
  readonly jobs: number;
  /** Lane 0 the worker's own thread, 1 + k pool worker k. */
  readonly meter: MeterBuffers;
}

/**
 * A SearchRequest as plain data: the scenario is named by its module, the rest is the request's.
 * `after`: what the worker's after-search step (search-worker.ts) is to do with the outcome, as
 * plain data; null: nothing. `search` false: no search, only the after step (a replay, a
 * shard's share of a search), whose context then has no outcome. `merge`: the search is the merge
 * of shard results for the variant (merge.ts), not the variant's own search; null: its own.
 */
export interface SearchTask<A = unknown> extends Omit<SearchRequest, 'scenario' | 'source' | 'meter'> {
  readonly id: number;
  readonly source: ScenarioSource;
  readonly search: boolean;
  readonly merge: EntryMerge | null;
  readonly after: A | null;
}

export type SearchAnswer<R = unknown> =
  /** The scenario is loaded and the search begins: --max-time counts from here. */
  | { readonly id: number; readonly kind: 'started' }
  /** The search ended; the worker goes on with the task's `after` step, whose answer is `done`. */
  | { readonly id: number; readonly kind: 'searched'; readonly outcome: SearchOutcome }
  /** `after`: what the after-search step returned; null when there was none to run. `outcome` null: the task had no search. */
  | { readonly id: number; readonly kind: 'done'; readonly outcome: SearchOutcome | null; readonly after: R | null }
  | { readonly id: number; readonly kind: 'error'; readonly error: 'usage' | 'scenario' | 'internal'; readonly message: string };

/** Messages between the CLI's main thread and its search worker (search-host.ts, search-worker.ts). */
import type { MeterBuffers } from './meter';
import type { SearchRequest } from './parallel';
import type { SearchOutcome } from './search-job';
import type { ScenarioSource } from './worker-protocol';

export interface SearchInit {
  /** Threads of a split search: the worker's own and jobs − 1 pool workers. */
  readonly jobs: number;
  /** Lane 0 the worker's own thread, 1 + k pool worker k. */
  readonly meter: MeterBuffers;
  readonly tsxApi: string;
  readonly entry: string;
}

/** A SearchRequest as plain data: the scenario is named by its module, the rest is the request's. */
export interface SearchTask extends Omit<SearchRequest, 'scenario' | 'source' | 'meter'> {
  readonly id: number;
  readonly source: ScenarioSource;
}

export type SearchAnswer =
  /** The scenario is loaded and the search begins: --max-time counts from here. */
  | { readonly id: number; readonly kind: 'started' }
  | { readonly id: number; readonly kind: 'done'; readonly outcome: SearchOutcome }
  | { readonly id: number; readonly kind: 'error'; readonly error: 'usage' | 'scenario' | 'internal'; readonly message: string };

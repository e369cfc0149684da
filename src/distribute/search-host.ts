/**
 * The CLI's side of its search worker (search-worker.ts). A search runs there, so this thread's
 * event loop stays free while it runs: it can draw a progress line from the shared meter, hear
 * Ctrl-C, and end a search that overstays --max-time even when a model thread never yields (a
 * worker can be terminated mid-loop; this thread's own code could not be). Why not a yielding
 * explorer instead: a thread body that loops without yielding never returns to any explorer.
 * What the report needs of the model after the search (a violation's schedule minimized and
 * recorded) runs there too, as the task's after step, under the same deadline; so do a replay's
 * recording (each side of a fix's confirmation is one) and a shard's share of a search, as tasks
 * with no search before their after step, and a merge of shard results, as a task whose search is
 * the merge (it explores partitions again where the execution budget asks).
 *
 * Verdicts do not depend on this: the worker runs the very search `check()` runs in-process.
 */
import { Worker } from 'node:worker_threads';
import { InternalError, ScenarioError, UsageError } from '../runtime/errors';
import { ABANDON, ExecutionRunner, PHASE } from '../runtime/execution';
import { letterOf } from '../runtime/scenario';
import type { Verdict } from '../search/verdict';
import { variantOf } from '../search/variant';
import { SearchMeter, type LaneWatch } from './meter';
import type { EntryMerge } from './merge';
import type { SearchRequest } from './parallel';
import type { SearchOutcome } from './search-job';
import type { SearchAnswer, SearchInit, SearchTask } from './search-protocol';
import { bootCode, bootData } from './worker-boot';

/**
 * After --max-time, how long a search may take to stop by itself (explorers look at the clock
 * between executions) before it is ended: the meter is read at the first mark and again at the
 * second, and a lane that has not moved between them is stuck. Both well under a second.
 */
const STOP_MARKS_MS = [300, 700] as const;

/** Ctrl-C: the search was stopped; what it had explored by then. */
export class SearchInterrupted extends Error {
  constructor(
    readonly explored: { readonly executions: number; readonly steps: number; readonly timeMs: number },
    /** The search's outcome when the search had ended and its after step was stopped; else null. */
    readonly found: SearchOutcome | null = null,
  ) {
    super('interrupted');
    this.name = 'SearchInterrupted';
  }
}

/** What a hosted search answers: its outcome, and what its after step made of it. */
export interface HostedSearch<R> {
  readonly outcome: SearchOutcome;
  /** The after step's result; null when it had none to run, or when --max-time ended it (`afterCut`). */
  readonly after: R | null;
  /** --max-time passed while the after step ran and it still moved: it was ended, its result lost. */
  readonly afterCut: boolean;
}

/** What the worker runs with no search before it: see SearchHost.replay. */
export type HostedWork = 'replay' | 'shard';

/** A worker that cannot start throws in its own thread: its owner hears an `error` event. */
const FAILED_TO_START = 'setImmediate(() => { throw e; });';

export class SearchHost {
  readonly meter: SearchMeter;
  private worker: Worker | null = null;
  private nextId = 0;

  /**
   * `jobs`: threads of a split search, as --jobs says (the worker and jobs − 1 of its pool).
   * `entry`: the worker's entry module, which calls serveSearches (search-worker.ts) with the
   * after step of the layer that owns the run. Any scenario with a module source can search
   * there: worker-boot.ts says why the worker then loads the very copy of weft the scenario does.
   */
  constructor(
    readonly jobs: number,
    private readonly entry: string,
  ) {
    this.meter = new SearchMeter(Math.max(1, jobs));
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const init: SearchInit = { jobs: this.jobs, meter: this.meter.buffers, ...bootData(this.entry) };
    this.worker = new Worker(bootCode(FAILED_TO_START), { eval: true, workerData: init });
    return this.worker;
  }

  private end(): void {
    const w = this.worker;
    this.worker = null;
    if (w) {
      w.removeAllListeners();
      // why a listener: a terminated worker may still report an error; nothing waits for it now
      w.on('error', () => {});
      void w.terminate();
    }
  }

  close(): void {
    this.end();
  }

  /**
   * Runs one search in the worker, then `after` (plain data for the worker's after step; null:
   * none). --max-time bounds both together: past it, what does not stop is ended. A model thread
   * that has not moved is a ScenarioError naming it and its last step; otherwise a search still
   * running is an `incomplete` verdict cut by time, and an after step still running is dropped
   * (`afterCut`: its search's outcome stands). `signal` aborts it: SearchInterrupted, with what
   * was explored. `merge`: the search is the merge of shard results (merge.ts), whose partitions
   * the worker explores again where the budget asks, instead of the variant's own search.
   */
  async search<R>(req: SearchRequest, after: unknown, signal?: AbortSignal, merge?: EntryMerge): Promise<HostedSearch<R>> {
    const h = await this.run<R>(req, after, 'search', signal, merge);
    if (h.outcome === null) throw new InternalError('the search worker answered a search without its outcome');
    return { outcome: h.outcome, after: h.after, afterCut: h.afterCut };
  }

  /**
   * Runs `work` in the worker's after step with no search before it, under the same watchdog:
   * past --max-time, a model thread that has not moved is the same one-line ScenarioError as in a
   * search, and work that still moves is ended as one that did not finish. `what`: a replay's
   * recording (one execution of a token's schedule, or two for a fix's confirmation), or a
   * shard's share of a search (a result file cannot say where a search was ended from outside,
   * so such a shard is an error, not a cut). `signal` aborts it: SearchInterrupted.
   */
  async replay<R>(req: SearchRequest, work: unknown, signal?: AbortSignal, what: HostedWork = 'replay'): Promise<R> {
    const h = await this.run<R>(req, work, what, signal);
    if (h.after === null) throw new InternalError(`the search worker answered a ${what} without its result`);
    return h.after;
  }

  private run<R>(req: SearchRequest, after: unknown, what: HostedWork | 'search', signal?: AbortSignal, merge?: EntryMerge): Promise<{ outcome: SearchOutcome | null; after: R | null; afterCut: boolean }> {
    const search = what === 'search';
    if (req.source === null) throw new InternalError('a search without a module source cannot run in the search worker');
    if (signal?.aborted) return Promise.reject(this.interrupted(performance.now(), null));
    this.meter.reset();
    const worker = this.start();
    const id = this.nextId++;
    let started = performance.now();
    // the search's outcome once it has ended and the after step runs
    let found: SearchOutcome | null = null;
    const task: SearchTask = {
      id,
      source: req.source,
      variant: req.variant,
      params: req.params,
      strategy: req.strategy,
      ...(req.strategyOptions ? { strategyOptions: req.strategyOptions } : {}),
      limits: req.limits,
      target: req.target,
      search,
      merge: merge ?? null,
      after: after ?? null,
    };
    return new Promise((resolve, reject) => {
      const timers: NodeJS.Timeout[] = [];
      const settle = (f: () => void): void => {
        for (const t of timers) clearTimeout(t);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        signal?.removeEventListener('abort', onAbort);
        f();
      };
      const onMessage = (a: SearchAnswer<R>): void => {
        if (a.id !== id) return;
        if (a.kind === 'started') return watch();
        if (a.kind === 'searched') return void (found = a.outcome);
        const answer = a;
        settle(() => (answer.kind === 'done' ? resolve({ outcome: answer.outcome, after: answer.after, afterCut: false }) : reject(rebuild(answer))));
      };
      const onError = (e: unknown): void => {
        this.worker = null;
        settle(() => reject(new InternalError(`the search worker failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)));
      };
      const onExit = (code: number): void => {
        this.worker = null;
        settle(() => reject(new InternalError(`the search worker exited with code ${code}`)));
      };
      const onAbort = (): void => {
        const e = this.interrupted(started, found);
        this.end();
        settle(() => reject(e));
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      signal?.addEventListener('abort', onAbort, { once: true });
      let before: { busy: LaneWatch[]; activity: number } | null = null;
      const mark = (): { busy: LaneWatch[]; activity: number } => ({ busy: this.meter.busy(), activity: this.meter.activity() });
      // why from `started`: a worker's start (tsx, the scenario's modules) is no part of the search
      const watch = (): void => {
        started = performance.now();
        timers.push(setTimeout(() => void (before = mark()), req.limits.timeMsMax + STOP_MARKS_MS[0]));
        timers.push(
          setTimeout(() => {
            const now = mark();
            const stuck = before !== null && now.activity === before.activity ? now.busy.find((w) => before!.busy.some((b) => sameSpot(b, w))) : undefined;
            const totals = this.meter.totals();
            const searched = found;
            this.end();
            settle(() => {
              if (stuck) reject(stuckError(req, stuck, what === 'shard' ? 'search' : !search ? 'replay' : searched !== null ? 'after' : 'search'));
              else if (what === 'shard') reject(new ScenarioError(`${req.scenario.id}/${req.variant}: the shard's search did not stop within --max-time ${req.limits.timeMsMax / 1000} s, though its threads still moved; no shard result was written`));
              else if (!search) reject(new ScenarioError(`${req.scenario.id}/${req.variant}: the replay did not end within --max-time ${req.limits.timeMsMax / 1000} s, though its threads still moved`));
              else if (searched !== null) resolve({ outcome: searched, after: null, afterCut: true });
              else resolve({ outcome: { verdict: timeCut(req, totals, performance.now() - started), executionsByPreemptions: null }, after: null, afterCut: false });
            });
          }, req.limits.timeMsMax + STOP_MARKS_MS[1]),
        );
      };
      worker.postMessage(task);
    });
  }

  private interrupted(started: number, found: SearchOutcome | null): SearchInterrupted {
    const t = this.meter.totals();
    return new SearchInterrupted({ executions: t.executions, steps: t.steps, timeMs: performance.now() - started }, found);
  }
}

function sameSpot(a: LaneWatch, b: LaneWatch): boolean {
  return a.lane === b.lane && a.phase === b.phase && a.thread === b.thread && a.step === b.step;
}

function timeCut(req: SearchRequest, totals: { executions: number; steps: number }, timeMs: number): Verdict {
  const s = req.limits.timeMsMax;
  return {
    kind: 'incomplete',
    strategy: req.strategy,
    cutBy: [{ limit: 'time', flag: '--max-time', value: s, detail: `stopped after ${(s / 1000).toFixed(1)} s with schedules left to explore` }],
    stats: { executions: totals.executions, executionsAbandoned: 0, steps: totals.steps, executionsViolated: 0, executionsCut: 0, timeMs },
  };
}

/**
 * The model error for a thread that never yielded, named with its last step's kernel label;
 * `during`: the search, the after step (which replays other schedules than the search's), or a
 * replay of a token (no search at all).
 */
function stuckError(req: SearchRequest, w: LaneWatch, during: 'search' | 'after' | 'replay'): ScenarioError {
  const variant = variantOf(req.scenario, req.variant);
  const names = Object.keys(variant.threads);
  const who = (t: number): string => `${letterOf(t)} (${names[t] ?? `thread ${t}`})`;
  const limit = `--max-time ${req.limits.timeMsMax / 1000} s`;
  const where = `${req.scenario.id}/${req.variant}${during === 'after' ? ', after its search (replaying schedules for the report)' : during === 'replay' ? ", replaying the token's schedule" : ''}`;
  const fix = 'every loop in a thread must yield an op (yield* a model helper) on each turn';
  if (w.phase === PHASE.begin) {
    if (w.thread < 0) return new ScenarioError(`${where}: setup() did not return within ${limit}`);
    return new ScenarioError(`${where}: ${who(w.thread)} did not reach its first op within ${limit}: its code loops without yielding; ${fix}`);
  }
  const label = labelAt(req, w);
  const step = `step ${w.step}${label === null ? '' : ` (${label})`}`;
  if (w.phase === PHASE.checks) {
    return new ScenarioError(`${where}: after ${step} of ${who(w.thread)}, an invariant or an op's enabled() did not return within ${limit}`);
  }
  return new ScenarioError(`${where}: ${who(w.thread)} did not yield within ${limit}: ${step} or its code after it loops without yielding; ${fix}`);
}

/** The label of the op that step `w.step` ran, by replaying the steps before it (they all returned). */
function labelAt(req: SearchRequest, w: LaneWatch): string | null {
  if (w.schedule.length < w.step - 1) return null;
  let label: string | null = null;
  try {
    const runner = new ExecutionRunner(req.scenario, variantOf(req.scenario, req.variant), req.params, req.limits);
    runner.run({
      choose: (p) => {
        if (p.step === w.step - 1) {
          label = p.pending[w.thread]?.label ?? null;
          return ABANDON;
        }
        const t = w.schedule[p.step];
        return t !== undefined && p.enabled.includes(t) ? t : ABANDON;
      },
    });
  } catch {
    return null;
  }
  return label;
}

function rebuild(a: SearchAnswer): Error {
  if (a.kind !== 'error') return new InternalError(`not an error answer: ${a.kind}`);
  if (a.error === 'usage') return new UsageError(a.message);
  if (a.error === 'scenario') return new ScenarioError(a.message);
  return new InternalError(`in the search worker: ${a.message}`);
}

/**
 * Section 5: what the invariant observers cost. S1 fixed (mmu-notifier-unregister-release) at
 * notifiers 1–4 with its invariants as declared (one observer per `observes` footprint), with none,
 * and under the whole-world observer (what an invariant without `observes` gets; capped, it grew
 * 64x–1,053x over none before footprints); then S3 fixed at `--param unregister=1`, which the
 * whole-world observer could not finish. Counts are what the tests pin
 * (test/bench/observers.test.ts); times are reported, never asserted.
 */
import type { Scenario, Variant } from '../src/runtime/scenario';
import { checkVariant } from '../src/search/variant';
import type { Verdict } from '../src/search/verdict';
import { count, renderTable } from './table';

export interface ObserverRow {
  readonly scenario: string;
  readonly params: string;
  readonly declared: { readonly verdict: string; readonly executions: number; readonly ms: number };
  readonly none: number;
  /** Null when not run (quick mode, or a size the cap would cut). */
  readonly wholeWorld: { readonly verdict: string; readonly executions: number } | null;
}

function withInvariants(s: Scenario, v: Variant<object>, invariants: Variant<object>['invariants']): Scenario {
  return { ...s, variants: { v: { ...v, ...(invariants === undefined ? {} : { invariants }) } } };
}

function run(s: Scenario, params: Record<string, number>, timeMsMax: number): { verdict: Verdict; ms: number } {
  const t = performance.now();
  const verdict = checkVariant(s, 'v', { params, limits: { timeMsMax } });
  return { verdict, ms: performance.now() - t };
}

/** One row: the variant with its invariants as declared, with none, and (unless capped out) whole-world. */
export function measureObservers(s: Scenario, variantName: string, params: Record<string, number>, wholeWorldMsMax: number | null): ObserverRow {
  const v = s.variants[variantName]!;
  const declared = run(withInvariants(s, v, v.invariants), params, 600_000);
  const none = run(withInvariants(s, v, []), params, 600_000);
  let wholeWorld: ObserverRow['wholeWorld'] = null;
  if (wholeWorldMsMax !== null) {
    const stripped = (v.invariants ?? []).map(({ observes: _observes, ...rest }) => rest);
    const w = run(withInvariants(s, v, stripped), params, wholeWorldMsMax).verdict;
    wholeWorld = { verdict: w.kind, executions: w.stats.executions };
  }
  return {
    scenario: `${s.id}/${variantName}`,
    params: Object.entries(params).map(([k, x]) => `${k}=${x}`).join(' '),
    declared: { verdict: declared.verdict.kind, executions: declared.verdict.stats.executions, ms: declared.ms },
    none: none.verdict.stats.executions,
    wholeWorld,
  };
}

export function observersSection(scenarios: readonly Scenario[], quick: boolean, progress: (s: string) => void): string {
  const s1 = scenarios.find((s) => s.id === 'mmu-notifier-unregister-release');
  const s3 = scenarios.find((s) => s.id === 'mmu-notifier-release-before-unlink');
  const rows: ObserverRow[] = [];
  // why a cap on whole-world only: it is the reference, and at notifiers=3 it takes half a minute
  const wholeMs = quick ? null : 20_000;
  if (s1) {
    for (const n of quick ? [1, 2] : [1, 2, 3, 4]) {
      progress(`observers S1 notifiers=${n}`);
      rows.push(measureObservers(s1, 'fixed', { notifiers: n }, n <= 2 ? wholeMs : null));
    }
  }
  if (s3) {
    progress('observers S3 unregister=1');
    rows.push(measureObservers(s3, 'fixed', { unregister: 1 }, quick ? null : 5_000));
  }
  const table = renderTable(
    [
      { title: 'variant', align: 'left' },
      { title: 'params', align: 'left' },
      { title: 'verdict', align: 'left' },
      { title: 'executions', align: 'right' },
      { title: 'no invariants', align: 'right' },
      { title: 'ratio', align: 'right' },
      { title: 'time', align: 'right' },
      { title: 'whole-world observer', align: 'right' },
    ],
    rows.map((r) => [
      r.scenario,
      r.params,
      r.declared.verdict,
      count(r.declared.executions),
      count(r.none),
      `${(r.declared.executions / r.none).toFixed(2)}x`,
      `${(r.declared.ms / 1000).toFixed(2)} s`,
      r.wholeWorld === null ? 'not run' : `${r.wholeWorld.verdict} ${count(r.wholeWorld.executions)}`,
    ]),
  );
  return `${table}\n(executions: the invariants as declared; no invariants: the same threads with none; whole-world: every invariant without its observes, capped)`;
}

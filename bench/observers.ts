/**
 * Section 5: what the invariant observers cost. S1 fixed (mmu-notifier-unregister-release) at
 * notifiers 1–4 with its invariants as declared (one observer per `observes` footprint), with none,
 * and under the whole-world observer (what an invariant without `observes` gets; capped, it grew
 * 64x–1,053x over none before footprints); then S3 fixed at `--param unregister=1`, which the
 * whole-world observer could not finish; then every variant of the four scenarios (S8–S11) whose
 * invariants read bare world fields until they declared what they observe, before (whole-world)
 * and after. Counts are what the tests pin (test/bench/observers.test.ts and the scenarios' own
 * tests); times are reported, never asserted.
 */
import { expectedChecks, type Expectation, type Scenario, type Variant } from '../src/runtime/scenario';
import { isBuiltinCheck } from '../src/runtime/check-id';
import { paramsFor } from '../src/search/variant';
import { DEFAULT_LIMITS, explore } from '../src/search/explorer';
import { DfsStrategy } from '../src/search/strategies/dfs';
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
  const kept = invariants ?? v.invariants ?? [];
  // why the expectation goes with the invariants it names: it would be a usage error; run() still
  // searches for what the variant declares (the explorer's target), so the row's search is the same
  const names = expectedChecks(v.expect).every((c) => isBuiltinCheck(c) || kept.some((i) => i.id === c) || (v.finalState ?? []).some((i) => i.id === c));
  const { expect: _expect, ...rest } = v;
  return { ...s, variants: { v: { ...(names ? v : rest), ...(invariants === undefined ? {} : { invariants }) } } };
}

function run(s: Scenario, target: Expectation, params: Record<string, number>, timeMsMax: number): { verdict: Verdict; ms: number } {
  const t = performance.now();
  const verdict = explore({
    scenario: s,
    variant: s.variants.v!,
    params: paramsFor(s, params),
    strategy: new DfsStrategy(),
    limits: { ...DEFAULT_LIMITS, timeMsMax },
    target,
  });
  return { verdict, ms: performance.now() - t };
}

/** One row: the variant with its invariants as declared, with none, and (unless capped out) whole-world. */
export function measureObservers(s: Scenario, variantName: string, params: Record<string, number>, wholeWorldMsMax: number | null): ObserverRow {
  const v = s.variants[variantName]!;
  const target = v.expect ?? 'holds';
  const declared = run(withInvariants(s, v, v.invariants), target, params, 600_000);
  const none = run(withInvariants(s, v, []), target, params, 600_000);
  let wholeWorld: ObserverRow['wholeWorld'] = null;
  if (wholeWorldMsMax !== null) {
    const stripped = (v.invariants ?? []).map(({ observes: _observes, ...rest }) => rest);
    const w = run(withInvariants(s, v, stripped), target, params, wholeWorldMsMax).verdict;
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

/** S8–S11: converted from the whole-world observer to declared footprints (issue 15 item 4). */
export const CONVERTED = [
  'folio-move-anon-rmap-vs-referenced',
  'khugepaged-collapse-vs-vma-locked-fault',
  'thp-split-vs-tail-put-page',
  'batched-tlb-flush-vs-mprotect',
] as const;

/**
 * What each variant explored before its invariants declared what they observe (the counts its
 * test pinned at 67ed816, under the whole-world observer). A record, not a measurement: that model
 * is gone, and the whole-world column below measures today's model, whose ghost-recording steps
 * write more than the old ones did.
 */
export const BEFORE: Readonly<Record<string, number>> = {
  'folio-move-anon-rmap-vs-referenced/buggy': 222,
  'folio-move-anon-rmap-vs-referenced/fixed': 937,
  'folio-move-anon-rmap-vs-referenced/sleeping-buggy': 216,
  'folio-move-anon-rmap-vs-referenced/sleeping-fixed': 4412,
  'khugepaged-collapse-vs-vma-locked-fault/buggy': 246,
  'khugepaged-collapse-vs-vma-locked-fault/fixed': 779,
  'thp-split-vs-tail-put-page/buggy': 188,
  'thp-split-vs-tail-put-page/fixed': 66_011,
  'batched-tlb-flush-vs-mprotect/buggy': 2,
  'batched-tlb-flush-vs-mprotect/fixed': 33,
};

/** Every variant of the converted scenarios, at their default parameters. */
export function measureConverted(scenarios: readonly Scenario[], wholeWorldMsMax: number | null, progress: (s: string) => void = () => {}): ObserverRow[] {
  const rows: ObserverRow[] = [];
  for (const id of CONVERTED) {
    const s = scenarios.find((x) => x.id === id);
    if (s === undefined) continue;
    for (const v of Object.keys(s.variants)) {
      progress(`observers ${id}/${v}`);
      rows.push(measureObservers(s, v, s.params, wholeWorldMsMax));
    }
  }
  return rows;
}

function renderConverted(rows: readonly ObserverRow[]): string {
  const table = renderTable(
    [
      { title: 'variant', align: 'left' },
      { title: 'verdict', align: 'left' },
      { title: 'executions', align: 'right' },
      { title: 'before', align: 'right' },
      { title: 'whole-world observer', align: 'right' },
      { title: 'no invariants', align: 'right' },
      { title: 'time', align: 'right' },
    ],
    rows.map((r) => [
      r.scenario,
      r.declared.verdict,
      count(r.declared.executions),
      BEFORE[r.scenario] === undefined ? '?' : count(BEFORE[r.scenario]!),
      r.wholeWorld === null ? 'not run' : `${r.wholeWorld.verdict} ${count(r.wholeWorld.executions)}`,
      r.declared.verdict === 'holds' ? count(r.none) : '—',
      `${(r.declared.ms / 1000).toFixed(2)} s`,
    ]),
  );
  return `${table}\n(S8–S11, every variant at its default parameters: executions with the invariants' declared footprints; before: the count pinned at 67ed816, when these invariants read bare world fields and got the whole-world observer; whole-world: today's model with every invariant's observes removed, capped; no invariants: only for variants that hold, since a violated one stops at its first violation)`;
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
  const converted = renderConverted(measureConverted(scenarios, quick ? null : 20_000, progress));
  return `${table}\n(executions: the invariants as declared; no invariants: the same threads with none; whole-world: every invariant without its observes, capped)\n\n${converted}`;
}

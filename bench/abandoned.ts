/**
 * Section 7 of `npm run bench`: abandoned (sleep-set-blocked) executions of `dfs` by cause
 * (DfsStrategy.abandonedBy, src/search/strategies/dfs.ts), on programs whose threads wait: the
 * random blocking programs of the tests with and without their whole-world invariant, random RCU
 * programs (keyed and opaque waits), programs of models/' waiting primitives, programs that
 * choose(n), the random lock programs of the dfs differential test, every scenario variant, and the benchmark families.
 * Each search runs to its end (past violations), so a row counts every class once.
 */
import seedrandom from 'seedrandom';
import { ExecutionRunner } from '../src/runtime/execution';
import type { Scenario } from '../src/runtime/scenario';
import { observedBy } from '../src/search/dpor/dependency';
import { ABANDON_CAUSES, DfsStrategy, type AbandonCause } from '../src/search/strategies/dfs';
import { randomBlockingProgram } from '../test/src/search/blocking-programs';
import { randomProgram } from '../test/src/search/random-programs';
import { randomRcuProgram } from '../test/src/search/rcu-programs';
import { randomChoosingProgram } from '../test/src/search/choose-programs';
import { randomModelProgram } from '../test/src/search/model-programs';
import type { BenchProgram } from './programs';
import { count, renderTable, seconds, type Column } from './table';

export interface AbandonedRow {
  readonly sample: string;
  readonly searches: number;
  /** Executions counted (run to their end), over every search of the row. */
  readonly executions: number;
  readonly abandoned: number;
  readonly by: Readonly<Record<AbandonCause, number>>;
  /** Searches stopped by the per-search execution cap (their counts are lower bounds). */
  readonly capped: number;
  readonly timeMs: number;
}

interface Search {
  readonly scenario: Scenario;
  readonly variant: string;
  readonly params: Scenario['params'];
}

/** Runs dfs over every schedule of each search (at most `executionsMax` counted each). */
function measure(sample: string, searches: readonly Search[], executionsMax: number): AbandonedRow {
  const by = Object.fromEntries(ABANDON_CAUSES.map((c) => [c, 0])) as Record<AbandonCause, number>;
  let executions = 0;
  let abandoned = 0;
  let capped = 0;
  const started = performance.now();
  for (const s of searches) {
    const variant = s.scenario.variants[s.variant]!;
    const runner = new ExecutionRunner(s.scenario, variant, s.params);
    const dfs = new DfsStrategy();
    dfs.prepare({ threads: runner.threadCount, invariants: variant.invariants?.length ?? 0, observed: observedBy(variant.invariants) });
    let counted = 0;
    while (dfs.beginExecution()) {
      if (counted >= executionsMax) {
        capped++;
        break;
      }
      const outcome = runner.run(dfs);
      if (dfs.endExecution(outcome) === 'redundant' || outcome.status === 'abandoned') abandoned++;
      else counted++;
    }
    executions += counted;
    for (const [c, n] of Object.entries(dfs.abandonedBy())) by[c as AbandonCause] += n;
  }
  return { sample, searches: searches.length, executions, abandoned, by, capped, timeMs: performance.now() - started };
}

function generated(make: (rng: () => number, i: number) => Scenario, seed: string, n: number): Search[] {
  const rng = seedrandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const scenario = make(rng, i);
    return { scenario, variant: 'main', params: scenario.params };
  });
}

export function measureAbandoned(scenarios: readonly Scenario[], programs: readonly BenchProgram[], quick: boolean, progress: (s: string) => void): AbandonedRow[] {
  const n = quick ? 300 : 3_000;
  const variantCap = quick ? 2_000 : 20_000;
  const rows: AbandonedRow[] = [];
  progress('abandoned: blocking programs');
  rows.push(measure(`random blocking programs (seed 'blocking')`, generated(randomBlockingProgram, 'blocking', n), Infinity));
  progress('abandoned: blocking programs, no invariant');
  rows.push(measure(`  the same, no invariant`, generated((rng, i) => randomBlockingProgram(rng, i, { invariant: false }), 'blocking', n), Infinity));
  progress('abandoned: blocking programs, no invariant, no enabledAt');
  rows.push(measure(`  the same, waits without enabledAt`, generated((rng, i) => randomBlockingProgram(rng, i, { invariant: false, keyed: false }), 'blocking', n), Infinity));
  progress('abandoned: blocking programs, no invariant, waits on copies');
  rows.push(measure(`  the same, waits on copies (awaitUntil, enabledOn)`, generated((rng, i) => randomBlockingProgram(rng, i, { invariant: false, copies: true }), 'blocking', n), Infinity));
  progress('abandoned: blocking programs, waits over both cells');
  rows.push(measure(`  half the waits over both cells, opaque`, generated((rng, i) => randomBlockingProgram(rng, i, { invariant: false, keyed: false, several: true }), 'blocking', n), Infinity));
  rows.push(measure(`  the same on copies (awaitUntil)`, generated((rng, i) => randomBlockingProgram(rng, i, { invariant: false, copies: true, several: true }), 'blocking', n), Infinity));
  progress('abandoned: RCU programs');
  rows.push(measure(`random RCU programs (seed 'rcu')`, generated((rng) => randomRcuProgram(rng), 'rcu', n), Infinity));
  rows.push(measure(`  the same, synchronize_rcu's wait opaque`, generated((rng) => randomRcuProgram(rng, { opaque: true }), 'rcu', n), Infinity));
  progress('abandoned: programs of models/ primitives');
  rows.push(measure(`random programs of models/' waiting primitives (seed 'models')`, generated((rng) => randomModelProgram(rng), 'models', n), Infinity));
  progress('abandoned: programs that choose');
  rows.push(measure(`random programs that choose (seed 'choose'), awaits on copies`, generated((rng) => randomChoosingProgram(rng, { copies: true }), 'choose', n), Infinity));
  rows.push(measure(`  the same, awaits opaque`, generated((rng) => randomChoosingProgram(rng), 'choose', n), Infinity));
  progress('abandoned: lock programs');
  rows.push(measure(`random lock programs (seed 'weft-dpor-differential-1')`, generated(randomProgram, 'weft-dpor-differential-1', n), Infinity));
  progress('abandoned: scenarios');
  const variants = scenarios.flatMap((s) => Object.keys(s.variants).map((variant) => ({ scenario: s, variant, params: s.params })));
  rows.push(measure('scenario variants, default parameters', variants, variantCap));
  progress('abandoned: benchmark families');
  const families = programs.filter((p) => p.expected <= (quick ? 1_000 : 20_000)).map((p) => ({ scenario: p.build(p.params), variant: 'main', params: p.params }));
  rows.push(measure('benchmark families', families, Infinity));
  return rows;
}

const SHORT: Readonly<Record<AbandonCause, string>> = {
  'unobserved-runnability': 'unobserved',
  'pending-deadlocked': 'deadlocked',
  'pending-stopped': 'stopped',
  'presumed-acquisition': 'presumed',
  'known-runnable': 'known',
  'sleep-set': 'sleep-set',
  'partition-sleeper': 'partition',
  'run-again-for-copies': 'run again',
};

export function renderAbandoned(rows: readonly AbandonedRow[]): string {
  const columns: Column[] = [
    { title: 'sample', align: 'left' },
    { title: 'searches', align: 'right' },
    { title: 'executions', align: 'right' },
    { title: 'abandoned', align: 'right' },
    ...ABANDON_CAUSES.map((c): Column => ({ title: SHORT[c], align: 'right' })),
    { title: 'time', align: 'right' },
  ];
  const cells = rows.map((r) => [
    r.sample,
    count(r.searches),
    r.capped > 0 ? `≥${count(r.executions)}` : count(r.executions),
    count(r.abandoned),
    ...ABANDON_CAUSES.map((c) => count(r.by[c])),
    seconds(r.timeMs),
  ]);
  const capped = rows.filter((r) => r.capped > 0).map((r) => `${r.sample.trim()}: ${r.capped} searches stopped at the execution cap`);
  return [
    renderTable(columns, cells),
    '',
    'Causes (dfs.ts, AbandonCause): the last wakeup-tree branch of the execution that proved not runnable was',
    'a reversal of a blocking step whose runnability there the log had not recorded (unobserved), of a step',
    'still blocked at a deadlock (deadlocked) or pending when its execution stopped (stopped), a point',
    'presumed runnable (presumed), or one the log said was runnable (known: a model breaking the `enabled`',
    'contract); sleep-set: no branch proved not runnable; partition: a given sleeper could run first;',
    'run again: the execution in which copying began after its first step, run again to decide its reversals',
    'on copies (at most one a search).',
    ...capped,
  ].join('\n');
}

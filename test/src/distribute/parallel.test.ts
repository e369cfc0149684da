import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarios } from '../../../scenarios/index';
import { checkVariant } from '../../../src/search/variant';
import { DEFAULT_LIMITS, type SearchLimits } from '../../../src/search/explorer';
import { mergeShardFiles } from '../../../src/distribute/merge';
import type { ShardFile } from '../../../src/distribute/shard-file';
import { exploreInProcess, searchVariant, type SearchRequest } from '../../../src/distribute/parallel';
import { PARTITION_RULE } from '../../../src/distribute/partition';
import { searchShard } from '../../../src/distribute/shard';
import { makeStrategy } from '../../../src/search/strategies';
import type { Verdict } from '../../../src/search/verdict';
import { WorkerPool } from '../../../src/distribute/worker-pool';
import { enumerate } from '../search/mazurkiewicz';
import writers from '../../fixtures/search/three-writers';

const ID = 'batched-tlb-flush-vs-mprotect';
const scenario = scenarios.find((s) => s.scenario.id === ID)!.scenario;

function request(variant: string, strategy: string, limits: Partial<SearchLimits> = {}): SearchRequest {
  const v = scenario.variants[variant]!;
  return {
    scenario,
    source: scenarios.find((s) => s.scenario.id === ID)!.source!,
    variant,
    params: scenario.params,
    strategy,
    limits: { ...DEFAULT_LIMITS, ...limits },
    target: v.expect ?? 'holds',
  };
}

/** The verdict without its wall time, which is all that may differ between runs. */
function untimed(v: Verdict): unknown {
  return { ...v, stats: { ...v.stats, timeMs: 0 } };
}

// Three workers in all: jobs 2 is this thread and one worker, jobs 3 this thread and two.
let one: WorkerPool;
let two: WorkerPool;
beforeAll(() => {
  one = new WorkerPool(1);
  two = new WorkerPool(2);
});
afterAll(() => {
  one.close();
  two.close();
});

/** --jobs 1, 2, 3 and shards 0/3, 1/3, 2/3 merged (through their JSON), every search split. */
function everyWay(req: SearchRequest): { name: string; verdict: Verdict }[] {
  const split = { smallSearchExecutions: 0 };
  const out = [
    { name: 'jobs 1', verdict: searchVariant(req, split) },
    { name: 'jobs 2', verdict: searchVariant(req, { ...split, pool: () => one }) },
    { name: 'jobs 3', verdict: searchVariant(req, { ...split, pool: () => two }) },
  ];
  const files = [0, 1, 2].map((index) => {
    const file: ShardFile = {
      format: 'weft-shard',
      version: 1,
      shard: { index, count: 3 },
      strategy: req.strategy,
      limits: req.limits,
      rule: PARTITION_RULE,
      results: [{ scenario: ID, variant: req.variant, params: req.params, target: req.target, search: searchShard(req, { index, count: 3 }, split) }],
    };
    return { name: `shard-${index}.json`, content: JSON.parse(JSON.stringify(file)) as unknown };
  });
  const merged = mergeShardFiles(files, (entry, partition, executionsMax) =>
    exploreInProcess({ ...req, variant: entry.variant }, scenario.variants[entry.variant]!, partition, executionsMax),
  );
  out.push({ name: 'shards merged', verdict: merged[0]!.verdict });
  return out;
}

describe.each(['exhaustive', 'dfs'])('split search under %s: the same result for every job count and shard split', (strategy) => {
  it('a variant that holds: identical results, and the count of one unsplit search', () => {
    const req = request('fixed', strategy);
    const results = everyWay(req);
    const unsplit = checkVariant(scenario, 'fixed', { strategy: makeStrategy(strategy) });
    expect(unsplit.kind).toBe('holds');
    for (const r of results) {
      expect(untimed(r.verdict), r.name).toEqual(untimed(results[0]!.verdict));
      expect(r.verdict.kind, r.name).toBe('holds');
      expect(r.verdict.stats.executions, r.name).toBe(unsplit.stats.executions);
    }
  });

  it('a violated variant: identical results, the first violation in partition order', () => {
    const results = everyWay(request('buggy', strategy));
    expect(results[0]!.verdict.kind).toBe('violated');
    for (const r of results) expect(untimed(r.verdict), r.name).toEqual(untimed(results[0]!.verdict));
  });

  it('a search cut by --max-executions is incomplete, with the same count every way', () => {
    const results = everyWay(request('fixed', strategy, { executionsMax: 7 }));
    for (const r of results) {
      expect(untimed(r.verdict), r.name).toEqual(untimed(results[0]!.verdict));
      expect(r.verdict.kind, r.name).toBe('incomplete');
      expect(r.verdict.stats.executions, r.name).toBe(7);
    }
  });
});

describe('split dfs against the oracle', () => {
  it('runs one execution per Mazurkiewicz class of plain enumeration, every way', () => {
    const { classes } = enumerate(scenario, 'fixed');
    for (const r of everyWay(request('fixed', 'dfs'))) expect(r.verdict.stats.executions, r.name).toBe(classes);
  });
});

describe('small searches', () => {
  it('run whole, exactly as checkVariant does', () => {
    const v = searchVariant(request('fixed', 'dfs'), { pool: () => one });
    expect(untimed(v)).toEqual(untimed(checkVariant(scenario, 'fixed')));
  });
});

describe('taking back a queued task', () => {
  it('this thread explores a task its worker has not started; the worker answers taken', () => {
    // why a fresh pool: its worker is still loading when the tasks are posted, so both wait
    const pool = new WorkerPool(1);
    try {
      const req = request('fixed', 'dfs');
      const job = (index: number) => ({
        strategy: 'dfs',
        limits: req.limits,
        target: req.target,
        partition: { index, prefix: [], sleeping: [] },
      });
      const tasks = [0, 1].map((index) => ({ source: req.source!, variant: 'fixed', params: req.params, job: job(index), deadlineMs: Date.now() + 60_000 }));
      let posted = 0;
      const stolen: number[] = [];
      const answered: string[] = [];
      pool.run(
        () => tasks[posted++] ?? null,
        (a) => answered.push(a.kind === 'verdict' ? `verdict ${a.partition}` : a.kind),
        () => {
          if (stolen.length > 0) return false;
          const t = pool.steal();
          if (t === null) return false;
          stolen.push(t.job.partition.index);
          return true;
        },
      );
      expect(stolen).toEqual([0]);
      expect(answered).toEqual(['verdict 1']);
      expect(pool.steal()).toBeNull();
    } finally {
      pool.close();
    }
  });
});

describe('the audit of a split search', () => {
  // Each audited execution runs setup more than once (the determinism audit compares two), so
  // setups counted beyond the executions run measure how many were audited.
  function setupsBeyondRuns(auditExecutions: number): number {
    let setups = 0;
    const counting = { ...writers, setup: (p: Record<string, number>) => (setups++, writers.setup(p)) };
    const v = searchVariant(
      { scenario: counting, source: null, variant: 'fixed', params: {}, strategy: 'dfs', limits: { ...DEFAULT_LIMITS, auditExecutions }, target: 'holds' },
      {},
    );
    expect(v.kind).toBe('holds');
    const plain = setups;
    setups = 0;
    searchVariant({ scenario: counting, source: null, variant: 'fixed', params: {}, strategy: 'dfs', limits: { ...DEFAULT_LIMITS, auditExecutions: 0 }, target: 'holds' }, {});
    return plain - setups;
  }

  it('audits the first executions of the search once: the trial counts them, its partitions do not start again', () => {
    const extra = setupsBeyondRuns(50);
    expect(extra).toBeGreaterThan(0);
    // why 3 a run: the 50 audited executions each run setup at most three times beyond the one
    // run of an unaudited execution; with every partition auditing its own first 50, it was ~40x
    expect(extra).toBeLessThanOrEqual(50 * 3);
  });
});

import { describe, expect, it } from 'vitest';
import { scenarios } from '../../../scenarios/index';
import { DEFAULT_LIMITS } from '../../../src/search/explorer';
import { mergeShardFiles, PartitionMerger } from '../../../src/distribute/merge';
import { parseShard, type ShardFile } from '../../../src/distribute/shard-file';
import type { Verdict } from '../../../src/search/verdict';
import { PARTITION_RULE } from '../../../src/distribute/partition';
import { searchShard } from '../../../src/distribute/shard';
import { UsageError } from '../../../src/runtime/errors';

const ID = 'batched-tlb-flush-vs-mprotect';
const scenario = scenarios.find((s) => s.scenario.id === ID)!.scenario;

function shardFile(index: number, count: number, variant: string, strategy = 'exhaustive'): ShardFile {
  const target = scenario.variants[variant]!.expect ?? 'holds';
  const req = { scenario, source: null, variant, params: scenario.params, strategy, limits: DEFAULT_LIMITS, target };
  return {
    format: 'weft-shard',
    version: 1,
    shard: { index, count },
    strategy,
    limits: DEFAULT_LIMITS,
    rule: PARTITION_RULE,
    results: [{ scenario: ID, variant, params: scenario.params, target, search: searchShard(req, { index, count }, { smallSearchExecutions: 0 }) }],
  };
}

const noRerun = () => {
  throw new Error('no rerun expected');
};

describe('--shard i/n', () => {
  it('parses i/n with 0 ≤ i < n and rejects the rest', () => {
    expect(parseShard('2/5')).toEqual({ index: 2, count: 5 });
    for (const bad of ['5/5', '1/0', '-1/2', 'a/b', '1', '']) expect(() => parseShard(bad), bad).toThrow(UsageError);
  });

  it('takes the partitions p with p mod n = i, and together the shards take each once', () => {
    const shards = [0, 1, 2].map((i) => shardFile(i, 3, 'fixed'));
    const seen = shards.flatMap((s) => s.results[0]!.search.parts.map((p) => p.partition.index));
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(shards[0]!.results[0]!.search.partitions).keys()]);
    shards.forEach((s, i) => {
      for (const p of s.results[0]!.search.parts) expect(p.partition.index % 3).toBe(i);
    });
  });

  it('a shard stops after its own first target violation', () => {
    const s = shardFile(0, 1, 'buggy').results[0]!.search;
    expect(s.parts[s.parts.length - 1]!.verdict.kind).toBe('violated');
    expect(s.parts.length).toBeLessThan(s.partitions);
  });
});

describe('merging shard files', () => {
  const files = (...shards: ShardFile[]) => shards.map((content, i) => ({ name: `f${i}.json`, content: content as unknown }));

  it('rejects missing, doubled and foreign shards, and files of different runs', () => {
    const [a, b] = [shardFile(0, 2, 'fixed'), shardFile(1, 2, 'fixed')];
    expect(mergeShardFiles(files(a, b), noRerun)[0]!.verdict.kind).toBe('holds');
    expect(() => mergeShardFiles(files(a), noRerun)).toThrow(/shard 1\/2 missing/);
    expect(() => mergeShardFiles(files(a, a, b), noRerun)).toThrow(/given twice/);
    expect(() => mergeShardFiles(files(a, shardFile(1, 3, 'fixed')), noRerun)).toThrow(/one of 2/);
    expect(() => mergeShardFiles(files(a, { ...b, limits: { ...b.limits, executionsMax: 5 } }), noRerun)).toThrow(/different run/);
    expect(() => mergeShardFiles([{ name: 'x.json', content: { hello: 1 } }], noRerun)).toThrow(/not a weft shard result/);
  });
});

describe('PartitionMerger: partitions read as one search run in partition order', () => {
  const stats = (executions: number) => ({ executions, executionsAbandoned: 0, steps: executions * 10, executionsViolated: 0, executionsCut: 0, timeMs: 0 });
  const holds = (n: number): Verdict => ({ kind: 'holds', strategy: 'dfs', stats: stats(n) });
  const violated = (n: number, check: string): Verdict => ({
    kind: 'violated',
    strategy: 'dfs',
    violations: [{ check, message: check, step: 1, thread: 0, fatal: true }],
    schedule: [0, 1],
    stats: { ...stats(n), executionsViolated: 1 },
  });

  it('adds counts, and the first partition with the target violation ends the search', () => {
    const m = new PartitionMerger('dfs', { violated: 'oops' }, 1000, 4);
    expect(m.add(holds(5), noRerun)).toBe(false);
    expect(m.add(violated(3, 'deadlock'), noRerun)).toBe(false);
    expect(m.add(violated(2, 'oops'), noRerun)).toBe(true);
    const v = m.result(0);
    expect(v.kind).toBe('violated');
    expect(v.stats.executions).toBe(10);
    if (v.kind === 'violated') expect(v.violations[0]!.check).toBe('oops');
  });

  it('falls back to the first other violation when the target never fires', () => {
    const m = new PartitionMerger('dfs', { violated: 'oops' }, 1000, 2);
    m.add(violated(3, 'deadlock'), noRerun);
    m.add(holds(4), noRerun);
    const v = m.result(0);
    expect(v.kind === 'violated' && v.violations[0]!.check).toBe('deadlock');
    expect(v.stats.executions).toBe(7);
  });

  it('shares one execution budget: a partition that ran past it is explored again with what was left', () => {
    const m = new PartitionMerger('dfs', 'holds', 10, 3);
    m.add(holds(6), noRerun);
    let asked = -1;
    const cut: Verdict = { kind: 'incomplete', strategy: 'dfs', cutBy: [{ limit: 'executions', flag: '--max-executions', value: 4, detail: 'cut' }], stats: stats(4) };
    expect(
      m.add(holds(9), (left) => {
        asked = left;
        return cut;
      }),
    ).toBe(true);
    expect(asked).toBe(4);
    const v = m.result(0);
    expect(v.kind).toBe('incomplete');
    expect(v.stats.executions).toBe(10);
  });

  it('a budget spent exactly cuts the search before the next partition', () => {
    const m = new PartitionMerger('dfs', 'holds', 10, 2);
    m.add(holds(10), noRerun);
    expect(m.cutIfSpent()).toBe(true);
    const v = m.result(0);
    expect(v.kind === 'incomplete' && v.cutBy.map((c) => c.flag)).toEqual(['--max-executions']);
  });

  it('holds only when every partition was added and none was cut', () => {
    const m = new PartitionMerger('dfs', 'holds', 100, 2);
    m.add(holds(1), noRerun);
    expect(() => m.result(0)).toThrow(/needs partition 1/);
    m.add(holds(2), noRerun);
    expect(m.result(0).kind).toBe('holds');
  });
});

/**
 * `dfs` counts: one execution per Mazurkiewicz trace on the benchmark programs of
 * shared/benchmarks.md (bench/programs.ts), with no abandoned (sleep-set-blocked) execution, and
 * the subtree interface that splits a search.
 */
import { describe, expect, it } from 'vitest';
import { indexer, independent, lastzero, mpat, mutexOrder, readers, twoWritersRead, writersReader, BENCH_LIMITS } from '../../../../bench/programs';
import { dependent } from '../../../../src/search/dpor/dependency';
import { DfsStrategy, type DfsOptions } from '../../../../src/search/strategies/dfs';
import { ExhaustiveStrategy } from '../../../../src/search/strategies/exhaustive';
import { explore } from '../../../../src/search/explorer';
import type { Strategy } from '../../../../src/search/strategy';
import { ExecutionRunner } from '../../../../src/runtime/execution';
import type { Op } from '../../../../src/runtime/op';
import type { Params, Scenario } from '../../../../src/runtime/scenario';
import { collect } from '../collect';

function search(s: Scenario, strategy: Strategy = new DfsStrategy()) {
  return explore({ scenario: s, variant: s.variants.main!, params: {}, strategy, limits: BENCH_LIMITS });
}

const cases: [string, (p: Params) => Scenario, Params, number][] = [
  ['readers', readers, { n: 2 }, 4],
  ['readers', readers, { n: 8 }, 256],
  ['lastzero', lastzero, { n: 1 }, 2],
  ['lastzero', lastzero, { n: 2 }, 5],
  ['lastzero', lastzero, { n: 3 }, 12],
  ['lastzero', lastzero, { n: 4 }, 28],
  ['lastzero', lastzero, { n: 5 }, 64],
  ['lastzero', lastzero, { n: 10 }, 3328],
  ['indexer', indexer, { n: 11 }, 1],
  ['indexer', indexer, { n: 12 }, 8],
  ['indexer', indexer, { n: 13 }, 64],
  ['writers-reader', writersReader, { w: 5 }, 720],
  ['two-writers-read', twoWritersRead, { n: 1 }, 4],
  ['two-writers-read', twoWritersRead, { n: 2 }, 14],
  ['two-writers-read', twoWritersRead, { n: 3 }, 50],
  ['two-writers-read', twoWritersRead, { n: 4 }, 182],
  ['mpat', mpat, { k: 4 }, 384],
  ['mutex-order', mutexOrder, { n: 4 }, 24],
  ['independent', independent, { k: 4, n: 5 }, 1],
];

describe('dfs explores one execution per Mazurkiewicz trace (shared/benchmarks.md)', () => {
  for (const [id, build, params, expected] of cases) {
    it(`${id}(${Object.values(params).join(', ')}) = ${expected}, none abandoned`, () => {
      const v = search(build(params));
      expect(v.kind).toBe('holds');
      expect(v.stats.executions).toBe(expected);
      expect(v.stats.executionsAbandoned).toBe(0);
    });
  }

  it('exhaustive, the oracle, runs every interleaving: k threads of n independent steps give (kn)!/(n!)^k', () => {
    const v = search(independent({ k: 3, n: 2 }), new ExhaustiveStrategy());
    expect(v.stats.executions).toBe(90);
  });

  it('each dfs execution is a different class, and together they are all the classes of plain enumeration', () => {
    const s = lastzero({ n: 3 });
    const dpor = collect(s, 'main', new DfsStrategy());
    const plain = collect(s, 'main', new ExhaustiveStrategy());
    expect(new Set(dpor.classes).size).toBe(dpor.classes.length);
    expect([...dpor.classes].sort()).toEqual([...new Set(plain.classes)].sort());
  });
});

describe('dfs subtrees ({ prefix, sleeping }): the partitions of the top of the tree cover each class once', () => {
  /** The first choice point's enabled threads and their ops, from one serial run. */
  function rootChildren(s: Scenario) {
    const runner = new ExecutionRunner(s, s.variants.main!, s.params);
    let enabled: number[] = [];
    let ops: (Op | null)[] = [];
    runner.run({
      choose: (p) => {
        if (p.step === 0) {
          enabled = [...p.enabled];
          ops = [...p.pending];
        }
        return p.enabled[0]!;
      },
    });
    return { enabled, ops };
  }

  for (const [id, build, params] of [
    ['lastzero', lastzero, { n: 4 }],
    ['mpat', mpat, { k: 3 }],
    ['two-writers-read', twoWritersRead, { n: 3 }],
  ] as const) {
    it(`${id}(${Object.values(params).join(', ')}): partitions by first thread sum to the whole search`, () => {
      const s = build(params);
      const whole = collect(s, 'main', new DfsStrategy());
      const { enabled: children, ops } = rootChildren(s);
      const parts: string[] = [];
      for (let i = 0; i < children.length; i++) {
        const c = children[i]!;
        const sleeping = children.slice(0, i).filter((t) => !dependent(ops[t]!, ops[c]!, false));
        const options: DfsOptions = { prefix: [c], sleeping };
        parts.push(...collect(s, 'main', new DfsStrategy(options)).classes);
      }
      expect(parts.length).toBe(new Set(parts).size);
      expect([...parts].sort()).toEqual([...whole.classes].sort());
    });
  }

  it('with invariants (observed steps), partitions pruned by the same relation still sum to the whole', () => {
    const base = lastzero({ n: 3 });
    const main = { ...base.variants.main!, invariants: [{ id: 'always', description: 'observer only', check: () => true as const }] };
    const s = { ...base, variants: { main } };
    const whole = collect(s, 'main', new DfsStrategy());
    const { enabled: children, ops } = rootChildren(s);
    const parts: string[] = [];
    for (let i = 0; i < children.length; i++) {
      const c = children[i]!;
      const sleeping = children.slice(0, i).filter((t) => !dependent(ops[t]!, ops[c]!, true));
      parts.push(...collect(s, 'main', new DfsStrategy({ prefix: [c], sleeping })).classes);
    }
    expect([...parts].sort()).toEqual([...whole.classes].sort());
    expect(whole.classes.length).toBeGreaterThan(collect(base, 'main', new DfsStrategy()).classes.length);
  });

  it('a prefix is replayed as given and no execution leaves it', () => {
    const s = lastzero({ n: 3 });
    const got = collect(s, 'main', new DfsStrategy({ prefix: [1, 0] }));
    expect(got.classes.length).toBeGreaterThan(0);
    const whole = collect(s, 'main', new DfsStrategy()).classes;
    for (const c of got.classes) expect(whole).toContain(c);
  });
});

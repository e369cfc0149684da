/**
 * dfs keeps the tables of a finished search for the next one (dfs-tables.ts). A search on kept
 * tables must count exactly what a search on fresh ones counts, whatever ran on them before.
 */
import { describe, expect, it } from 'vitest';
import { lastzero, mpat, readers, BENCH_LIMITS } from '../../../../bench/programs';
import { DfsStrategy } from '../../../../src/search/strategies/dfs';
import { giveBack, takeLog, takeSequence, takeTree } from '../../../../src/search/dpor/dfs-tables';
import { explore } from '../../../../src/search/explorer';
import type { Scenario } from '../../../../src/runtime/scenario';

function executions(scenario: Scenario, params: Record<string, number>): number {
  const variant = Object.values(scenario.variants)[0]!;
  const verdict = explore({ scenario, variant, params, strategy: new DfsStrategy(), limits: BENCH_LIMITS, target: 'holds' });
  expect(verdict.kind).toBe('holds');
  return verdict.stats.executions;
}

describe('dfs tables kept between searches', () => {
  it('a finished search gives its tables back, and the next search takes them', () => {
    const tree = takeTree();
    const v = takeSequence();
    const log = takeLog(3);
    giveBack(log, tree, v);
    expect(takeTree()).toBe(tree);
    expect(takeSequence()).toBe(v);
    expect(takeLog(4)).not.toBe(log);
    expect(takeLog(3)).toBe(log);
  });

  it('searches of different programs, one after another on the same tables, keep their published counts', () => {
    const runs: [Scenario, Record<string, number>, number][] = [
      [lastzero({ n: 5 }), { n: 5 }, 64],
      [mpat({ k: 4 }), { k: 4 }, 384],
      [readers({ n: 8 }), { n: 8 }, 256],
      [lastzero({ n: 3 }), { n: 3 }, 12],
    ];
    for (let round = 0; round < 3; round++) {
      for (const [scenario, params, expected] of runs) expect(executions(scenario, params)).toBe(expected);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { makeStrategy, STRATEGIES, strategyDescriptor } from '../../../src/search/strategies';
import { UsageError } from '../../../src/runtime/errors';

describe('strategy descriptors', () => {
  it('ids are unique, and each strategy made is what its descriptor says', () => {
    expect(new Set(STRATEGIES.map((s) => s.id)).size).toBe(STRATEGIES.length);
    for (const d of STRATEGIES) {
      const s = d.make({});
      expect(s.id).toBe(d.id);
      if (d.split) expect(d.split.make({ prefix: [0], sleeping: [] }, {}).id).toBe(d.id);
    }
  });

  it('sampling strategies are seeded and not exhaustive; the seed is among their options', () => {
    for (const d of STRATEGIES) {
      expect(d.seeded).toBe(!d.exhaustive);
      expect(d.options.includes('seed')).toBe(d.seeded);
    }
  });

  it('an unknown id is a usage error naming the known ones', () => {
    expect(() => strategyDescriptor('bfs')).toThrow(UsageError);
    expect(() => makeStrategy('bfs')).toThrow(/known: dfs, exhaustive, bounded, random, pct/);
  });
});

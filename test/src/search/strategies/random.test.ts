import { describe, expect, it } from 'vitest';
import { checkVariant } from '../../../../src/search/variant';
import { RandomStrategy } from '../../../../src/search/strategies/random';
import { defineScenario } from '../../../../src/runtime/scenario';
import { depthTwo, schedulesOf } from '../sampling-programs';

describe('random (seeded uniform scheduling)', () => {
  it('the same seed gives the same schedules; another seed others', () => {
    const p = depthTwo(3);
    const a = schedulesOf(p, new RandomStrategy({ seed: 'abc', executions: 50 }));
    const b = schedulesOf(p, new RandomStrategy({ seed: 'abc', executions: 50 }));
    const c = schedulesOf(p, new RandomStrategy({ seed: 'abd', executions: 50 }));
    expect(a).toHaveLength(50);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(new Set(a.map((s) => s.join(''))).size).toBeGreaterThan(10);
  });

  it('execution k depends only on the seed and k', () => {
    const p = depthTwo(3);
    const ten = schedulesOf(p, new RandomStrategy({ seed: 's', executions: 10 }));
    const twenty = schedulesOf(p, new RandomStrategy({ seed: 's', executions: 20 }));
    expect(twenty.slice(0, 10)).toEqual(ten);
  });

  it('finds the bug, and a clean run is incomplete, never holds', () => {
    const found = checkVariant(depthTwo(2), 'main', { strategy: new RandomStrategy({ seed: '1', executions: 500 }) });
    expect(found.kind).toBe('violated');
    const clean = defineScenario({ ...depthTwo(2), variants: { main: { ...depthTwo(2).variants.main!, invariants: [] } } });
    const v = checkVariant(clean, 'main', { strategy: new RandomStrategy({ seed: '1', executions: 40 }) });
    expect(v.kind).toBe('incomplete');
    expect(v.stats.executions).toBe(40);
  });
});

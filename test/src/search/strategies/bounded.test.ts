import { describe, expect, it } from 'vitest';
import { scenarios } from '../../../../scenarios/index';
import { BoundedStrategy } from '../../../../src/search/strategies/bounded';
import { checkVariant } from '../../../../src/search/variant';
import { ExhaustiveStrategy } from '../../../../src/search/strategies/exhaustive';
import type { Op, SharedObject, Steps } from '../../../../src/runtime/op';
import { defineScenario, type Scenario, type ThreadBody } from '../../../../src/runtime/scenario';

interface Cell extends SharedObject {
  value: number;
}

function* access(cell: Cell, kind: 'read' | 'write'): Steps<void> {
  const op: Op<void> = { object: cell, access: kind, label: `${kind} ${cell.name}`, run: () => void (kind === 'write' ? cell.value++ : cell.value) };
  yield op;
}

/** Threads given as strings of cell indices, `w0 r1 w1`: each token one access. */
function prog(cellCount: number, threads: readonly string[]): Scenario {
  const bodies: Record<string, ThreadBody<{ cells: Cell[] }>> = {};
  threads.forEach((text, i) => {
    bodies[`t${i}`] = function* (w) {
      for (const tok of text.split(' ')) yield* access(w.cells[Number(tok.slice(1))]!, tok[0] === 'w' ? 'write' : 'read');
    };
  });
  return defineScenario({
    id: 'bounded-test',
    title: 'bounded test',
    commits: [],
    setup: () => ({ cells: Array.from({ length: cellCount }, (_, i) => ({ name: `c${i}`, value: 0 })) }),
    variants: { main: { summary: 'test', threads: bodies } },
  });
}

function bounded(p: Scenario, preemptionsMax?: number) {
  const strategy = new BoundedStrategy(preemptionsMax === undefined ? {} : { preemptionsMax });
  const verdict = checkVariant(p, 'main', { strategy });
  return { verdict, perBound: [...strategy.executionsByBound()] };
}

describe('bounded (iterative context bounding)', () => {
  it('counts schedules by their preemptions: two threads of two steps give 2 · 2 · 2', () => {
    // AABB BBAA have none; ABBA BAAB one; ABAB BABA two (the switch after a thread ends is free)
    const { verdict, perBound } = bounded(prog(2, ['w0 w0', 'w1 w1']));
    expect(verdict.kind).toBe('holds');
    expect(perBound).toEqual([2, 2, 2]);
  });

  it.each([
    ['2 × 3 independent', prog(2, ['w0 w0 w0', 'w1 w1 w1'])],
    ['3 × 2 on one cell', prog(1, ['w0 r0', 'r0 w0', 'w0 w0'])],
    ['3 threads, mixed', prog(2, ['w0 r1', 'w1 r0 w0', 'r0'])],
  ])('the counts per bound add up to plain enumeration (%s)', (_name, p) => {
    const { verdict, perBound } = bounded(p);
    const plain = checkVariant(p, 'main', { strategy: new ExhaustiveStrategy() });
    expect(verdict.kind).toBe('holds');
    expect(perBound.reduce((a, b) => a + b, 0)).toBe(plain.stats.executions);
    expect(verdict.stats.executions).toBe(plain.stats.executions);
  });

  it('--preemptions K stops after bound K and says incomplete, naming the flag', () => {
    const { verdict, perBound } = bounded(prog(2, ['w0 w0 w0', 'w1 w1 w1']), 1);
    expect(perBound).toHaveLength(2);
    expect(verdict.kind).toBe('incomplete');
    if (verdict.kind !== 'incomplete') return;
    expect(verdict.cutBy).toEqual([expect.objectContaining({ limit: 'preemptions', flag: '--preemptions', value: 1 })]);
  });

  it('a bound that skips nothing still proves the program: holds', () => {
    const { verdict } = bounded(prog(2, ['w0 w0', 'w1 w1']), 2);
    expect(verdict.kind).toBe('holds');
  });
});

describe('bounded finds every buggy scenario early', () => {
  const buggy = scenarios.flatMap(({ scenario }) =>
    Object.entries(scenario.variants)
      .filter(([, v]) => v.expect !== undefined && v.expect !== 'holds')
      .map(([name]) => [`${scenario.id}/${name}`, scenario, name] as const),
  );

  it.each(buggy)('%s: the declared violation within the first 100 executions', (_id, scenario, name) => {
    const verdict = checkVariant(scenario, name, { strategy: new BoundedStrategy(), limits: { executionsMax: 100 } });
    const expect_ = scenario.variants[name]!.expect;
    expect(verdict.kind).toBe('violated');
    if (verdict.kind !== 'violated' || expect_ === undefined || expect_ === 'holds') return;
    expect(verdict.violations.map((v) => v.check)).toContain(expect_.violated);
    expect(verdict.stats.executions).toBeLessThanOrEqual(100);
  });
});

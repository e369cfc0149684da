/**
 * A split search cut by --max-time reports the executions it explored. The clock is vitest's fake
 * one, and the scenario's setup moves it past the deadline as soon as the trial run (the first
 * SMALL executions, run whole before the search is split) has ended: the partitions then have no
 * time left, as under `--max-time 1` when the trial and the probes take the second. Before the
 * fix the verdict said 0 executions, the trial's being thrown away with the split.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineScenario, type SharedObject } from '../../../src/index';
import { searchVariant } from '../../../src/distribute/parallel';
import { SearchMeter } from '../../../src/distribute/meter';
import { DEFAULT_LIMITS } from '../../../src/search/explorer';
import { PartitionMerger } from '../../../src/distribute/merge';
import type { Verdict } from '../../../src/search/verdict';

const SMALL = 40;
const TIME_MS = 1000;
const meter = new SearchMeter(1);
const lane = meter.lane(0);

/** Two 5-step threads on one object: 252 schedules, more than SMALL, so the search is split. */
const scenario = defineScenario<{ x: SharedObject }>({
  id: 'clock-after-trial',
  title: 'a search whose clock runs out once its trial run has ended',
  commits: [],
  setup: () => {
    // why the meter: it counts the executions the explorer finished, so the first setup after
    // the trial's last one moves the clock, whatever runs it (a probe, a partition)
    if (lane.counts[0]! >= SMALL) vi.advanceTimersByTime(2 * TIME_MS);
    return { x: { name: 'x' } };
  },
  variants: {
    main: {
      summary: 'nothing to find',
      expect: 'holds',
      threads: {
        a: function* ({ x }) {
          for (let i = 0; i < 5; i++) yield { object: x, access: 'write', label: `a${i}`, run: () => undefined };
        },
        b: function* ({ x }) {
          for (let i = 0; i < 5; i++) yield { object: x, access: 'write', label: `b${i}`, run: () => undefined };
        },
      },
    },
  },
});

afterEach(() => {
  vi.useRealTimers();
});

describe('a split search cut by --max-time', () => {
  it('counts the executions it explored, never 0 after a trial of SMALL', () => {
    meter.reset();
    vi.useFakeTimers({ toFake: ['Date', 'performance'] });
    const v = searchVariant(
      { scenario, source: null, variant: 'main', params: {}, strategy: 'dfs', limits: { ...DEFAULT_LIMITS, timeMsMax: TIME_MS }, target: 'holds', meter: lane },
      { pool: () => null, smallSearchExecutions: SMALL },
    );
    expect(v.kind).toBe('incomplete');
    expect(v.kind === 'incomplete' && v.cutBy.map((c) => [c.limit, c.value])).toEqual([['time', TIME_MS]]);
    // the clock moved only after the trial, so the trial ran whole: its SMALL executions, 10 steps each
    expect(v.stats.executions).toBe(SMALL);
    expect(v.stats.steps).toBe(SMALL * 10);
  });
});

/** A partition's verdict: `executions` run, cut by time when `cut`, else it held. */
function part(executions: number, cut: boolean): Verdict {
  const stats = { executions, executionsAbandoned: 0, steps: 10 * executions, executionsViolated: 0, executionsCut: 0, timeMs: 0 };
  if (!cut) return { kind: 'holds', strategy: 'dfs', stats };
  return { kind: 'incomplete', strategy: 'dfs', cutBy: [{ limit: 'time', flag: '--max-time', value: 1, detail: 'stopped' }], stats };
}

describe('partitions explored after the merge was decided (out of order, on other threads)', () => {
  const noRerun = (): Verdict => {
    throw new Error('no rerun expected');
  };

  it('count when --max-time decided it: they were explored', () => {
    const m = new PartitionMerger('dfs', 'holds', 1_000_000, 3, TIME_MS);
    expect(m.add(part(0, true), noRerun)).toBe(true);
    m.addLate(part(7, false));
    m.addLate(part(3, true));
    const v = m.result(0);
    expect(v.kind).toBe('incomplete');
    expect([v.stats.executions, v.stats.steps]).toEqual([10, 100]);
  });

  it('do not count when the search ended otherwise: the sequential reading fixes its counts', () => {
    const m = new PartitionMerger('dfs', 'holds', 5, 3, TIME_MS);
    expect(m.add(part(5, false), noRerun)).toBe(false);
    expect(m.cutIfSpent()).toBe(true);
    m.addLate(part(7, false));
    expect(m.result(0).stats.executions).toBe(5);
  });
});

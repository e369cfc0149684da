import { describe, expect, it } from 'vitest';
import { scenarios } from '../../../scenarios/index';
import { BoundedStrategy } from '../../../src/search/strategies/bounded';
import { checkVariant } from '../../../src/search/variant';
import { DEFAULT_LIMITS, explore } from '../../../src/search/explorer';
import { ExecutionRunner, type ChoicePoint } from '../../../src/runtime/execution';
import type { Scenario, Variant } from '../../../src/runtime/scenario';
import { minimizeSchedule, removals } from '../../../src/trace/minimize';
import { renderTable } from '../../../src/report/table';
import { describeMinimization } from '../../../src/report/text';
import { decodeToken, encodeToken } from '../../../src/trace/schedule-token';
import { recordTrace } from '../../../src/trace/trace';

/** Preemptions of a schedule up to step `upTo`, counted on its own run, independently of the minimizer. */
function preemptionsOf(scenario: Scenario, variant: Variant<object>, schedule: readonly number[], upTo: number): number {
  let count = 0;
  const runner = new ExecutionRunner(scenario, variant, scenario.params);
  runner.run({
    choose: (point: ChoicePoint) => {
      const t = schedule[point.step]!;
      if (point.step < upTo && point.previous >= 0 && t !== point.previous && point.enabled.includes(point.previous)) count++;
      return t;
    },
  });
  return count;
}

/** Every variant of the registry that declares a violation (the registry grows; iterate it). */
const buggyVariants = scenarios.flatMap(({ scenario }) =>
  Object.entries(scenario.variants)
    .filter(([, v]) => v.expect !== undefined && v.expect !== 'holds')
    .map(([name, v]) => ({ scenario, name, variant: v, check: (v.expect as { violated: string }).violated })),
);

describe('failing-trace minimization', () => {
  it('the registry has buggy variants to minimize', () => {
    expect(buggyVariants.length).toBeGreaterThanOrEqual(8);
  });

  for (const { scenario, name, variant, check } of buggyVariants) {
    it(`${scenario.id}/${name}: fewest preemptions (checked by exhaustive bounded search), replays byte for byte`, () => {
      const verdict = checkVariant(scenario, name);
      expect(verdict.kind).toBe('violated');
      if (verdict.kind !== 'violated') return;
      const m = minimizeSchedule({ scenario, variant, params: scenario.params, schedule: verdict.schedule, check });
      expect(m.preemptionsProvenMinimal).toBe(true);
      expect(m.minimized.preemptions).toBeLessThanOrEqual(m.found.preemptions);
      if (m.minimized.preemptions === m.found.preemptions) expect(m.minimized.steps).toBeLessThanOrEqual(m.found.steps);

      // The printed trace violates the check at the step the minimizer says, with that many preemptions.
      const trace = recordTrace(scenario, name, variant, scenario.params, m.schedule, { focus: check });
      expect(trace.focus?.check).toBe(check);
      expect(Math.min(trace.focus!.step, trace.steps.length)).toBe(m.minimized.steps);
      expect(preemptionsOf(scenario, variant, m.schedule, m.minimized.steps)).toBe(m.minimized.preemptions);

      // No schedule with fewer preemptions violates the check: exhaustive search bounded at p − 1.
      if (m.minimized.preemptions > 0) {
        const lower = explore({
          scenario,
          variant,
          params: scenario.params,
          strategy: new BoundedStrategy({ preemptionsMax: m.minimized.preemptions - 1 }),
          limits: DEFAULT_LIMITS,
          target: { violated: check },
        });
        expect(lower.stats.executions).toBeGreaterThan(0);
        expect(lower.kind === 'violated' && lower.violations.some((v) => v.check === check)).toBe(false);
      }

      // The token replays the identical table.
      const token = encodeToken({ scenario: scenario.id, variant: name, params: {}, schedule: m.schedule });
      const back = decodeToken(token);
      const again = recordTrace(scenario, back.variant, scenario.variants[back.variant]!, scenario.params, back.schedule, { focus: check });
      expect(renderTable(again)).toBe(renderTable(trace));

      // Deterministic: the same input gives the same schedule.
      const twice = minimizeSchedule({ scenario, variant, params: scenario.params, schedule: verdict.schedule, check });
      expect(twice.schedule).toEqual(m.schedule);
    });
  }

  it('finds the same minimal schedule whichever failing schedule it starts from', () => {
    const s1 = scenarios.find((s) => s.scenario.id === 'mmu-notifier-unregister-release')!.scenario;
    const variant = s1.variants.buggy!;
    const fromDfs = checkVariant(s1, 'buggy');
    const fromBounded = checkVariant(s1, 'buggy', { strategy: new BoundedStrategy() });
    if (fromDfs.kind !== 'violated' || fromBounded.kind !== 'violated') throw new Error('expected violations');
    const a = minimizeSchedule({ scenario: s1, variant, params: s1.params, schedule: fromDfs.schedule, check: 'oops' });
    const b = minimizeSchedule({ scenario: s1, variant, params: s1.params, schedule: fromBounded.schedule, check: 'oops' });
    expect(b.schedule).toEqual(a.schedule);
    expect(a.minimized).toEqual({ preemptions: 1, steps: 19 });
  });

  it('a budget too small to finish the bounded pass says the preemption count is not proven', () => {
    const s1 = scenarios.find((s) => s.scenario.id === 'mmu-notifier-unregister-release')!.scenario;
    const v = checkVariant(s1, 'buggy');
    if (v.kind !== 'violated') throw new Error('expected a violation');
    const m = minimizeSchedule({ scenario: s1, variant: s1.variants.buggy!, params: s1.params, schedule: v.schedule, check: 'oops', executionsMax: 2 });
    expect(m.preemptionsProvenMinimal).toBe(false);
    expect(m.executions).toBeLessThanOrEqual(3);
  });

  it('removals: uninvolved threads first, all their steps, then halves, then single steps', () => {
    // prefix A B B A B A, violator A: B's steps are at 1, 2, 4.
    const got = [...removals([0, 1, 1, 0, 1, 0], 0)].map((p) => p.map((t) => 'AB'[t]).join(''));
    // B: drop {1,2,4}; {2,4}, {1}; {4}, {2}, {1}. Then A (its last, violating step stays): {0,3}; {3}, {0}.
    expect(got).toEqual(['AAA', 'ABAA', 'ABABA', 'ABBAA', 'ABABA', 'ABABA', 'BBBA', 'ABBBA', 'BBABA']);
  });
});

describe('what the minimization line claims', () => {
  const s1 = scenarios.find((e) => e.scenario.id === 'mmu-notifier-unregister-release')!.scenario;
  const variant = s1.variants.buggy!;
  const found = checkVariant(s1, 'buggy');
  if (found.kind !== 'violated') throw new Error('S1 buggy must be violated');
  const run = (executionsMax: number) => minimizeSchedule({ scenario: s1, variant, params: s1.params, schedule: found.schedule, check: 'oops', executionsMax });

  it('within a budget that finishes the pass, the minimum is proven and says so', () => {
    const m = run(20_000);
    expect(m.preemptionsProvenMinimal).toBe(true);
    expect(m.preemptionsRuledOutBelow).toBe(m.minimized.preemptions);
  });

  it('a budget that runs out proves nothing it did not run, and the line says how far it got', () => {
    const m = run(3);
    expect(m.preemptionsProvenMinimal).toBe(false);
    expect(m.preemptionsRuledOutBelow).toBeLessThan(m.minimized.preemptions);
    expect(describeMinimization(m)).toContain('the budget of 3 executions ran out');
  });
});

import { describe, expect, it } from 'vitest';
import { scenarios } from '../../../scenarios/index';
import s1 from '../../../scenarios/mmu-notifier-unregister-release';
import { checkVariant } from '../../../src/search/variant';
import { ReplayDivergence } from '../../../src/trace/replay-divergence';
import { confirmFix } from '../../../src/app/confirm-fix';
import { renderFixConfirmation } from '../../../src/report/fix';
import { decodeSchedule } from '../../../src/trace/schedule-token';
import { recordTrace } from '../../../src/trace/trace';

describe('replay divergence', () => {
  const replay = (schedule: string) => () => recordTrace(s1, 'buggy', s1.variants.buggy!, s1.params, decodeSchedule(schedule));
  it.each([
    ['A50', /^replay diverged at step 11: the schedule runs A, which cannot run here: A \(unregister\) has no more steps$/],
    ['AB7A5', /^replay diverged at step 13: the schedule runs A, which cannot run here: A \(unregister\) is blocked: spin_lock\(&mm->mmu_notifier_mm->lock\) waits for mm->mmu_notifier_mm->lock held by B \(release\)$/],
    ['AB12A5', /^replay diverged at step 19: the schedule ends after 18 steps but A \(unregister\) can still run$/],
    ['AB12A7', /^replay diverged at step 20: the execution stopped at oops in step 19 after 19 steps but the schedule has 20$/],
    ['C', /^replay diverged at step 1: the schedule runs thread C, which the variant does not have$/],
  ])('%s: one line naming the step', (schedule, message) => {
    expect(replay(schedule)).toThrow(ReplayDivergence);
    expect(replay(schedule)).toThrow(message);
  });
});

describe('fix confirmation', () => {
  // d34883d4e3 differs from v3.7 first in B, which leaves SRCU only after its unlink loop; A's
  // deletion (hlist_del_init_rcu, a no-op on the node B unhashed) is not reached along this schedule.
  it("S1: the buggy schedule against the fix differs at B's srcu_read_unlock, and the fix does not oops", () => {
    const c = confirmFix({ scenario: s1, params: s1.params, schedule: decodeSchedule('AB12A6'), from: 'buggy', to: 'fixed' });
    expect(c.original.focus?.check).toBe('oops');
    expect(c.firstDifference).toEqual({
      step: 7,
      thread: 1,
      was: { label: 'srcu_read_unlock(&srcu)', result: null },
      now: { label: 'spin_lock(&mm->mmu_notifier_mm->lock)', result: null },
      kind: 'call',
    });
    expect(c.fixed.divergence).toMatchObject({ step: 20, kind: 'schedule-ended' });
    expect(c.holdsAlong).toBe(true);
    const text = renderFixConfirmation(c);
    expect(text).toMatch(/first difference at t7: B \(release\) runs spin_lock\(&mm->mmu_notifier_mm->lock\) where buggy ran srcu_read_unlock\(&srcu\)/);
    expect(text).toMatch(/fixed does not violate any check along this schedule \(buggy: oops at t19\)/);
    expect(text).toMatch(/\n    under fixed that step changes mm\.lock\.owner = → B \(release\)\n/);
  });

  // Every variant declared to hold must hold along any buggy schedule, as far as that goes, and must
  // part ways with it somewhere (else it would repeat the violation).
  const pairs = scenarios.flatMap(({ scenario }) => {
    const names = Object.keys(scenario.variants);
    const bad = names.filter((n) => { const e = scenario.variants[n]!.expect; return e !== undefined && e !== 'holds'; });
    const good = names.filter((n) => { const e = scenario.variants[n]!.expect; return e === undefined || e === 'holds'; });
    return bad.flatMap((b) => good.map((g) => ({ scenario, from: b, to: g })));
  });

  it('a fix that only writes another value shows as a difference in effect', () => {
    const s = scenarios.find((x) => x.scenario.id === 'mmu-notifier-sleeping-callbacks')?.scenario;
    if (!s?.variants['range-args-buggy'] || !s.variants['range-args-fixed']) return expect(s).toBeUndefined();
    const v = checkVariant(s, 'range-args-buggy');
    if (v.kind !== 'violated') throw new Error('expected a violation');
    const c = confirmFix({ scenario: s, params: s.params, schedule: v.schedule, from: 'range-args-buggy', to: 'range-args-fixed' });
    expect(c.firstDifference?.kind).toBe('effect');
    expect(c.firstDifference?.changes?.was).not.toEqual(c.firstDifference?.changes?.now);
  });

  it('there are buggy/fixed pairs in the registry', () => expect(pairs.length).toBeGreaterThanOrEqual(8));

  for (const { scenario, from, to } of pairs) {
    it(`${scenario.id}: ${from}'s schedule against ${to}`, () => {
      const v = checkVariant(scenario, from);
      if (v.kind !== 'violated') throw new Error(`${from} did not violate`);
      const c = confirmFix({ scenario, params: scenario.params, schedule: v.schedule, from, to });
      expect(c.holdsAlong).toBe(true);
      expect(c.fixed.violations).toEqual([]);
      expect(c.firstDifference !== null || c.fixed.divergence !== null).toBe(true);
      expect(c.fixed.schedule).toEqual(v.schedule.slice(0, c.fixed.schedule.length));
    });
  }
});

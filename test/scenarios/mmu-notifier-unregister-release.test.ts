import { describe, expect, it } from 'vitest';
import s1 from '../../scenarios/mmu-notifier-unregister-release';
import { checkVariant } from '../../src/index';
import { renderTable } from '../../src/report/table';
import { decodeToken, encodeToken } from '../../src/trace/schedule-token';
import { recordTrace } from '../../src/trace/trace';

describe('mmu-notifier-unregister-release (751efd8610, d34883d4e3)', () => {
  const buggy = checkVariant(s1, 'buggy');

  it('buggy: some schedule oopses in hlist_del_rcu, and ->release runs twice', () => {
    expect(buggy.kind).toBe('violated');
    if (buggy.kind !== 'violated') return;
    const checks = buggy.violations.map((v) => v.check);
    expect(checks).toContain('oops');
    expect(checks).toContain('release-at-most-once');
    const oops = buggy.violations.find((v) => v.check === 'oops')!;
    expect(oops.state).toBe('mn->hlist.pprev = NULL');
  });

  it("buggy: the trace has B's hlist_del_init_rcu between A's hlist_unhashed and A's hlist_del_rcu", () => {
    if (buggy.kind !== 'violated') throw new Error('expected a violation');
    const t = recordTrace(s1, 'buggy', s1.variants.buggy!, s1.params, buggy.schedule);
    const at = (thread: string, label: string) =>
      t.steps.findIndex((s) => t.threads[s.thread]!.letter === thread && s.label === label);
    const test = at('A', 'hlist_unhashed(&mn->hlist)');
    const unlink = at('B', 'hlist_del_init_rcu(&mn->hlist)');
    const del = at('A', 'hlist_del_rcu(&mn->hlist)');
    expect(test).toBeGreaterThanOrEqual(0);
    expect(test < unlink && unlink < del).toBe(true);
    expect(t.steps[del]!.violations.map((v) => v.check)).toEqual(['oops']);
  });

  it('buggy: the replay token reproduces the identical trace', () => {
    if (buggy.kind !== 'violated') throw new Error('expected a violation');
    const token = encodeToken({ scenario: s1.id, variant: 'buggy', params: {}, schedule: buggy.schedule });
    const back = decodeToken(token);
    const first = recordTrace(s1, 'buggy', s1.variants.buggy!, s1.params, buggy.schedule);
    const again = recordTrace(s1, back.variant, s1.variants[back.variant]!, s1.params, back.schedule);
    expect(renderTable(again)).toBe(renderTable(first));
  });

  it('fixed: holds on every schedule (exhaustive, not incomplete)', () => {
    const fixed = checkVariant(s1, 'fixed');
    expect(fixed.kind).toBe('holds');
    expect(fixed.stats.executions).toBeGreaterThan(1);
  });

  it('fixed: a second, harmless ->release is reachable, which is why it does not declare release-at-most-once', () => {
    const strict = { ...s1.variants.fixed!, invariants: s1.variants.buggy!.invariants!, expect: 'holds' as const };
    const scenario = { ...s1, variants: { strict } };
    const v = checkVariant(scenario, 'strict');
    expect(v.kind === 'violated' && v.violations.map((x) => x.check)).toEqual(['release-at-most-once']);
  });

  it('fixed with two notifiers (next->pprev fix-up) still holds', () => {
    expect(checkVariant(s1, 'fixed', { params: { notifiers: 2 } }).kind).toBe('holds');
  }, 60_000);
});

import { describe, expect, it } from 'vitest';
import s7a, { mutants } from '../../scenarios/mmu-notifier-register-vs-invalidate';
import { checkVariant, type Scenario } from '../../src/index';
import { ExhaustiveStrategy } from '../../src/search/strategies/exhaustive';
import { recordTrace } from '../../src/trace/trace';

describe('mmu-notifier-register-vs-invalidate (cddb8a5c14, mm_take_all_locks)', () => {
  const buggy = checkVariant(s7a, 'buggy');

  it("buggy: KVM's invalidate_range_end finds mmu_notifier_count at 0 and BUGs", () => {
    expect(buggy.kind).toBe('violated');
    if (buggy.kind !== 'violated') return;
    const v = buggy.violations.find((x) => x.check === 'bug-on')!;
    expect(v.message).toMatch(/BUG_ON\(kvm->mmu_notifier_count < 0\)/);
    expect(v.state).toBe('kvm->mmu_notifier_count = -1');
  });

  it("buggy: B's hlist_add_head_rcu lands between A's range_start walk (empty list) and its range_end walk", () => {
    if (buggy.kind !== 'violated') throw new Error('expected a violation');
    const t = recordTrace(s7a, 'buggy', s7a.variants.buggy!, s7a.params, buggy.schedule);
    const idx = (letter: string, re: RegExp) => t.steps.findIndex((x) => t.threads[x.thread]!.letter === letter && re.test(x.label));
    const startWalk = idx('A', /^hlist_first_rcu/);
    const add = idx('B', /^hlist_add_head_rcu/);
    const end = idx('A', /^kvm_mmu_notifier_invalidate_range_end/);
    expect(t.steps[startWalk]!.result).toBe('NULL');
    expect(startWalk < add && add < end).toBe(true);
    expect(idx('A', /^mutex_lock\(&M->i_mmap_mutex\)/)).toBeLessThan(startWalk);
  });

  it('fixed: holds on every schedule (exhaustive, not incomplete)', () => {
    const v = checkVariant(s7a, 'fixed');
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBeGreaterThan(1);
  });

  // The fix's parts: the lock set is what `buggy` lacks; the insertion inside it is removed in the
  // exported mutant.
  it('no-link: the registration that never links its notifier breaks register-links-notifier', () => {
    const scenario = { ...s7a, variants: { 'no-link': mutants['no-link'] } } as unknown as Scenario;
    const v = checkVariant(scenario, 'no-link');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    expect(v.violations.map((x) => x.check)).toContain('register-links-notifier');
  });

  it('link-after-drop: every lock taken, but the insertion after mm_drop_all_locks lands in the window', () => {
    const scenario = { ...s7a, variants: { 'link-after-drop': mutants['link-after-drop'] } } as unknown as Scenario;
    const v = checkVariant(scenario, 'link-after-drop', { limits: { auditExecutions: 1_000 } });
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    expect(v.violations.find((x) => x.check === 'bug-on')!.state).toBe('kvm->mmu_notifier_count = -1');
    const t = recordTrace(scenario, 'link-after-drop', scenario.variants['link-after-drop']!, s7a.params, v.schedule);
    const idx = (letter: string, re: RegExp) => t.steps.findIndex((x) => t.threads[x.thread]!.letter === letter && re.test(x.label));
    const unlock = idx('B', /^mutex_unlock\(&M->i_mmap_mutex\)/);
    const add = idx('B', /^hlist_add_head_rcu/);
    expect(unlock).toBeGreaterThanOrEqual(0);
    expect(add).toBeGreaterThan(unlock);
    expect(idx('A', /^mutex_lock\(&M->i_mmap_mutex\)/)).toBeGreaterThan(unlock);
    expect(add).toBeLessThan(idx('A', /^kvm_mmu_notifier_invalidate_range_end/));
  });

  it('eintr-unchecked: after a signal mm_take_all_locks holds nothing; the drop unlocks a mutex nobody holds, and the link can land in the window', () => {
    const m = mutants['eintr-unchecked'];
    const v = checkVariant({ ...s7a, variants: { m } } as unknown as Scenario, 'm', { limits: { auditExecutions: 1_000 } });
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    expect(v.violations.find((x) => x.check === 'unlock-not-held')!.message).toMatch(/mutex_unlock\(&mm_all_locks_mutex\) by B \(register\).*not locked/);
    // the link lands in truncate's window too; plain enumeration is used because dfs does not find
    // this one: executions that end at the fatal unlock never run A's range_end after B's link
    const window = checkVariant({ ...s7a, variants: { m: { ...m, expect: { violated: 'bug-on' } } } } as unknown as Scenario, 'm', { strategy: new ExhaustiveStrategy() });
    expect(window.kind).toBe('violated');
    if (window.kind !== 'violated') return;
    expect(window.violations.find((x) => x.check === 'bug-on')!.state).toBe('kvm->mmu_notifier_count = -1');
  });

  it('the mutants are not registry variants; the fixed registration links its notifier', () => {
    expect(Object.keys(s7a.variants)).toEqual(['buggy', 'fixed']);
    expect(mutants['link-after-drop'].expect).toEqual({ violated: 'bug-on' });
    expect(mutants['eintr-unchecked'].expect).toEqual({ violated: 'unlock-not-held' });
    expect(mutants['no-link'].expect).toEqual({ violated: 'register-links-notifier' });
    expect(s7a.variants.fixed!.invariants!.map((i) => i.id)).toEqual(['register-links-notifier']);
  });
});

import { describe, expect, it } from 'vitest';
import s7a from '../../scenarios/mmu-notifier-register-vs-invalidate';
import { checkVariant } from '../../src/index';
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
});

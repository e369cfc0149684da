import { describe, expect, it } from 'vitest';
import s7c from '../../scenarios/mmu-notifier-register-vs-vma-locked-fault';
import { checkVariant } from '../../src/index';
import { recordTrace } from '../../src/trace/trace';

describe('mmu-notifier-register-vs-vma-locked-fault (eeff9a5d47f8 and its follow-up)', () => {
  it('buggy: registration lands inside the window of a fault under the per-VMA lock; KVM BUGs on the end', () => {
    const v = checkVariant(s7c, 'buggy');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    expect(v.violations.find((x) => x.check === 'bug-on')!.state).toBe('kvm->mmu_notifier_count = -1');
    const t = recordTrace(s7c, 'buggy', s7c.variants.buggy!, s7c.params, v.schedule);
    const idx = (letter: string, re: RegExp) => t.steps.findIndex((x) => t.threads[x.thread]!.letter === letter && re.test(x.label));
    const read = idx('A', /^vma_start_read/);
    expect(t.steps[read]!.result).toBe('true');
    const add = idx('B', /^hlist_add_head_rcu/);
    expect(read < add && add < idx('A', /^kvm_mmu_notifier_invalidate_range_end/)).toBe(true);
  });

  it('fixed: holds on every schedule', () => {
    const v = checkVariant(s7c, 'fixed');
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBeGreaterThan(1);
  });

  it("early-release: mm_drop_all_locks ends the caller's VMA write lock, and the caller's next change finds it unlocked", () => {
    const v = checkVariant(s7c, 'early-release');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    const checks = v.violations.map((x) => x.check);
    expect(checks).toEqual(['vma-write-lock-kept', 'bug-on']);
    expect(v.violations[0]!.message).toMatch(/mm_drop_all_locks\(\) ended the write lock of vma->vm_lock, taken by its caller/);
    expect(v.violations[1]!.message).toMatch(/vma_assert_write_locked\(vma->vm_lock\) failed for B \(register\)/);
  });

  it("early-release-fixed: with Jann Horn's fix the same caller holds on every schedule", () => {
    const v = checkVariant(s7c, 'early-release-fixed');
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBeGreaterThan(1);
  });
});

import { describe, expect, it } from 'vitest';
import s7c, { mutants } from '../../scenarios/mmu-notifier-register-vs-vma-locked-fault';
import { checkVariant, type Scenario } from '../../src/index';
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

  // The fix's parts, each removed in a named mutant the scenario exports (the VMA pass itself is
  // what `buggy` lacks).
  it('vma-locks-last: VMA write locks after the rmap passes deadlock against a fault reclaiming under its VMA lock', () => {
    const scenario = { ...s7c, variants: { 'vma-locks-last': mutants['vma-locks-last'] } } as unknown as Scenario;
    const v = checkVariant(scenario, 'vma-locks-last', { limits: { auditExecutions: 1_000 } });
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    const d = v.violations.find((x) => x.check === 'deadlock')!;
    expect(d.message).toMatch(/A \(fault\) blocked in down_read\(&anon_vma->rwsem\) waiting for anon_vma->rwsem held for write by B \(register\)/);
    expect(d.message).toMatch(/B \(register\) blocked in vma_start_write\(vma->vm_lock\) waiting for readers A \(fault\)/);
  });

  it("fixed: the fault's direct reclaim takes the anon_vma rwsem while it holds the VMA read lock (the order the VMA pass keeps)", () => {
    // A alone, to its end (the recording stops where A has no more steps)
    const t = recordTrace(s7c, 'fixed', s7c.variants.fixed!, s7c.params, new Array<number>(200).fill(0), { lenient: true });
    const a = t.steps.filter((x) => t.threads[x.thread]!.letter === 'A').map((x) => x.label);
    const read = a.indexOf('vma_start_read(vma->vm_lock)');
    const rmap = a.findIndex((l) => /^down_read_trylock\(&anon_vma->rwsem\)/.test(l));
    expect(read).toBeGreaterThanOrEqual(0);
    expect(rmap).toBeGreaterThan(read);
    expect(rmap).toBeLessThan(a.indexOf('up_read(&vma->vm_lock)')); // vma_end_read
  });

  it('the mutants are not registry variants', () => {
    expect(Object.keys(s7c.variants)).toEqual(['buggy', 'fixed', 'early-release', 'early-release-fixed']);
    expect(mutants['vma-locks-last'].expect).toEqual({ violated: 'deadlock' });
  });
});

import { describe, expect, it } from 'vitest';
import s5, { mutants, twoFixedRegistrations } from '../../scenarios/mmu-notifier-register-alloc-under-locks';
import { checkVariant } from '../../src/index';
import type { Scenario } from '../../src/runtime/scenario';
import { recordTrace } from '../../src/trace/trace';

/** The scenario with one variant re-declared to expect `check` (to show a second symptom). */
function expecting(variant: string, check: string): Scenario {
  return { ...s5, variants: { [variant]: { ...s5.variants[variant]!, expect: { violated: check } } } };
}

describe('mmu-notifier-register-alloc-under-locks (e0f3c3f78d, 35cfa2b0b4)', () => {
  const buggy = checkVariant(s5, 'buggy');

  it('buggy: lockdep reports i_mmap_mutex held across GFP_KERNEL and taken in reclaim by kswapd', () => {
    expect(buggy.kind).toBe('violated');
    if (buggy.kind !== 'violated') return;
    const v = buggy.violations.find((x) => x.check === 'reclaim-inversion')!;
    expect(v.message).toMatch(/&mapping->i_mmap_mutex held across a reclaim-capable allocation \(A \(register\) at step \d+ in kmalloc/);
    expect(v.message).toMatch(/&mapping->i_mmap_mutex taken in reclaim \(B \(kswapd\)/);
  });

  it("buggy: in the trace A's kmalloc runs between its mutex_lock_nest_lock(i_mmap) and the unlock", () => {
    if (buggy.kind !== 'violated') throw new Error('expected a violation');
    const t = recordTrace(s5, 'buggy', s5.variants.buggy!, s5.params, buggy.schedule);
    const labels = t.steps.filter((x) => t.threads[x.thread]!.letter === 'A').map((x) => x.label);
    const lock = labels.indexOf('mutex_lock_nest_lock(&M->i_mmap_mutex, &mm->mmap_sem)');
    const alloc = labels.indexOf('kmalloc(sizeof(struct mmu_notifier_mm), GFP_KERNEL)');
    expect(lock).toBeGreaterThanOrEqual(0);
    expect(alloc).toBeGreaterThan(lock);
    expect(labels.indexOf('mutex_unlock(&M->i_mmap_mutex)')).toBeGreaterThan(alloc);
  });

  it('buggy, out of memory: direct reclaim in register waits on the i_mmap_mutex register holds', () => {
    const v = checkVariant(expecting('buggy', 'deadlock'), 'buggy', { params: { freePages: 0 } });
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    const d = v.violations.find((x) => x.check === 'deadlock')!;
    expect(d.message).toMatch(/A \(register\).*M->i_mmap_mutex held by A \(register\) itself/);
  });

  it('buggy, out of memory without direct reclaim: register sleeps for kswapd, kswapd waits on its lock', () => {
    const v = checkVariant(expecting('buggy', 'deadlock'), 'buggy', { params: { freePages: 0, directReclaim: 0 } });
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    const d = v.violations.find((x) => x.check === 'deadlock')!;
    expect(d.message).toMatch(/kswapd to free a page/);
    expect(d.message).toMatch(/M->i_mmap_mutex held by A \(register\)/);
  });

  it('fixed: holds on every schedule, with memory and without (both reclaim styles)', () => {
    const cases: Readonly<Record<string, number>>[] = [{}, { freePages: 0 }, { freePages: 0, directReclaim: 0 }];
    for (const params of cases) {
      const v = checkVariant(s5, 'fixed', { params });
      expect(v.kind, JSON.stringify(params)).toBe('holds');
      expect(v.stats.executions).toBeGreaterThan(1);
    }
  });

  // 35cfa2b0b4's parts: the allocation before the locks is what `buggy` lacks; the test under the
  // locks is removed in the exported mutant, against the same two registrations with the fix.
  it('has-notifiers-unlocked: both registrations find no mmu_notifier_mm, and the second install loses the first notifier', () => {
    const scenario = { ...s5, variants: { 'has-notifiers-unlocked': mutants['has-notifiers-unlocked'] } } as unknown as Scenario;
    const v = checkVariant(scenario, 'has-notifiers-unlocked', { limits: { auditExecutions: 1_000 } });
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    const hit = v.violations.find((x) => x.check === 'register-links-notifier')!;
    expect(hit.message).toMatch(/mmu_notifier_register\(kvm2?->mmu_notifier\) returned 0, but kvm2?->mmu_notifier is not on mm->mmu_notifier_mm->list/);
    const t = recordTrace(scenario, 'has-notifiers-unlocked', scenario.variants['has-notifiers-unlocked']!, s5.params, v.schedule);
    expect(t.steps.filter((x) => x.label === 'mm_has_notifiers(mm->mmu_notifier_mm)').map((x) => x.result)).toEqual(['false', 'false']);
    expect(t.steps.filter((x) => x.label === 'mm->mmu_notifier_mm = mmu_notifier_mm')).toHaveLength(2);
  });

  // the kfree of the unused allocation and the NULL after install, each removed in a mutant of the
  // same two registrations; the allocations are slab objects, held to slab-balance at the end
  it('no-kfree: the registration that finds mm->mmu_notifier_mm installed leaks its allocation', () => {
    const scenario = { ...s5, variants: { 'no-kfree': mutants['no-kfree'] } } as unknown as Scenario;
    const v = checkVariant(scenario, 'no-kfree', { limits: { auditExecutions: 1_000 } });
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    const hit = v.violations.find((x) => x.check === 'slab-balance')!;
    expect(hit.message).toMatch(
      /final state: mmu_notifier_mm \(kvm2?\), allocated by [AB] \(register2?\) at step \d+ in kmalloc\(sizeof\(struct mmu_notifier_mm\), GFP_KERNEL\), is neither freed nor kept by mm->mmu_notifier_mm: leaked/,
    );
    const t = recordTrace(scenario, 'no-kfree', scenario.variants['no-kfree']!, s5.params, v.schedule);
    expect(t.steps.filter((x) => x.label === 'kfree(mmu_notifier_mm)')).toHaveLength(0);
  });

  it('no-null-after-install: the installer frees mm->mmu_notifier_mm, and the other registration locks its list lock in freed memory', () => {
    const scenario = { ...s5, variants: { 'no-null-after-install': mutants['no-null-after-install'] } } as unknown as Scenario;
    const v = checkVariant(scenario, 'no-null-after-install', { limits: { auditExecutions: 1_000 } });
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    const hit = v.violations.find((x) => x.check === 'use-after-free')!;
    expect(hit.message).toMatch(
      /use-after-free: spin_lock\(&mm->mmu_notifier_mm->lock\) by [AB] \(register2?\) at step \d+ touches mmu_notifier_mm \(kvm2?\), freed by [AB] \(register2?\) at step \d+ in kfree\(mmu_notifier_mm\)/,
    );
    const t = recordTrace(scenario, 'no-null-after-install', scenario.variants['no-null-after-install']!, s5.params, v.schedule);
    const installs = t.steps.filter((x) => x.label === 'mm->mmu_notifier_mm = mmu_notifier_mm');
    const frees = t.steps.filter((x) => x.label === 'kfree(mmu_notifier_mm)');
    expect(installs).toHaveLength(1);
    // the installer's own kfree: the struct it just published
    expect(frees.map((x) => x.thread)).toContain(installs[0]!.thread);
  });

  it('the same two registrations with the fix hold: one installs, the other frees its allocation', () => {
    const scenario = { ...s5, variants: { two: twoFixedRegistrations } } as unknown as Scenario;
    const v = checkVariant(scenario, 'two', { limits: { auditExecutions: 1_000 } });
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBeGreaterThan(1);
  });

  it('the mutants are not registry variants', () => {
    expect(Object.keys(s5.variants)).toEqual(['buggy', 'fixed']);
    expect(mutants['has-notifiers-unlocked'].expect).toEqual({ violated: 'register-links-notifier' });
    expect(mutants['no-kfree'].expect).toEqual({ violated: 'slab-balance' });
    expect(mutants['no-null-after-install'].expect).toEqual({ violated: 'use-after-free' });
  });
});

import { describe, expect, it } from 'vitest';
import s4 from '../../scenarios/mmu-notifier-sleeping-callbacks';
import { checkVariant } from '../../src/index';
import { recordTrace, type Trace } from '../../src/trace/trace';

function violatedTrace(variant: string, check: string): Trace {
  const v = checkVariant(s4, variant);
  if (v.kind !== 'violated') throw new Error(`${variant}: expected a violation, got ${v.kind}`);
  expect(v.violations.map((x) => x.check)).toContain(check);
  return recordTrace(s4, variant, s4.variants[variant]!, s4.params, v.schedule);
}

function at(t: Trace, letter: string, label: RegExp): number {
  return t.steps.findIndex((s) => t.threads[s.thread]!.letter === letter && label.test(s.label));
}

describe('mmu-notifier-sleeping-callbacks (21a92735f6, 2ec74c3ef2)', () => {
  it('rcu-buggy: the callback sleeps inside rcu_read_lock()', () => {
    const t = violatedTrace('rcu-buggy', 'sleep-in-atomic');
    expect(t.violations[0]!.state).toBe('A atomic: rcu_read_lock()');
    expect(t.steps.at(-1)!.label).toMatch(/^wait_for_completion/);
  });

  it('rcu-buggy-unreported: unregister and kfree complete while A sleeps; A then loads mn->hlist.next', () => {
    const t = violatedTrace('rcu-buggy-unreported', 'use-after-free');
    const sleep = at(t, 'A', /^wait_for_completion/);
    const kfree = at(t, 'B', /^kfree/);
    const next = at(t, 'A', /^hlist_next_rcu/);
    expect(sleep).toBeLessThan(kfree);
    expect(kfree).toBeLessThan(next);
    expect(t.steps[next]!.violations.map((v) => v.check)).toEqual(['use-after-free']);
  });

  it('srcu-fixed: holds on every schedule; synchronize_srcu waits for the sleeping reader', () => {
    const v = checkVariant(s4, 'srcu-fixed');
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBeGreaterThan(1);
  });

  it('under-ptl-buggy: invalidate_page sleeps with the PTL held', () => {
    const t = violatedTrace('under-ptl-buggy', 'sleep-in-atomic');
    expect(t.violations[0]!.state).toBe('A atomic: spin_lock(&ptl(pte))');
  });

  it('outside-ptl-fixed holds; invalidating after the last put_page instead leaves the device mapping a freed page', () => {
    expect(checkVariant(s4, 'outside-ptl-fixed').kind).toBe('holds');
    const t = violatedTrace('outside-ptl-put-first', 'smmu-no-freed');
    const free = t.steps.findIndex((s) => s.violations.length > 0);
    expect(t.steps[free]!.label).toMatch(/last reference/);
    expect(free).toBeLessThan(at(t, 'A', /^dev_invalidate/));
  });

  it('range-args-buggy: range_end gets the advanced haddr; range-args-fixed pairs them', () => {
    const t = violatedTrace('range-args-buggy', 'range-pairing');
    expect(t.violations[0]!.message).toMatch(/invalidate_range_end\(mm, 0x2000, 0x4000\).*outstanding: \[0x0, 0x2000\)/);
    expect(checkVariant(s4, 'range-args-fixed').kind).toBe('holds');
  });
});

import { describe, expect, it } from 'vitest';
import s4, { mutants } from '../../scenarios/mmu-notifier-sleeping-callbacks';
import { checkVariant, type Scenario, type Violation } from '../../src/index';
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

  // Each part of the fixes removed in a named mutant: the verdict is the violation that part
  // prevents (the other parts are registry variants, listed in the scenario's header).
  describe('mutants', () => {
    function mutant(name: keyof typeof mutants): Violation[] {
      const scenario = { ...s4, variants: { [name]: mutants[name] } } as unknown as Scenario;
      const v = checkVariant(scenario, name);
      if (v.kind !== 'violated') throw new Error(`${name}: expected a violation, got ${v.kind}`);
      return [...v.violations];
    }

    it('srcu-fixed without synchronize_srcu: kfree(mn) while the sleeping walk still holds mn', () => {
      const uaf = mutant('srcu-no-synchronize').find((x) => x.check === 'use-after-free');
      expect(uaf?.message).toMatch(/by A \(invalidate\) .* touches dev->mn, freed by B \(unregister\) .* kfree\(dev->mn\)/);
    });

    it('outside-ptl-fixed without invalidate_page: the device still maps P when the last put frees it', () => {
      expect(mutant('outside-ptl-no-invalidate').map((x) => x.check)).toEqual(['smmu-no-freed']);
    });

    it('range-args-fixed without invalidate_range_end: range-not-ended names the start and its step, and nothing else fires', () => {
      const vs = mutant('range-args-no-end');
      expect(vs.map((x) => x.check)).toEqual(['range-not-ended']);
      expect(vs[0]!.message).toBe('A (fallback) returned after mmu_notifier_invalidate_range_start(mm, 0x0, 0x2000) at step 1: no invalidate_range_end with the same range ended it');
    });

    it('the mutants are not registry variants, and each declares the check its test finds', () => {
      expect(Object.keys(s4.variants).some((k) => k in mutants)).toBe(false);
      expect(Object.fromEntries(Object.entries(mutants).map(([k, m]) => [k, m.expect]))).toEqual({
        'srcu-no-synchronize': { violated: 'use-after-free' },
        'outside-ptl-no-invalidate': { violated: 'smmu-no-freed' },
        'range-args-no-end': { violated: 'range-not-ended' },
      });
    });
  });
});

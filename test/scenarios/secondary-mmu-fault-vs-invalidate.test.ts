import { describe, expect, it } from 'vitest';
import s6a, { mutants } from '../../scenarios/secondary-mmu-fault-vs-invalidate';
import { checkVariant, type Scenario, type Verdict } from '../../src/index';
import { recordTrace, type Trace } from '../../src/trace/trace';

function traceOf(variant: string): Trace {
  const v = checkVariant(s6a, variant);
  if (v.kind !== 'violated') throw new Error(`${variant}: expected a violation, got ${v.kind}`);
  expect(v.violations.map((x) => x.check)).toContain('smmu-no-freed');
  return recordTrace(s6a, variant, s6a.variants[variant]!, s6a.params, v.schedule);
}

/** Index of the first step of thread `letter` whose label matches. */
function at(t: Trace, letter: string, label: RegExp): number {
  return t.steps.findIndex((s) => t.threads[s.thread]!.letter === letter && label.test(s.label));
}

describe('secondary-mmu-fault-vs-invalidate (cddb8a5c14, KVM mmu_notifier_retry)', () => {
  it('no-retry: the fault maps a page the zap then frees; the spte outlives it', () => {
    const t = traceOf('no-retry');
    const gup = at(t, 'A', /^follow_page/);
    const clear = at(t, 'B', /ptep_clear_flush/);
    const map = at(t, 'A', /mmu_set_spte/);
    const free = t.steps.findIndex((s) => s.violations.some((v) => v.check === 'smmu-no-freed'));
    expect(gup).toBeLessThan(clear); // gup found the page before the zap cleared the PTE
    expect(map).toBeGreaterThanOrEqual(0);
    expect(free).toBeGreaterThan(map);
  });

  it('seq-only: the fault maps inside the open range, where seq has not moved yet', () => {
    const t = traceOf('seq-only');
    const start = at(t, 'B', /invalidate_range_start/);
    const map = at(t, 'A', /mmu_set_spte/);
    const end = at(t, 'B', /invalidate_range_end/);
    expect(start).toBeLessThan(map);
    expect(end === -1 || map < end).toBe(true);
    expect(t.violations.map((v) => v.check)).toContain('no-spte-in-active-range');
  });

  it('count-only: a whole invalidation between gup and the locked test goes unseen (count is back to 0)', () => {
    const t = traceOf('count-only');
    const gup = at(t, 'A', /^follow_page/);
    const end = at(t, 'B', /invalidate_range_end/);
    const test = at(t, 'A', /mmu_notifier_retry/);
    expect(gup).toBeLessThan(end);
    expect(end).toBeLessThan(test);
  });

  it('per-page-seq-outside-lock: the fault tests mmu_lock between the zap and the late seq bump', () => {
    const t = traceOf('per-page-seq-outside-lock');
    const gup = at(t, 'A', /^follow_page/);
    const zap = at(t, 'B', /kvm_mmu_notifier_invalidate_page/);
    const test = at(t, 'A', /mmu_notifier_retry/);
    const bump = at(t, 'B', /mmu_notifier_seq\+\+ \[after spin_unlock/);
    expect(gup < zap && zap < test && test < bump).toBe(true);
  });

  it('per-page-fixed: holds on every schedule', () => {
    expect(checkVariant(s6a, 'per-page-fixed').kind).toBe('holds');
  });

  it('fixed: holds on every schedule (exhaustive, not incomplete)', () => {
    const v = checkVariant(s6a, 'fixed');
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBeGreaterThan(10);
  });

  it('fixed: still holds with one fault attempt and with three', () => {
    expect(checkVariant(s6a, 'fixed', { params: { attempts: 1 } }).kind).toBe('holds');
    expect(checkVariant(s6a, 'fixed', { params: { attempts: 3 } }).kind).toBe('holds');
  });

  // Each part of the fix removed in a named mutant: the verdict is the violation that part prevents.
  describe('mutants', () => {
    function mutant(name: keyof typeof mutants): Verdict {
      return checkVariant({ ...s6a, variants: { [name]: mutants[name] } } as unknown as Scenario, name);
    }
    function checksOf(name: keyof typeof mutants): string[] {
      const v = mutant(name);
      if (v.kind !== 'violated') throw new Error(`${name}: expected a violation, got ${v.kind}`);
      return v.violations.map((x) => x.check);
    }

    it('without the count test the fault maps inside the open range (no-spte-in-active-range), then P is freed under the spte', () => {
      expect(checksOf('no-count-test')).toEqual(['no-spte-in-active-range', 'smmu-no-freed']);
    });

    it('with mmu_seq sampled after gup, or the test and the install in two mmu_lock sections, an spte outlives P', () => {
      expect(checksOf('seq-after-gup')).toContain('smmu-no-freed');
      expect(checksOf('test-and-map-apart')).toContain('smmu-no-freed');
    });

    it('the two sections fused into one step are a model error (fused() no longer hides them)', () => {
      expect(() => mutant('test-and-map-apart-fused')).toThrow(
        /fused step of A \(fault\) drops kvm->mmu_lock at spin_unlock\(&kvm->mmu_lock\) and uses it again at spin_lock\(&kvm->mmu_lock\)/,
      );
    });

    it('without kvm_release_pfn_clean the gup reference leaks: reference-leak when the fault returns, and nothing else', () => {
      const v = mutant('no-release-pfn');
      expect(v.kind).toBe('violated');
      if (v.kind !== 'violated') return;
      expect(v.violations.map((x) => x.check)).toEqual(['reference-leak']);
      expect(v.violations[0]!.message).toMatch(/^A \(fault\) returned after get_user_pages\(0x1000\): get_page\(P\) \(a reference on P\) at step \d+: the reference was never put/);
    });

    it('the mutants are not registry variants', () => {
      expect(Object.keys(s6a.variants).some((k) => k in mutants)).toBe(false);
    });
  });
});

import { describe, expect, it } from 'vitest';
import s6b, { mutants } from '../../scenarios/secondary-mmu-change-pte-nested';
import { checkVariant, type Scenario, type Violation } from '../../src/index';
import { recordTrace } from '../../src/trace/trace';

describe('secondary-mmu-change-pte-nested (6bdb913f0a)', () => {
  it('buggy: change_pte maps Q inside the munmap range; munmap frees Q and the spte survives its range_end', () => {
    const v = checkVariant(s6b, 'buggy');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    expect(v.violations.map((x) => x.check).sort()).toEqual(['smmu-no-freed', 'spte-matches-pte']);
    const t = recordTrace(s6b, 'buggy', s6b.variants.buggy!, s6b.params, v.schedule);
    const at = (letter: string, label: RegExp) => t.steps.findIndex((s) => t.threads[s.thread]!.letter === letter && label.test(s.label));
    const outerStart = at('B', /invalidate_range_start/);
    const changePte = at('A', /change_pte/);
    const outerClear = at('B', /ptep_clear_flush/);
    const free = at('B', /free_pages_and_swap_cache\(Q\)/);
    // B's invalidation was outstanding when change_pte created the spte, and cleared the PTE after
    expect(outerStart).toBeLessThan(changePte);
    expect(changePte).toBeLessThan(outerClear);
    // Q is freed with the spte still on it: at B's free, or at the last put_page(Q) after it
    const freed = t.steps.findIndex((s) => s.violations.some((x) => x.check === 'smmu-no-freed'));
    expect(freed).toBeGreaterThanOrEqual(free);
    expect(t.steps[freed]!.label).toMatch(/free_pages_and_swap_cache\(Q\)|put_page\(Q\)/);
  });

  it('fixed (create only when not nested) and rewrite-only both hold on every schedule', () => {
    for (const name of ['fixed', 'rewrite-only']) {
      const v = checkVariant(s6b, name);
      expect(v.kind, name).toBe('holds');
      expect(v.stats.executions).toBeGreaterThan(10);
    }
  });

  describe('mutants', () => {
    function violations(name: keyof typeof mutants): Violation[] {
      const v = checkVariant({ ...s6b, variants: { [name]: mutants[name] } } as unknown as Scenario, name);
      if (v.kind !== 'violated') throw new Error(`${name}: expected a violation, got ${v.kind}`);
      return [...v.violations];
    }

    it('replace_page without the pte_same re-check removes P\'s rmap a second time after munmap cleared the PTE', () => {
      const bug = violations('no-pte-same').find((x) => x.check === 'bug-on');
      expect(bug?.message).toMatch(/page_remove_rmap\(P\).*P mapcount goes negative/);
      expect(bug?.thread).toBe(0); // A
    });

    it('without 6bdb913f0a\'s bracket the fixed client creates the spte inside munmap\'s range, and Q is freed under it', () => {
      expect(violations('unbracketed').map((x) => x.check)).toContain('smmu-no-freed');
    });

    it('with Q mapped elsewhere nothing is freed, and the missed invalidation is an spte the PTE no longer backs', () => {
      const vs = violations('shared-kpage');
      expect(vs.map((x) => x.check)).toEqual(['spte-matches-pte']);
      expect(vs[0]!.message).toBe('kvm spte[0x1000] maps Q but the PTE maps nothing');
    });

    it('the mutants are not registry variants', () => {
      expect(Object.keys(s6b.variants)).toEqual(['buggy', 'fixed', 'rewrite-only']);
    });
  });
});

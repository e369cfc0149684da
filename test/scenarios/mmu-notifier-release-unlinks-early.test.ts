import { describe, expect, it } from 'vitest';
import s2 from '../../scenarios/mmu-notifier-release-unlinks-early';
import { checkVariant } from '../../src/index';
import { recordTrace } from '../../src/trace/trace';

describe('mmu-notifier-release-unlinks-early (3ad3d901bb)', () => {
  it('buggy: try_to_unmap_one frees P while the spte maps it; the late ->release then writes its flags', () => {
    const v = checkVariant(s2, 'buggy');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    expect(v.violations.map((x) => x.check)).toEqual(['smmu-no-freed', 'use-after-free']);
    expect(v.stats.executions).toBe(8);
    // The walk of B found the list already empty: A's unlink precedes B's walk, B's free precedes A's ->release.
    const t = recordTrace(s2, 'buggy', s2.variants.buggy!, s2.params, v.schedule);
    const at = (letter: string, label: RegExp) => t.steps.findIndex((s) => t.threads[s.thread]!.letter === letter && label.test(s.label));
    const unlink = at('A', /hlist_del_init_rcu/);
    const walk = at('B', /^hlist_first_rcu/);
    const free = at('B', /last reference/);
    const release = at('A', /kvm_mmu_notifier_release/);
    expect(unlink < walk && walk < free && free < release).toBe(true);
    expect(t.steps[walk]!.result).toBe('NULL');
  });

  it('fixed: holds on every schedule', () => {
    const v = checkVariant(s2, 'fixed');
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBe(8);
  });
});

import { describe, expect, it } from 'vitest';
import s3 from '../../scenarios/mmu-notifier-release-before-unlink';
import { checkVariant } from '../../src/index';
import { decodeSchedule } from '../../src/trace/schedule-token';
import { recordTrace } from '../../src/trace/trace';

describe('mmu-notifier-release-before-unlink (751efd8610 → d34883d4e3)', () => {
  it('buggy: __mmu_notifier_release unlinks, try_to_unmap_one walks the empty list and frees P', () => {
    const v = checkVariant(s3, 'buggy');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    expect(v.violations.map((x) => x.check)).toEqual(['smmu-no-freed']);
    expect(v.stats.executions).toBe(4);
    const t = recordTrace(s3, 'buggy', s3.variants.buggy!, s3.params, v.schedule);
    const at = (letter: string, label: RegExp) => t.steps.findIndex((s) => t.threads[s.thread]!.letter === letter && label.test(s.label));
    expect(at('B', /hlist_del_init_rcu/)).toBeLessThan(at('C', /^hlist_first_rcu/));
    expect(at('C', /last reference/)).toBeLessThan(at('B', /kvm_mmu_notifier_release/));
  });

  it('buggy: mmu_notifier_unregister has the same flaw (A unlinks, C frees, A releases)', () => {
    const params = { ...s3.params, unregister: 1 };
    const t = recordTrace(s3, 'buggy', s3.variants.buggy!, params, decodeSchedule('A4C4A5B6'));
    expect(t.violations.map((x) => x.check)).toEqual(['smmu-no-freed']);
    expect(t.steps[2]!.label).toBe('hlist_del_rcu(&kvm->mmu_notifier->hlist)');
    expect(t.steps[5]!.result).toBe('NULL'); // C's walk finds the list empty
  });

  it('fixed: release before unlink holds on every schedule', () => {
    const v = checkVariant(s3, 'fixed');
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBe(11);
  });

  it('benign-double-release: the second ->release d34883d4e3 accepts is reachable', () => {
    const v = checkVariant(s3, 'benign-double-release');
    expect(v.kind === 'violated' && v.violations.map((x) => x.check)).toEqual(['release-at-most-once']);
    expect(v.stats.executions).toBe(9);
  });
});

/**
 * S3 fixed at `--param unregister=1` (all three actors), and with each of its synchronize_srcu()
 * calls dropped. The search finishes now that invariants declare what they observe (under the
 * whole-world observer it was cut after a million executions). Counts are pinned: a change in them
 * is a change in the reduction or the model.
 */
import { describe, expect, it } from 'vitest';
import s3, { fixedThreadsWithout } from '../../scenarios/mmu-notifier-release-before-unlink';
import { checkVariant, type Scenario } from '../../src/index';

const params = { ...s3.params, unregister: 1 };

function mutant(drop: 'unregister-sync' | 'release-sync' | null, freeMn: boolean): Scenario {
  const fixed = s3.variants.fixed!;
  const threads = fixedThreadsWithout(drop, freeMn) as typeof fixed.threads;
  return { ...s3, variants: { m: { ...fixed, summary: `fixed without ${drop ?? 'nothing'}`, threads } } };
}

describe('mmu-notifier-release-before-unlink, unregister=1', () => {
  it('fixed holds on every schedule of the three actors', () => {
    const v = checkVariant(s3, 'fixed', { params });
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBe(702);
  });

  it("fixed, with the driver's kfree(mn) once unregister returns, still holds", () => {
    const v = checkVariant(mutant(null, true), 'm', { params });
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBe(1047);
  });

  // why C's walk and not B's ->release: C's load of mn->hlist.next, fused after its callback, now
  // declares reading mn where A frees it (the footprint audit found it undeclared), so dfs orders
  // the two and the first violation it meets is C's; B's ->release after the kfree is the same bug
  it("without unregister's synchronize_srcu, the driver frees mn while an SRCU walker (C's invalidate_page walk) still loads from it", () => {
    const v = checkVariant(mutant('unregister-sync', true), 'm', { params });
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    expect(v.violations.map((x) => x.check)).toEqual(['use-after-free']);
    expect(v.violations[0]!.message).toMatch(/hlist_next_rcu\(&kvm->mmu_notifier->hlist\) by C \(unmap\) .* freed by A \(unregister\) at step \d+ in kfree\(kvm->mmu_notifier\)/);
  });

  // Not (yet) a violation, and why: the model's KVM ->release is one step (zap every spte, then
  // return), so no thread is ever seen inside it, and exit_mmap()'s freeing of the mm's pages after
  // __mmu_notifier_release() returns is not modelled. What that sync protects, exit_mmap freeing
  // pages while unregister's ->release still runs, cannot happen in this model. Pinned so that a
  // model which can show it makes this test fail and be turned into a violation.
  it("without __mmu_notifier_release's synchronize_srcu: holds, as the model cannot show its race", () => {
    const v = checkVariant(mutant('release-sync', true), 'm', { params });
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBe(269);
  });
});

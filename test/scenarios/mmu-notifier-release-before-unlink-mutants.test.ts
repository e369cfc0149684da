/**
 * S3 fixed at `--param unregister=1` (all three actors, the driver's kfree(mn) after unregister,
 * exit_mmap freeing Q), and each part of d34883d4e3's fix removed in a named mutant the scenario
 * exports: the verdict must be the violation that part prevents. Counts are pinned: a change in
 * them is a change in the reduction or the model.
 */
import { describe, expect, it } from 'vitest';
import s3, { mutants } from '../../scenarios/mmu-notifier-release-before-unlink';
import { checkVariant, type Scenario, type Verdict } from '../../src/index';

const params = { ...s3.params, unregister: 1 };

/** The scenario with one of its exported mutants as its only variant. */
function withMutant(name: keyof typeof mutants, expect = mutants[name].expect): Scenario {
  return { ...s3, variants: { [name]: { ...mutants[name], expect } } } as unknown as Scenario;
}

function run(name: keyof typeof mutants, expect = mutants[name].expect): Verdict {
  return checkVariant(withMutant(name, expect), name, { params });
}

/** The message of the violation of `check` (the search stops at the first execution that has it). */
function found(v: Verdict, check: string): string {
  expect(v.kind).toBe('violated');
  if (v.kind !== 'violated') return '';
  const hit = v.violations.find((x) => x.check === check);
  expect(hit, `${check} among ${v.violations.map((x) => x.check).join(', ')}`).toBeDefined();
  return hit?.message ?? '';
}

describe('mmu-notifier-release-before-unlink, unregister=1', () => {
  it('fixed holds on every schedule of the three actors', () => {
    const v = checkVariant(s3, 'fixed', { params });
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBe(4506);
  });

  it("without B's release-before-unlink (751efd8610's __mmu_notifier_release): C frees P the VM still maps", () => {
    expect(found(run('exit-unlinks-first'), 'smmu-no-freed')).toMatch(/^P was freed while kvm spte\[0x1000\] still maps it/);
  });

  it("without A's release-before-unlink (751efd8610's mmu_notifier_unregister): C frees P the VM still maps", () => {
    expect(found(run('unregister-unlinks-first'), 'smmu-no-freed')).toMatch(/^P was freed while kvm spte\[0x1000\] still maps it/);
  });

  it("without A's hlist_del_init_rcu: S1's NULL dereference", () => {
    expect(found(run('unregister-hlist-del-rcu'), 'oops')).toMatch(/hlist_del_rcu\(&kvm->mmu_notifier->hlist\): NULL pointer dereference/);
  });

  it("without A's unlink: mn is still on the list when unregister returns", () => {
    expect(found(run('unregister-no-unlink'), 'unregister-unlinked')).toMatch(/still reachable from mm->mmu_notifier_mm->list/);
  });

  it("without A's synchronize_srcu: B is still in mn->release when unregister returns", () => {
    expect(found(run('unregister-no-sync'), 'unregister-quiescent')).toMatch(/release still running after unregister returned/);
  });

  it("without A's synchronize_srcu: a walk that loaded mn touches it after the driver's kfree", () => {
    const msg = found(run('unregister-no-sync', { violated: 'use-after-free' }), 'use-after-free');
    expect(msg).toMatch(/by [BC] \((release|unmap)\) .* touches kvm->mmu_notifier, freed by A \(unregister\) .* kfree\(kvm->mmu_notifier\)/);
  });

  it("without B's synchronize_srcu: exit_mmap goes on while A's ->release, begun before, still runs", () => {
    expect(found(run('release-no-sync'), 'exit-after-release')).toMatch(/a ->release that began before the grace period is still in flight/);
  });

  // `release-unlock-before-unlink` (harmless, as the header says) is not run here: it costs as much
  // as fixed, and the same code is pinned holding in S1 (test/scenarios/mmu-notifier-unregister-release.test.ts).

  it('every mutant declares the violation its test expects, and none is a registry variant', () => {
    expect(Object.keys(s3.variants)).toEqual(['buggy', 'fixed', 'benign-double-release']);
    expect(Object.fromEntries(Object.entries(mutants).map(([k, m]) => [k, m.expect]))).toEqual({
      'exit-unlinks-first': { violated: 'smmu-no-freed' },
      'unregister-unlinks-first': { violated: 'smmu-no-freed' },
      'unregister-hlist-del-rcu': { violated: 'oops' },
      'unregister-no-unlink': { violated: 'unregister-unlinked' },
      'unregister-no-sync': { violated: 'unregister-quiescent' },
      'release-no-sync': { violated: 'exit-after-release' },
      'release-unlock-before-unlink': 'holds',
    });
  });

  it('every invariant of the scenario is the declared violation of a variant or a mutant', () => {
    const declared = new Set([...Object.values(s3.variants), ...Object.values(mutants)].map((v) => (v.expect === undefined || v.expect === 'holds' ? null : v.expect.violated)));
    const ids = new Set(Object.values(s3.variants).flatMap((v) => (v.invariants ?? []).map((i) => i.id)));
    for (const id of ids) expect(declared.has(id), id).toBe(true);
  });
});

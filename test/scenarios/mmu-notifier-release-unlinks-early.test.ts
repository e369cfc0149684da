import { describe, expect, it } from 'vitest';
import s2, { mutants } from '../../scenarios/mmu-notifier-release-unlinks-early';
import { checkVariant, type Scenario } from '../../src/index';
import { recordTrace } from '../../src/trace/trace';

describe('mmu-notifier-release-unlinks-early (3ad3d901bb)', () => {
  it('buggy: try_to_unmap_one frees P while the spte maps it; the late ->release then writes its flags', () => {
    const v = checkVariant(s2, 'buggy');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    expect(v.violations.map((x) => x.check)).toEqual(['smmu-no-freed', 'use-after-free']);
    expect(v.stats.executions).toBe(26);
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

  it('fixed: holds on every schedule of the three threads', () => {
    const v = checkVariant(s2, 'fixed');
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBe(2873);
  });

  // Each part of 3ad3d901bb's fix removed in a named mutant the scenario exports: the verdict must
  // be the violation that part prevents.
  const found = (name: keyof typeof mutants) => {
    const scenario = { ...s2, variants: { [name]: mutants[name] } } as unknown as Scenario;
    const v = checkVariant(scenario, name);
    expect(v.kind).toBe('violated');
    const want = mutants[name].expect;
    if (v.kind !== 'violated' || want === undefined || want === 'holds') return null;
    const hit = v.violations.find((x) => x.check === want.violated);
    expect(hit).toBeDefined();
    return hit!;
  };

  it('with the original __mmu_notifier_release (unlink, then ->release): B frees P the VM still maps', () => {
    expect(found('exit-unlinks-first')?.message).toMatch(/^P was freed while kvm spte\[0x1000\] still maps it/);
  });

  it('with the original mmu_notifier_unregister (unlink, then ->release): B frees P the VM still maps', () => {
    expect(found('unregister-unlinks-first')?.message).toMatch(/^P was freed while kvm spte\[0x1000\] still maps it/);
  });

  it("with 3ad3d901bb's own hlist_del_rcu in unregister: S1's NULL dereference, in C", () => {
    const hit = found('unregister-hlist-del-rcu');
    expect(hit?.message).toMatch(/hlist_del_rcu\(&kvm->mmu_notifier->hlist\): NULL pointer dereference/);
    expect(hit?.thread).toBe(2);
  });

  it("without __mmu_notifier_release's synchronize_rcu: exit_mmap goes on while C's ->release, begun before, still runs", () => {
    expect(found('release-no-sync')?.message).toMatch(/a ->release that began before the grace period is still in flight/);
  });

  it('every invariant of the scenario is the declared violation of a variant or a mutant', () => {
    const all = [...Object.values(s2.variants), ...Object.values(mutants)];
    const declared = new Set(all.map((v) => (v.expect === undefined || v.expect === 'holds' ? null : v.expect.violated)));
    for (const id of new Set(all.flatMap((v) => (v.invariants ?? []).map((i) => i.id)))) expect(declared.has(id), id).toBe(true);
  });
});

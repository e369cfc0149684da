import { describe, expect, it } from 'vitest';
import s1, { mutants } from '../../scenarios/mmu-notifier-unregister-release';
import { checkVariant, type Scenario } from '../../src/index';
import { renderTable } from '../../src/report/table';
import { decodeSchedule, decodeToken, encodeToken } from '../../src/trace/schedule-token';
import { recordTrace } from '../../src/trace/trace';

/** The scenario with one of its exported mutants as its only variant. */
function withMutant(name: keyof typeof mutants): Scenario {
  return { ...s1, variants: { [name]: mutants[name] } } as unknown as Scenario;
}

describe('mmu-notifier-unregister-release (751efd8610, d34883d4e3)', () => {
  const buggy = checkVariant(s1, 'buggy');

  it('buggy: some schedule oopses in hlist_del_rcu, and ->release runs twice', () => {
    expect(buggy.kind).toBe('violated');
    if (buggy.kind !== 'violated') return;
    const checks = buggy.violations.map((v) => v.check);
    expect(checks).toContain('oops');
    expect(checks).toContain('release-at-most-once');
    const oops = buggy.violations.find((v) => v.check === 'oops')!;
    expect(oops.state).toBe('mn->hlist.pprev = NULL');
  });

  it("buggy: the trace has B's hlist_del_init_rcu between A's hlist_unhashed and A's hlist_del_rcu", () => {
    if (buggy.kind !== 'violated') throw new Error('expected a violation');
    const t = recordTrace(s1, 'buggy', s1.variants.buggy!, s1.params, buggy.schedule);
    const at = (thread: string, label: string) =>
      t.steps.findIndex((s) => t.threads[s.thread]!.letter === thread && s.label === label);
    const test = at('A', 'hlist_unhashed(&mn->hlist)');
    const unlink = at('B', 'hlist_del_init_rcu(&mn->hlist)');
    const del = at('A', 'hlist_del_rcu(&mn->hlist)');
    expect(test).toBeGreaterThanOrEqual(0);
    expect(test < unlink && unlink < del).toBe(true);
    expect(t.steps[del]!.violations.map((v) => v.check)).toEqual(['oops']);
  });

  it('buggy: the replay token reproduces the identical trace', () => {
    if (buggy.kind !== 'violated') throw new Error('expected a violation');
    const token = encodeToken({ scenario: s1.id, variant: 'buggy', params: {}, schedule: buggy.schedule });
    const back = decodeToken(token);
    const first = recordTrace(s1, 'buggy', s1.variants.buggy!, s1.params, buggy.schedule);
    const again = recordTrace(s1, back.variant, s1.variants[back.variant]!, s1.params, back.schedule);
    expect(renderTable(again)).toBe(renderTable(first));
  });

  it('fixed: holds on every schedule (exhaustive, not incomplete)', () => {
    const fixed = checkVariant(s1, 'fixed');
    expect(fixed.kind).toBe('holds');
    expect(fixed.stats.executions).toBeGreaterThan(1);
  });

  it('fixed: a second, harmless ->release is reachable, which is why it does not declare release-at-most-once', () => {
    const v = checkVariant(withMutant('benign-double-release'), 'benign-double-release');
    expect(v.kind === 'violated' && v.violations.map((x) => x.check)).toEqual(['release-at-most-once']);
  });

  it("fixed: d34883d4e3's __mmu_notifier_release leaves SRCU after its unlink loop, v3.7's before it", () => {
    const t = recordTrace(s1, 'fixed', s1.variants.fixed!, s1.params, decodeSchedule('B12A3'));
    const labels = t.steps.map((s) => s.label);
    expect(labels.indexOf('srcu_read_unlock(&srcu)')).toBeGreaterThan(labels.indexOf('hlist_del_init_rcu(&mn->hlist)'));
    const old = recordTrace(s1, 'buggy', s1.variants.buggy!, s1.params, decodeSchedule('B12A3'));
    const oldLabels = old.steps.map((s) => s.label);
    expect(oldLabels.indexOf('srcu_read_unlock(&srcu)')).toBeLessThan(oldLabels.indexOf('hlist_del_init_rcu(&mn->hlist)'));
  });

  // Each part of the fixed code removed in a named mutant the scenario exports: the verdict must be
  // the violation that part prevents.
  describe.each([1, 2])('mutants, notifiers=%i', (notifiers) => {
    const found = (name: keyof typeof mutants) => {
      const v = checkVariant(withMutant(name), name, { params: { notifiers } });
      expect(v.kind).toBe('violated');
      const want = mutants[name].expect;
      if (v.kind !== 'violated' || want === undefined || want === 'holds') return '';
      const hit = v.violations.find((x) => x.check === want.violated);
      expect(hit).toBeDefined();
      return hit?.message ?? '';
    };
    it("hlist_del_rcu in unregister: the NULL dereference of v3.7 comes back", () => {
      expect(found('unregister-hlist-del-rcu')).toMatch(/hlist_del_rcu\(&mn->hlist\): NULL pointer dereference/);
    });
    it('no unlink in unregister: mn still on the list when unregister returns', () => {
      expect(found('unregister-no-unlink')).toMatch(/mn still reachable/);
    });
    it("no synchronize_srcu in unregister: B is still in mn->release when it returns", () => {
      expect(found('unregister-no-sync')).toMatch(/mn->ops->release still running after unregister returned/);
    });
    it("no synchronize_srcu in __mmu_notifier_release: exit_mmap goes on while A's ->release runs", () => {
      expect(found('release-no-sync')).toMatch(/exit_mmap proceeds with mn: 2 release calls, 1 in flight/);
    });
    // Harmless, as the header says; pinned so that a model in which it matters shows up here.
    it("v3.7's srcu_read_unlock before the unlink loop: still holds", () => {
      expect(checkVariant(withMutant('release-unlock-before-unlink'), 'release-unlock-before-unlink', { params: { notifiers } }).kind).toBe('holds');
    });
  });

  it('every invariant of the scenario is the declared violation of a variant or a mutant', () => {
    const all = [...Object.values(s1.variants), ...Object.values(mutants)];
    const declared = new Set(all.map((v) => (v.expect === undefined || v.expect === 'holds' ? null : v.expect.violated)));
    for (const id of new Set(all.flatMap((v) => (v.invariants ?? []).map((i) => i.id)))) expect(declared.has(id), id).toBe(true);
  });

  it('fixed with two notifiers (next->pprev fix-up) still holds', () => {
    expect(checkVariant(s1, 'fixed', { params: { notifiers: 2 } }).kind).toBe('holds');
  }, 60_000);
});

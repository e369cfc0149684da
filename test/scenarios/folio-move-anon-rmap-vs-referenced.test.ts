import { describe, expect, it } from 'vitest';
import scenario, { mutants } from '../../scenarios/folio-move-anon-rmap-vs-referenced';
import { checkVariant, type Scenario } from '../../src/index';
import { decodeSchedule } from '../../src/trace/schedule-token';
import { recordTrace } from '../../src/trace/trace';

/** The scenario with one of its exported mutants as its only variant. */
function withMutant(name: keyof typeof mutants): Scenario {
  return { ...scenario, variants: { [name]: mutants[name] } } as unknown as Scenario;
}

// Execution counts are those of the default exhaustive strategy; a change in the explorer's
// reduction or in the model's steps moves them, and then they are re-pinned on purpose.
describe('folio-move-anon-rmap-vs-referenced', () => {
  it('buggy: some schedule violates rmap-root-match', () => {
    const v = checkVariant(scenario, 'buggy');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    const hit = v.violations.find((x) => x.check === 'rmap-root-match');
    expect(hit?.message).toMatch(/holds src_anon_vma->rwsem, but folio->mapping = dst_anon_vma/);
    // 222 under the whole-world observer, before the invariants declared what they observe
    expect(v.stats.executions).toBe(3);
  });

  it('buggy: the stale walk also misses the VMA that maps the folio (rmap-walk-complete)', () => {
    // the same variant, searched for its second invariant instead of the one it declares
    const variant = { ...scenario.variants.buggy!, expect: { violated: 'rmap-walk-complete' } };
    const v = checkVariant({ ...scenario, variants: { buggy: variant } }, 'buggy');
    expect(v.kind === 'violated' && v.violations.some((x) => x.check === 'rmap-walk-complete')).toBe(true);
  });

  it('buggy and fixed: the reclaim reader gives up when the root rwsem is contended (rwc.try_lock)', () => {
    // A: folio_lock, down_write | B: rcu_read_lock, mapping, folio_mapped, root, trylock fails, rcu_read_unlock
    const t = recordTrace(scenario, 'fixed', scenario.variants.fixed!, scenario.params, decodeSchedule('A2B6A6'));
    expect(t.violations).toEqual([]);
    const b = t.steps.filter((s) => s.thread === 1).map((s) => `${s.label} → ${s.result}`);
    expect(b).toEqual([
      'rcu_read_lock() → null',
      'READ_ONCE(folio->mapping) → src_anon_vma, index 0',
      'folio_mapped(folio) → true',
      'READ_ONCE(src_anon_vma->root) → src_anon_vma',
      'down_read_trylock(&src_anon_vma->rwsem) → false',
      'rcu_read_unlock() → null',
    ]);
  });

  it('sleeping-fixed: the sleeping path sees the move after down_read, retries and walks the new anon_vma', () => {
    // A: folio_lock, down_write, PTL | B: up to sleeping in down_read (pinned) | A: move, unlock all
    // | B: wakes, re-checks, retries on dst_anon_vma and finds the young PTE in dst_vma
    const fixed = scenario.variants['sleeping-fixed']!;
    const t = recordTrace(scenario, 'sleeping-fixed', fixed, scenario.params, decodeSchedule('A3B8A5B17'));
    expect(t.violations).toEqual([]);
    const b = t.steps.filter((s) => s.thread === 1).map((s) => `${s.label} → ${s.result}`);
    expect(b.slice(9, 12)).toEqual([
      'READ_ONCE(folio->mapping) → dst_anon_vma, index 8',
      'up_read(&src_anon_vma->rwsem) → null',
      'refcount_dec_and_test(&src_anon_vma->refcount) → false',
    ]);
    expect(b).toContain('down_read_trylock(&dst_anon_vma->rwsem) → true');
    expect(b).toContain('page_vma_mapped_walk + ptep_clear_flush_young(pte[1], folio) → true');
  });

  it('fixed: holds on every schedule', { timeout: 60_000 }, () => {
    const v = checkVariant(scenario, 'fixed');
    expect(v.kind).toBe('holds');
    // 937 under the whole-world observer; 7 is also the count with no invariants at all
    expect(v.stats.executions).toBe(7);
  });

  it('sleeping-buggy: the page_idle/DAMON walk also runs under the old root', () => {
    const v = checkVariant(scenario, 'sleeping-buggy');
    expect(v.kind === 'violated' && v.violations.find((x) => x.check === 'rmap-root-match')?.message).toMatch(/holds src_anon_vma->rwsem, but folio->mapping = dst_anon_vma/);
  });

  it('sleeping-fixed: holds on every schedule', { timeout: 60_000 }, () => {
    const v = checkVariant(scenario, 'sleeping-fixed');
    expect(v.kind).toBe('holds');
    // 4,412 under the whole-world observer; 8 is also the count with no invariants at all
    expect(v.stats.executions).toBe(8);
  });

  // The fix's parts, each removed in a named mutant the scenario exports.
  it('without the old root rwsem held for write by UFFDIO_MOVE, the re-checked walk misses dst_vma', () => {
    const v = checkVariant(withMutant('move-without-root-lock'), 'move-without-root-lock');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    expect(v.violations.find((x) => x.check === 'rmap-walk-complete')?.message).toBe('rmap walk of folio missed dst_vma, which maps it');
  });

  for (const name of ['sleeping-no-trylock-recheck', 'sleeping-no-sleep-recheck'] as const) {
    it(`${name}: the sleeping walker runs under the old root`, () => {
      const m = withMutant(name);
      const v = checkVariant(m, name);
      expect(v.kind).toBe('violated');
      if (v.kind !== 'violated') return;
      expect(v.violations.find((x) => x.check === 'rmap-root-match')?.message).toMatch(/holds src_anon_vma->rwsem, but folio->mapping = dst_anon_vma/);
      // each mutant loses its re-check on a different path: the trylock that succeeded, or the sleep
      const steps = recordTrace(m, name, m.variants[name]!, scenario.params, v.schedule).steps.filter((s) => s.thread === 1).map((s) => `${s.label} → ${s.result}`);
      const slept = steps.includes('down_read(&src_anon_vma->rwsem) → null');
      expect(slept).toBe(name === 'sleeping-no-sleep-recheck');
    });
  }

  it('the mutants are not registry variants, and each declares the violation its test finds', () => {
    expect(Object.keys(scenario.variants)).toEqual(['buggy', 'fixed', 'sleeping-buggy', 'sleeping-fixed']);
    expect(mutants['move-without-root-lock'].expect).toEqual({ violated: 'rmap-walk-complete' });
    expect(mutants['sleeping-no-trylock-recheck'].expect).toEqual({ violated: 'rmap-root-match' });
    expect(mutants['sleeping-no-sleep-recheck'].expect).toEqual({ violated: 'rmap-root-match' });
  });
});

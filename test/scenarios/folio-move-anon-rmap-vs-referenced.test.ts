import { describe, expect, it } from 'vitest';
import scenario from '../../scenarios/folio-move-anon-rmap-vs-referenced';
import { checkVariant } from '../../src/index';
import { decodeSchedule } from '../../src/trace/schedule-token';
import { recordTrace } from '../../src/trace/trace';

// Execution counts are those of the default exhaustive strategy; a change in the explorer's
// reduction or in the model's steps moves them, and then they are re-pinned on purpose.
describe('folio-move-anon-rmap-vs-referenced', () => {
  it('buggy: some schedule violates rmap-root-match', () => {
    const v = checkVariant(scenario, 'buggy');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    const hit = v.violations.find((x) => x.check === 'rmap-root-match');
    expect(hit?.message).toMatch(/holds src_anon_vma->rwsem, but folio->mapping = dst_anon_vma/);
    expect(v.stats.executions).toBe(367);
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
    expect(v.stats.executions).toBe(1499);
  });

  it('sleeping-buggy: the page_idle/DAMON walk also runs under the old root', () => {
    const v = checkVariant(scenario, 'sleeping-buggy');
    expect(v.kind === 'violated' && v.violations.find((x) => x.check === 'rmap-root-match')?.message).toMatch(/holds src_anon_vma->rwsem, but folio->mapping = dst_anon_vma/);
  });

  it('sleeping-fixed: holds on every schedule', { timeout: 60_000 }, () => {
    const v = checkVariant(scenario, 'sleeping-fixed');
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBe(5289);
  });
});

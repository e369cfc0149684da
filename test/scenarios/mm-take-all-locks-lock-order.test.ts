import { describe, expect, it } from 'vitest';
import s7b, { mutants } from '../../scenarios/mm-take-all-locks-lock-order';
import { checkVariant } from '../../src/index';
import type { Scenario } from '../../src/runtime/scenario';
import { recordTrace } from '../../src/trace/trace';

const merged = { ...s7b, variants: { 'merged-passes': mutants['merged-passes'] } } as unknown as Scenario;

describe('mm-take-all-locks-lock-order (7cd5a02f54f4)', () => {
  it('buggy: lockdep sees anon_vma->lock → i_mmap_lock in register and the reverse in vma_adjust', () => {
    const v = checkVariant(s7b, 'buggy');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    const lo = v.violations.find((x) => x.check === 'lock-order')!;
    expect(lo.message).toMatch(/possible circular locking dependency/);
    expect(lo.message).toMatch(/&mapping->i_mmap_lock taken while holding &anon_vma->lock \(A \(register\)/);
    expect(lo.message).toMatch(/&anon_vma->lock taken while holding &mapping->i_mmap_lock \(B \(vmaAdjust\)/);
  });

  it('buggy: the inversion is a reachable deadlock, each thread spinning on the lock the other holds', () => {
    const scenario = { ...s7b, variants: { buggy: { ...s7b.variants.buggy!, expect: { violated: 'deadlock' } } } };
    const v = checkVariant(scenario, 'buggy');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    const d = v.violations.find((x) => x.check === 'deadlock')!;
    expect(d.message).toMatch(/M->i_mmap_lock held by B \(vmaAdjust\)/);
    expect(d.message).toMatch(/A->lock held by A \(register\)/);
  });

  it('fixed: holds on every schedule (no lock-order report, no deadlock), with mm1\'s heap VMA too', () => {
    for (const vmas of [1, 2]) {
      const v = checkVariant(s7b, 'fixed', { params: { vmas } });
      expect(v.kind, `vmas=${vmas}`).toBe('holds');
      expect(v.stats.executions).toBeGreaterThan(1);
    }
  });

  it('buggy with the heap VMA: still the inversion', () => {
    expect(checkVariant(s7b, 'buggy', { params: { vmas: 2 } }).kind).toBe('violated');
  });

  // 7cd5a02f54f4's one part is the order of the passes; merging them is the mutant, which needs
  // a second VMA in mm1 to differ from the fix
  it('merged-passes: the heap\'s anon_vma lock is held for M\'s i_mmap lock, against vma_adjust\'s order', () => {
    const v = checkVariant(merged, 'merged-passes', { params: { vmas: 2 }, limits: { auditExecutions: 1_000 } });
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    const lo = v.violations.find((x) => x.check === 'lock-order')!;
    expect(lo.message).toMatch(/possible circular locking dependency/);
    expect(lo.message).toMatch(/&mapping->i_mmap_lock taken while holding &anon_vma->lock \(A \(register\) at step \d+ in spin_lock_nest_lock\(&M->i_mmap_lock, &mm1->mmap_sem\); &anon_vma->lock taken by A \(register\) at step \d+ in spin_lock_nest_lock\(&H->lock, &mm1->mmap_sem\)\)/);
    expect(lo.message).toMatch(/&anon_vma->lock taken while holding &mapping->i_mmap_lock \(B \(vmaAdjust\)/);
    const t = recordTrace(merged, 'merged-passes', merged.variants['merged-passes']!, { vmas: 2 }, v.schedule);
    const takes = t.steps.filter((x) => t.threads[x.thread]!.letter === 'A' && x.label.startsWith('spin_lock_nest_lock')).map((x) => x.label);
    expect(takes).toEqual(['spin_lock_nest_lock(&H->lock, &mm1->mmap_sem)', 'spin_lock_nest_lock(&M->i_mmap_lock, &mm1->mmap_sem)', 'spin_lock_nest_lock(&A->lock, &mm1->mmap_sem)']);
  });

  it('merged-passes: lockdep only; vma_adjust holds A, not H, so no schedule deadlocks', () => {
    const asDeadlock = { ...merged, variants: { d: { ...mutants['merged-passes'], expect: { violated: 'deadlock' } } } } as unknown as Scenario;
    const v = checkVariant(asDeadlock, 'd', { params: { vmas: 2 } });
    // every schedule run to its end (none cut), and none of them deadlocked
    expect(v.stats.executionsCut).toBe(0);
    expect(v.kind === 'violated' ? v.violations.map((x) => x.check) : []).not.toContain('deadlock');
  });

  it('merged-passes with one VMA per mm is the fixed order, and holds', () => {
    const v = checkVariant(merged, 'merged-passes', { params: { vmas: 1 } });
    expect(v.kind).not.toBe('violated');
    expect(v.stats.executions).toBeGreaterThan(1);
  });

  it('the mutant is not a registry variant', () => {
    expect(Object.keys(s7b.variants)).toEqual(['buggy', 'fixed']);
    expect(mutants['merged-passes'].expect).toEqual({ violated: 'lock-order' });
  });
});

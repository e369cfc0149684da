import { describe, expect, it } from 'vitest';
import s7b from '../../scenarios/mm-take-all-locks-lock-order';
import { checkVariant } from '../../src/index';

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

  it('fixed: holds on every schedule (no lock-order report, no deadlock)', () => {
    const v = checkVariant(s7b, 'fixed');
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBeGreaterThan(1);
  });
});

import { describe, expect, it } from 'vitest';
import s12 from '../../scenarios/hmm-mirror-snapshot-vs-invalidate';
import { checkVariant } from '../../src/index';
import { recordTrace, type Trace } from '../../src/trace/trace';

function violatedTrace(variant: string): Trace {
  const v = checkVariant(s12, variant);
  if (v.kind !== 'violated') throw new Error(`${variant}: expected a violation, got ${v.kind}`);
  expect(v.violations.map((x) => x.check)).toEqual(['smmu-no-freed']);
  return recordTrace(s12, variant, s12.variants[variant]!, s12.params, v.schedule);
}

function at(t: Trace, letter: string, label: RegExp): number {
  return t.steps.findIndex((s) => t.threads[s.thread]!.letter === letter && label.test(s.label));
}

describe('hmm-mirror-snapshot-vs-invalidate (c0b124054f9e, ec131b2d7fa6, 99cb252f5e68)', () => {
  it('v4.14-buggy: the page is freed before range_end zaps the device (no interleaving needed)', () => {
    const t = violatedTrace('v4.14-buggy');
    const free = at(t, 'A', /free_pages_and_swap_cache/);
    expect(t.steps[free]!.violations.map((v) => v.check)).toEqual(['smmu-no-freed']);
    const sync = at(t, 'A', /sync_cpu_device_pagetables/);
    expect(sync === -1 || sync > free).toBe(true);
  });

  it('v4.20-fixed holds', () => {
    expect(checkVariant(s12, 'v4.20-fixed').kind).toBe('holds');
  });

  it('no-retry-buggy: the snapshot is taken before the invalidation and programmed after the free', () => {
    const t = violatedTrace('no-retry-buggy');
    expect(at(t, 'A', /^ptep_get/)).toBeLessThan(at(t, 'B', /ptep_clear_flush/));
    expect(at(t, 'B', /free_pages_and_swap_cache/)).toBeLessThan(at(t, 'A', /dpte\[0x1000\] = P/));
  });

  it('unlocked-commit-buggy: the invalidation runs between the retry test and the device write', () => {
    const t = violatedTrace('unlocked-commit-buggy');
    expect(at(t, 'A', /mmu_interval_read_retry/)).toBeLessThan(at(t, 'B', /^dev_invalidate/));
    expect(at(t, 'B', /^dev_invalidate/)).toBeLessThan(at(t, 'A', /update lock dropped/));
  });

  it('fixed: holds on every schedule, with one attempt and with three', () => {
    const v = checkVariant(s12, 'fixed');
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBeGreaterThan(10);
    expect(checkVariant(s12, 'fixed', { params: { attempts: 1 } }).kind).toBe('holds');
    expect(checkVariant(s12, 'fixed', { params: { attempts: 3 } }).kind).toBe('holds');
  });
});

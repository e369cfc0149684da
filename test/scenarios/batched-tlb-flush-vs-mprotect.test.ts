import { describe, expect, it } from 'vitest';
import scenario from '../../scenarios/batched-tlb-flush-vs-mprotect';
import { checkVariant } from '../../src/index';
import { decodeSchedule } from '../../src/trace/schedule-token';
import { recordTrace } from '../../src/trace/trace';

// Execution counts are those of the default exhaustive strategy; a change in the explorer's
// reduction or in the model's steps moves them, and then they are re-pinned on purpose.
describe('batched-tlb-flush-vs-mprotect (EXTENDED)', () => {
  it('buggy: some schedule violates tlb-no-stale-after-syscall', () => {
    const v = checkVariant(scenario, 'buggy');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    const hit = v.violations.find((x) => x.check === 'tlb-no-stale-after-syscall');
    expect(hit?.message).toMatch(/mprotect\(PROT_READ\) returned while cpu1 caches a writable entry for 0x1000 \(PTE none\)/);
    expect(v.stats.executions).toBe(4);
  });

  it('buggy: in the bad interleaving the program then writes after mprotect returned', () => {
    // A: lock, clear PTE, flag the batch, unlock | B: lock, PTE none, unlock, return | C: write | A: flush
    const t = recordTrace(scenario, 'buggy', scenario.variants.buggy!, scenario.params, decodeSchedule('A4B3CA'));
    expect(t.violations.map((v) => [v.check, v.step])).toEqual([
      ['tlb-no-stale-after-syscall', 7],
      ['no-write-after-mprotect', 8],
    ]);
  });

  it('fixed: the same schedule flushes under the PTL and the write faults', () => {
    const t = recordTrace(scenario, 'fixed', scenario.variants.fixed!, scenario.params, decodeSchedule('A4B6CA'));
    expect(t.steps.map((s) => s.label)).toContain('flush_tlb_batched_pending: flush_tlb_mm(mm->tlb)');
    expect(t.violations).toEqual([]);
  });

  it('fixed: holds on every schedule', () => {
    const v = checkVariant(scenario, 'fixed');
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBe(110);
  });
});

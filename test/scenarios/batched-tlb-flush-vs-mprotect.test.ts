import { describe, expect, it } from 'vitest';
import scenario, { mutants } from '../../scenarios/batched-tlb-flush-vs-mprotect';
import { checkVariant, type Scenario } from '../../src/index';
import { decodeSchedule } from '../../src/trace/schedule-token';
import { recordTrace } from '../../src/trace/trace';

/** The scenario with one of its exported mutants as its only variant. */
function withMutant(name: keyof typeof mutants): Scenario {
  return { ...scenario, variants: { [name]: mutants[name] } } as unknown as Scenario;
}

// Execution counts are those of the default exhaustive strategy; a change in the explorer's
// reduction or in the model's steps moves them, and then they are re-pinned on purpose.
describe('batched-tlb-flush-vs-mprotect (EXTENDED)', () => {
  it('buggy: some schedule violates tlb-no-stale-after-syscall', () => {
    const v = checkVariant(scenario, 'buggy');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    const hit = v.violations.find((x) => x.check === 'tlb-no-stale-after-syscall');
    expect(hit?.message).toMatch(/mprotect\(PROT_READ\) returned while cpu1 caches a writable entry for 0x1000 \(PTE none\)/);
    // 2 under the whole-world observer, before the invariants declared what they observe
    expect(v.stats.executions).toBe(1);
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
    // 33 under the whole-world observer; 12 with no invariants at all
    expect(v.stats.executions).toBe(21);
  });

  // The fix's parts, each removed in a named mutant the scenario exports.
  it('without mm->tlb_flush_batched = true in reclaim, mprotect has nothing to flush', () => {
    const v = checkVariant(withMutant('no-mm-flag'), 'no-mm-flag');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    expect(v.violations.find((x) => x.check === 'tlb-no-stale-after-syscall')?.message).toMatch(/cpu1 caches a writable entry for 0x1000 \(PTE none\)/);
  });

  it('with flush_tlb_batched_pending before the PTL, the program writes after mprotect returned', () => {
    const v = checkVariant(withMutant('flush-before-ptl'), 'flush-before-ptl');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    expect(v.violations.find((x) => x.check === 'no-write-after-mprotect')?.message).toBe('cpu1 wrote page through a stale writable TLB entry');
  });

  it('the mutants are not registry variants, and each declares the violation its test finds', () => {
    expect(Object.keys(scenario.variants)).toEqual(['buggy', 'fixed']);
    expect(mutants['no-mm-flag'].expect).toEqual({ violated: 'tlb-no-stale-after-syscall' });
    expect(mutants['flush-before-ptl'].expect).toEqual({ violated: 'no-write-after-mprotect' });
  });
});

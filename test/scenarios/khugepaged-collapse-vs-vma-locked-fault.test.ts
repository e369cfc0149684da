import { describe, expect, it } from 'vitest';
import scenario, { mutants } from '../../scenarios/khugepaged-collapse-vs-vma-locked-fault';
import { checkVariant, type Expectation, type Scenario } from '../../src/index';
import { recordTrace } from '../../src/trace/trace';
import { decodeSchedule } from '../../src/trace/schedule-token';

/** The buggy variant searched for another check than the one it declares. */
function buggySearchedFor(expect: Expectation) {
  const variant = { ...scenario.variants.buggy!, expect };
  return checkVariant({ ...scenario, variants: { buggy: variant } }, 'buggy');
}

/** The scenario with one of its exported mutants as its only variant. */
function withMutant(name: keyof typeof mutants): Scenario {
  return { ...scenario, variants: { [name]: mutants[name] } } as unknown as Scenario;
}

// Execution counts are those of the default exhaustive strategy; a change in the explorer's
// reduction or in the model's steps moves them, and then they are re-pinned on purpose.
describe('khugepaged-collapse-vs-vma-locked-fault', () => {
  it('buggy: the fault\'s PTE lands in the old table after collapse scanned it (fault-not-lost)', () => {
    const v = checkVariant(scenario, 'buggy');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    const hit = v.violations.find((x) => x.check === 'fault-not-lost');
    expect(hit?.message).toMatch(/HUGE\(hpage\) was copied without new_folio, which the fault mapped at slot 1/);
    expect(v.violations.find((x) => x.check === 'pt-attached')?.message).toMatch(/set_pte_at\(pte\[1\]\) by A while pte is (deposited|detached), after collapse's isolate scan/);
    // 246 under the whole-world observer, before the invariants declared what they observe
    expect(v.stats.executions).toBe(3);
  });

  it('buggy: pte_alloc on the PMD the flush emptied trips collapse\'s BUG_ON(!pmd_none)', () => {
    const v = buggySearchedFor({ violated: 'bug-on' });
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    expect(v.violations.find((x) => x.check === 'bug-on')?.message).toMatch(/BUG_ON\(!pmd_none\(\*pmd\)\) in collapse_huge_page: pmd is TABLE\(new_pte\)/);
  });

  it('buggy: pte_offset_map_lock on the emptied PMD is an oops', () => {
    const v = buggySearchedFor({ violated: 'oops' });
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    expect(v.violations.find((x) => x.check === 'oops')?.message).toMatch(/\*pmd is (none|HUGE\(hpage\)), pmd_page\(\*pmd\) is no page table/);
  });

  it('buggy: a PTE written into the detached table before the isolate scan is copied, and not flagged', () => {
    // A up to pte_offset_map_lock's read of TABLE(pte); B flushes; A takes the PTL and installs
    // (B's scan waits for it); B scans, copies and installs the huge PMD.
    const t = recordTrace(scenario, 'buggy', scenario.variants.buggy!, scenario.params, decodeSchedule('A8B5A3B11A'));
    expect(t.steps[14]!.label).toMatch(/set_pte_at\(pte\[1\]\)/);
    expect(t.steps.at(-4)!.label).toBe('set_pmd_at(pmd, HUGE(hpage))');
    expect(t.violations).toEqual([]);
  });

  it('fixed: holds on every schedule', { timeout: 60_000 }, () => {
    const v = checkVariant(scenario, 'fixed');
    expect(v.kind).toBe('holds');
    // 779 under the whole-world observer; 3 is also the count with no invariants at all
    expect(v.stats.executions).toBe(3);
  });

  // The fix's span, each end cut short in a named mutant the scenario exports.
  it('with mmap_write_unlock before set_pmd_at, a VMA-locked fault populates the emptied PMD: BUG_ON(!pmd_none)', () => {
    const v = checkVariant(withMutant('unlock-before-set-pmd'), 'unlock-before-set-pmd');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    expect(v.violations.find((x) => x.check === 'bug-on')?.message).toBe('BUG_ON(!pmd_none(*pmd)) in collapse_huge_page: pmd is TABLE(new_pte)');
  });

  it("with vma_start_write after the isolate scan, the fault's PTE goes into the scanned, detached table", () => {
    const v = checkVariant(withMutant('vma-lock-after-scan'), 'vma-lock-after-scan');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    expect(v.violations.find((x) => x.check === 'pt-attached')?.message).toMatch(/set_pte_at\(pte\[1\]\) by A while pte is detached, after collapse's isolate scan of pte/);
  });

  it('the mutants are not registry variants, and each declares the violation its test finds', () => {
    expect(Object.keys(scenario.variants)).toEqual(['buggy', 'fixed']);
    expect(mutants['unlock-before-set-pmd'].expect).toEqual({ violated: 'bug-on' });
    expect(mutants['vma-lock-after-scan'].expect).toEqual({ violated: 'pt-attached' });
  });
});

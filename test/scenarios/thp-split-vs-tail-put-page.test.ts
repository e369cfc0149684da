import { describe, expect, it } from 'vitest';
import scenario, { mutants } from '../../scenarios/thp-split-vs-tail-put-page';
import { checkVariant, type Scenario } from '../../src/index';

/** The scenario with one of its exported mutants as its only variant. */
function withMutant(name: keyof typeof mutants): Scenario {
  return { ...scenario, variants: { [name]: mutants[name] } } as unknown as Scenario;
}

// Execution counts are those of the default exhaustive strategy; a change in the explorer's
// reduction or in the model's steps moves them, and then they are re-pinned on purpose.
describe('thp-split-vs-tail-put-page', () => {
  it('buggy: some schedule violates page-freed-while-mapped', () => {
    const v = checkVariant(scenario, 'buggy');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    const hit = v.violations.find((x) => x.check === 'page-freed-while-mapped');
    expect(hit?.message).toMatch(/thp freed with mapcount 1/);
    // 188 under the whole-world observer, before the invariants declared what they observe; 66
    // before D (reclaim of the tail) joined
    expect(v.stats.executions).toBe(342);
  });

  it('fixed: holds on every schedule, with the head unmapped, freed and handed out again', { timeout: 120_000 }, () => {
    const v = checkVariant(scenario, 'fixed');
    expect(v.kind).toBe('holds');
    // 66,011 under the whole-world observer; 6,068 before D (reclaim of the tail) joined
    expect(v.stats.executions).toBe(39416);
  });

  // The fix's parts, each removed in a named mutant the scenario exports: the verdict must be the
  // violation the part prevents, found by the thread it protects. Without thread C the pin and
  // PageHead mutants held; without D, or with first_page apart from private, the smp_rmb one did.
  it('without the PageTail(page) test after smp_rmb(): B follows the swap entry reclaim stored over first_page', () => {
    const v = checkVariant(withMutant('no-rmb-pagetail-recheck'), 'no-rmb-pagetail-recheck');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    const oops = v.violations.find((x) => x.check === 'oops');
    expect(oops?.message).toMatch(/get_page_unless_zero\(\(struct page \*\)0x1\).*thp\[1\]->first_page holds thp\[1\]->private = 0x1 \(swp_entry_t\)/);
    expect(oops?.thread).toBe(1); // B
  });

  it('without get_page_unless_zero(page_head): B touches the head C freed', () => {
    const v = checkVariant(withMutant('no-head-pin'), 'no-head-pin');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    const uaf = v.violations.find((x) => x.check === 'use-after-free');
    expect(uaf?.message).toMatch(/by B \(put\) .* touches thp, freed by C \(unmap\) .* put_page\(page\)/);
  });

  it('without the PageHead(page_head) re-test: B\'s compound_lock on the reallocated head is undone by __SetPageUptodate', () => {
    const v = checkVariant(withMutant('no-pagehead-recheck'), 'no-pagehead-recheck');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    const bug = v.violations.find((x) => x.check === 'bug-on');
    expect(bug?.message).toMatch(/BUG_ON\(!test_bit\(PG_compound_lock, addr\)\).*non-atomic store of thp->flags/);
    expect(bug?.thread).toBe(1); // B
  });

  it('without the PageTail(page) re-test under compound_lock: B drops its pin from the head the split already moved it off', () => {
    const v = checkVariant(withMutant('no-locked-pagetail-recheck'), 'no-locked-pagetail-recheck');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    const off = v.violations.find((x) => x.check === 'refcount-balance');
    // the head C got back from alloc_page, with its new owner's one reference dropped by B
    expect(off?.message).toBe('final state: thp->_count = 0, mapcount 0');
  });

  it('the mutants are not registry variants, and each declares the violation its test finds', () => {
    expect(Object.keys(scenario.variants)).toEqual(['buggy', 'fixed']);
    expect(mutants['no-rmb-pagetail-recheck'].expect).toEqual({ violated: 'oops' });
    expect(mutants['no-locked-pagetail-recheck'].expect).toEqual({ violated: 'refcount-balance' });
    expect(mutants['no-head-pin'].expect).toEqual({ violated: 'use-after-free' });
    expect(mutants['no-pagehead-recheck'].expect).toEqual({ violated: 'bug-on' });
  });
});

import { describe, expect, it } from 'vitest';
import scenario from '../../scenarios/thp-split-vs-tail-put-page';
import { checkVariant } from '../../src/index';

// Execution counts are those of the default exhaustive strategy; a change in the explorer's
// reduction or in the model's steps moves them, and then they are re-pinned on purpose.
describe('thp-split-vs-tail-put-page', () => {
  it('buggy: some schedule violates page-freed-while-mapped', () => {
    const v = checkVariant(scenario, 'buggy');
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    const hit = v.violations.find((x) => x.check === 'page-freed-while-mapped');
    expect(hit?.message).toMatch(/thp freed with mapcount 1/);
    // the same execution ends with the head's count one short of its mapping
    expect(v.violations.find((x) => x.check === 'refcount-balance')?.message).toBe('thp->_count = 0, mapcount 1');
    expect(v.stats.executions).toBe(14);
  });

  it('fixed: holds on every schedule', { timeout: 60_000 }, () => {
    const v = checkVariant(scenario, 'fixed');
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBe(686);
  });
});

/** The counts bench section 6 prints (bench/observers.ts), pinned; its times are never asserted. */
import { describe, expect, it } from 'vitest';
import s1 from '../../scenarios/mmu-notifier-unregister-release';
import s3 from '../../scenarios/mmu-notifier-release-before-unlink';
import { measureObservers } from '../../bench/observers';

describe('invariant observers (bench section 6)', () => {
  it('S1 fixed, notifiers 1-4: declared footprints within 2x of no invariants', () => {
    const rows = [1, 2, 3, 4].map((n) => measureObservers(s1, 'fixed', { notifiers: n }, null));
    expect(rows.map((r) => [r.declared.verdict, r.declared.executions, r.none])).toEqual([
      ['holds', 102, 102],
      ['holds', 118, 117],
      ['holds', 134, 132],
      ['holds', 150, 147],
    ]);
    for (const r of rows) expect(r.declared.executions).toBeLessThanOrEqual(2 * r.none);
  });

  it('S1 fixed, notifiers=1: the whole-world observer it replaces', () => {
    expect(measureObservers(s1, 'fixed', { notifiers: 1 }, 600_000).wholeWorld).toEqual({ verdict: 'holds', executions: 8407 });
  });

  it('S3 fixed, unregister=1: finishes', () => {
    const r = measureObservers(s3, 'fixed', { unregister: 1 }, null);
    expect([r.declared.verdict, r.declared.executions, r.none]).toEqual(['holds', 4506, 3538]);
  });
});

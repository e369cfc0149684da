import { describe, expect, it } from 'vitest';
import { newPmdLock, newPtl, pmdLock, pmdUnlock, ptlLock, ptlLockNested, ptlTrylock, ptlUnlock, type PageTableLock } from '../../../models/mm/ptl';
import { firedChecks, program, runSchedule, runSerial } from '../../helpers/program';

interface W {
  pt1: PageTableLock;
  pt2: PageTableLock;
  pmd: PageTableLock;
}
const world = (): W => ({ pt1: newPtl('pt1'), pt2: newPtl('pt2'), pmd: newPmdLock('pmd') });

describe('page-table locks', () => {
  it('one lock per table: two tables lock independently; one table excludes', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) { yield* ptlLock(w.pt1); yield* ptlUnlock(w.pt1); },
        b: function* (w) { yield* ptlLock(w.pt2); yield* ptlUnlock(w.pt2); },
        c: function* (w) { yield* ptlLock(w.pt1); yield* ptlUnlock(w.pt1); },
      },
    });
    expect(runSchedule(p, 'A B A B C C').steps[0]!.label).toBe('spin_lock(&pt1->ptl)');
    expect(() => runSchedule(p, 'A C')).toThrow(/C, which cannot run here/);
  });

  it('pmd_lock then the PTE lock: same lockdep class, so it must be taken nested', () => {
    const plain = program<W>({
      setup: world,
      threads: { a: function* (w) { yield* pmdLock(w.pmd); yield* ptlLock(w.pt1); yield* ptlUnlock(w.pt1); yield* pmdUnlock(w.pmd); } },
    });
    const t = runSerial(plain);
    expect(firedChecks(t)).toEqual(['lock-order']);
    expect(t.violations[0]!.message).toMatch(/recursive locking of class ptlock/);
    const nested = program<W>({
      setup: world,
      threads: { a: function* (w) { yield* pmdLock(w.pmd); yield* ptlLockNested(w.pt1); yield* ptlUnlock(w.pt1); yield* pmdUnlock(w.pmd); } },
    });
    expect(runSerial(nested).violations).toEqual([]);
  });

  it('the PTL is a spinlock: atomic, trylock, unlock-not-held', () => {
    const p = program<W>({
      setup: world,
      threads: { a: function* (w) { expect(yield* ptlTrylock(w.pt1)).toBe(true); yield* ptlUnlock(w.pt1); yield* ptlUnlock(w.pt1); } },
    });
    expect(firedChecks(runSerial(p))).toEqual(['unlock-not-held']);
  });
});

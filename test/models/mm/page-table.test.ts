import { describe, expect, it } from 'vitest';
import { foundViolation } from '../../helpers/detectors';
import { newFolio, type Folio } from '../../../models/mm/folio';
import {
  mkPte,
  movePte,
  newPmd,
  newPteTable,
  pgtableDeposit,
  pmdLock,
  pmdPopulate,
  pmdpCollapseFlush,
  pmdRead,
  pmdTable,
  pmdUnlock,
  ptepClearFlush,
  ptepTestAndClearYoung,
  pteFree,
  pteInstallIfNone,
  pteLock,
  pteRead,
  pteSnapshot,
  pteUnlock,
  pteWrite,
  setHugePmd,
  type Pmd,
  type PteTable,
} from '../../../models/mm/page-table';
import { keepLastWorld } from '../../helpers/last-world';
import { exploreProgram, firedChecks, program, runSchedule } from '../../helpers/program';

interface W {
  pmd: Pmd;
  pt: PteTable;
  page: Folio;
  got: unknown[];
}

const fresh = (): W => {
  const pt = newPteTable('pt', 2);
  const page = newFolio('page', { mapcount: 1 });
  pt.slots[0] = mkPte(page);
  return { pmd: newPmd('pmd', pmdTable(pt)), pt, page, got: [] };
};

describe('page tables: PMD level', () => {
  it('a table a PMD points at is attached; collapse detaches it, deposit keeps it, a huge PMD replaces it', () => {
    const kept = keepLastWorld(fresh);
    const p = program<W>({
      setup: kept.setup,
      threads: {
        a: function* (w) {
          w.got.push(w.pt.state);
          yield* pmdLock(w.pmd);
          const old = yield* pmdpCollapseFlush(w.pmd);
          w.got.push(old.kind, w.pt.state, (yield* pmdRead(w.pmd)).kind);
          yield* pgtableDeposit(w.pmd, w.pt);
          yield* setHugePmd(w.pmd, newFolio('hpage'));
          yield* pmdUnlock(w.pmd);
          w.got.push(w.pt.state, w.pmd.val.kind, w.pmd.deposited.length);
        },
      },
    });
    expect(exploreProgram(p).kind).toBe('holds');
    expect(kept.last().got).toEqual(['attached', 'table', 'detached', 'none', 'deposited', 'huge', 1]);
  });

  it('changing a PMD without pmd_lock is a bug', () => {
    const p = program<W>({ setup: fresh, threads: { a: function* (w) { yield* pmdpCollapseFlush(w.pmd); } } });
    const t = runSchedule(p, 'A');
    expect(firedChecks(t)).toEqual(['bug-on']);
    expect(t.violations[0]!.message).toMatch(/lockdep_assert_held\(&pmd->pmd_ptl\)/);
  });

  it('pmd_populate re-attaches a detached table (collapse failure path)', () => {
    const kept = keepLastWorld(fresh);
    const p = program<W>({
      setup: kept.setup,
      threads: {
        a: function* (w) {
          yield* pmdLock(w.pmd);
          yield* pmdpCollapseFlush(w.pmd);
          yield* pmdPopulate(w.pmd, w.pt);
          yield* pmdUnlock(w.pmd);
        },
      },
    });
    expect(exploreProgram(p).kind).toBe('holds');
    expect(kept.last().pt.state).toBe('attached');
  });
});

describe('page tables: PTE level', () => {
  it('writing a PTE without the table\'s PTL is a bug', () => {
    const p = program<W>({ setup: fresh, threads: { a: function* (w) { yield* pteWrite(w.pt, 1, null); } } });
    expect(firedChecks(runSchedule(p, 'A'))).toEqual(['bug-on']);
  });

  it('reading a detached table is legal; writing into it is recorded as a stray write', () => {
    const kept = keepLastWorld(fresh);
    const p = program<W>({
      setup: kept.setup,
      threads: {
        a: function* (w) {
          yield* pmdLock(w.pmd);
          yield* pmdpCollapseFlush(w.pmd);
          yield* pmdUnlock(w.pmd);
          w.got.push((yield* pteRead(w.pt, 0))?.page.name);
          yield* pteLock(w.pt);
          yield* pteWrite(w.pt, 1, mkPte(w.page));
          yield* pteUnlock(w.pt);
        },
      },
    });
    expect(exploreProgram(p).kind).toBe('holds');
    expect(kept.last().got).toEqual(['page']);
    expect(kept.last().pt.strayWrites).toEqual(['set_pte_at(pt[1]) by A while pt is detached']);
  });

  it('freeing an attached table is a bug; any access to a freed table is a use after free', () => {
    const attached = program<W>({ setup: fresh, threads: { a: function* (w) { yield* pteFree(w.pt); } } });
    expect(firedChecks(runSchedule(attached, 'A'))).toEqual(['bug-on']);
    const freed = program<W>({
      setup: fresh,
      threads: {
        a: function* (w) {
          yield* pmdLock(w.pmd);
          yield* pmdpCollapseFlush(w.pmd);
          yield* pmdUnlock(w.pmd);
          yield* pteFree(w.pt);
          yield* pteRead(w.pt, 0);
        },
      },
    });
    const t = runSchedule(freed, 'A5');
    expect(firedChecks(t)).toEqual(['use-after-free']);
    expect(t.violations[0]!.message).toMatch(/freed by A \(a\) at step 4 in pte_free\(pt\)/);
  });

  it('a table freed twice is a double free', () => {
    const p = program<W>({
      setup: () => {
        const w = fresh();
        w.pt.state = 'detached';
        return w;
      },
      threads: {
        a: function* (w) {
          yield* pteFree(w.pt);
        },
        b: function* (w) {
          yield* pteFree(w.pt);
        },
      },
    });
    const t = runSchedule(p, 'A B');
    expect(firedChecks(t)).toEqual(['use-after-free']);
    expect(t.violations[0]!.message).toMatch(/double free/);
  });

  it('install-if-none, clear, move and the young bit under the PTL', () => {
    const kept = keepLastWorld(fresh);
    const other = newFolio('other');
    const p = program<W>({
      setup: kept.setup,
      threads: {
        a: function* (w) {
          yield* pteLock(w.pt);
          w.got.push(yield* pteInstallIfNone(w.pt, 0, mkPte(other, { young: false })));
          w.got.push(yield* ptepTestAndClearYoung(w.pt, 0, other));
          w.got.push(yield* ptepTestAndClearYoung(w.pt, 0, w.page));
          w.got.push(yield* ptepTestAndClearYoung(w.pt, 0, w.page));
          w.got.push((yield* movePte(w.pt, 0, 1, 'move_ptes'))?.page.name);
          w.got.push((yield* ptepClearFlush(w.pt, 1))?.young);
          w.got.push(yield* pteInstallIfNone(w.pt, 1, mkPte(other, { young: false })));
          w.got.push((yield* pteSnapshot(w.pt)).map((x) => x?.page.name ?? 'none'));
          yield* pteUnlock(w.pt);
        },
      },
    });
    expect(exploreProgram(p).kind).toBe('holds');
    expect(kept.last().got).toEqual([false, false, true, false, 'page', false, true, ['none', 'other']]);
  });

  it('the PTL excludes: a fault and a collapse scan never see each other half-way', () => {
    const p = program<W>({
      setup: fresh,
      threads: {
        fault: function* (w) {
          yield* pteLock(w.pt);
          yield* pteInstallIfNone(w.pt, 1, mkPte(w.page));
          yield* pteUnlock(w.pt);
        },
        scan: function* (w) {
          yield* pteLock(w.pt);
          w.got.push((yield* pteSnapshot(w.pt)).filter((x) => x !== null).length);
          yield* pteUnlock(w.pt);
        },
      },
    });
    const v = exploreProgram(p);
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBe(2);
  });
});

describe('pmd writes: partial-order reduction sees the tables they detach', () => {
  it('dfs finds pte_free placed before the pmdp_collapse_flush that detaches the table', () => {
    const p = program<{ pmd: Pmd; pt: PteTable }>({
      setup: () => {
        const pt = newPteTable('pt', 1);
        return { pmd: newPmd('pmd', pmdTable(pt)), pt };
      },
      threads: {
        collapse: function* (w) {
          yield* pmdLock(w.pmd);
          yield* pmdpCollapseFlush(w.pmd);
          yield* pmdUnlock(w.pmd);
        },
        free: function* (w) { yield* pteFree(w.pt); },
      },
    });
    expect(foundViolation(p, 'bug-on')?.message).toMatch(/still attached/);
  });
});

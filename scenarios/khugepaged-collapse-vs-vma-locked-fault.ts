/**
 * khugepaged collapse_huge_page() vs an anonymous page fault under the per-VMA lock, v6.4-rc.
 *
 * Commits:
 * - 55fd6fccad31 "mm/khugepaged: write-lock VMA while collapsing a huge page" (Suren Baghdasaryan,
 *   v6.4, part of the per-VMA lock series; mainline hash per shortlogs, seed 004 names the subject):
 *   "Page fault handler needs a stable PMD to use PTL and relies on per-VMA lock to prevent
 *   concurrent PMD changes. pmdp_collapse_flush(), set_huge_pmd() and collapse_and_free_pmd() can
 *   modify a PMD, which will not be detected by a page fault handler without proper locking."
 *   Page tables could be walked under mmap_lock, the mapping lock or the anon_vma lock; the
 *   per-VMA lock is a fourth way, so collapse must lock that one out too: vma_start_write().
 * - Folded into it: "mm/khugepaged: fix vm_lock/i_mmap_rwsem inversion in retract_page_tables"
 *   (the file-THP path; the lock-order sub-scenario 9b, not modelled here).
 *
 * Thread A is a write fault on an empty PTE of an anonymous VMA, handled under the VMA lock
 * (lock_vma_under_rcu → handle_mm_fault → do_anonymous_page), falling back to mmap_lock when the
 * VMA lock cannot be had. Thread B is khugepaged's collapse_huge_page() of the same 2 MiB range.
 * The two variants differ in one line of B: vma_start_write() after taking mmap_lock for write.
 *
 * The fault follows v6.4 mm/memory.c: __handle_mm_fault / handle_pte_fault read the PMD and, for a
 * table, orig_pte; do_anonymous_page then runs pte_alloc() (on an empty PMD: allocate a table,
 * and under pmd_lock populate the PMD if it is still empty, else free the new table),
 * pmd_trans_unstable() (an empty or huge PMD: return 0, the fault is retried), allocates the page,
 * and pte_offset_map_lock() re-reads *pmd for pte_lockptr/pte_offset_map (v6.4's macro does not
 * check it: on an empty or huge PMD the "page table" is pmd_page() of something else, an oops
 * here), takes that table's PTL and installs the PTE if pte_none. The collapse follows v6.4
 * mm/khugepaged.c collapse_huge_page: pmdp_collapse_flush under pmd_lock, the isolate scan under
 * the old table's PTL, the copy, and under pmd_lock BUG_ON(!pmd_none(*pmd)), deposit, set_pmd_at.
 *
 * What goes wrong without the VMA write lock, each reachable in the buggy variant:
 * - `fault-not-lost` (declared): A read TABLE(pte) in pte_offset_map_lock before the flush and
 *   takes the PTL after the isolate scan; its PTE goes into a table nobody copies (55fd6fccad31's
 *   "will not be detected by a page fault handler").
 * - `bug-on`: A finds the PMD empty after the flush and pte_alloc() populates it with a new table;
 *   collapse's BUG_ON(!pmd_none(*pmd)) fires before set_pmd_at.
 * - `oops`: pmd_trans_unstable() passed on TABLE(pte), the flush empties the PMD, and
 *   pte_offset_map_lock() derives a PTL from an empty PMD.
 * A PTE written into the detached table before the isolate scan, under the same PTL, is seen by
 * the scan and copied: the kernel tolerates it, and `pt-attached` does not flag it.
 *
 * The VMA write lock must cover the collapse from before pmdp_collapse_flush to set_pmd_at, and a
 * mutant (`mutants`, run by the scenario's test) shows each end:
 * - `vma-lock-after-scan` (vma_start_write after the isolate scan): a fault already past
 *   pte_offset_map_lock's read of TABLE(pte) writes its PTE into the detached table after the scan
 *   (`pt-attached`, declared; on other schedules `fault-not-lost`, `bug-on` or `oops`); the late
 *   vma_start_write only waits for that fault to finish.
 * - `unlock-before-set-pmd` (mmap_write_unlock, which ends every VMA write lock through
 *   vma_end_write_all, before set_pmd_at): a new fault under the VMA lock finds the PMD empty and
 *   pte_alloc() populates it, and collapse's BUG_ON(!pmd_none(*pmd)) fires (`bug-on`).
 *
 * Choices:
 * - The PTE table has `ptes` slots (default 2): slot 0 maps a page, the fault hits the last one.
 * - __handle_mm_fault's pmdp_get_lockless and handle_pte_fault's pmd_none(*vmf->pmd) /
 *   pte_offset_map are one read: nothing but thread-local code runs between them. Likewise
 *   pte_alloc's pmd_none and pmd_trans_unstable when pte_alloc has nothing to do.
 * - A fault that finds the PMD empty would first try create_huge_pmd; here the THP allocation falls
 *   back (VM_FAULT_FALLBACK), so the fault goes on to do_anonymous_page.
 * - do_anonymous_page's "pte_none still?" test and set_pte_at (with folio_add_new_anon_rmap) are one
 *   step under the PTL. The page allocation and pte_alloc_one are one may-sleep step each.
 * - __collapse_huge_page_isolate always succeeds (every page is isolatable), so its failure path
 *   (pmd_populate of the old table back) is not taken; B uses the table pmdp_collapse_flush
 *   returns, which is the one its earlier pte_offset_map/pte_lockptr read: only an empty PMD can
 *   change under mmap_lock held for write, and the PMD maps a table when B starts.
 * - Left out of B, as they order nothing against A: the hugepage allocation and scan under
 *   mmap_read_lock before the write lock, hugepage_vma_revalidate, the mmu notifier range (no
 *   secondary MMU here), tlb_remove_table_sync_one (no lockless GUP here), and the rmap/LRU
 *   bookkeeping of the huge page. pgtable_trans_huge_deposit and set_pmd_at are separate steps.
 */
import { anonVmaLockWrite, anonVmaUnlockWrite, newAnonVma, type AnonVma } from '../models/mm/anon-vma';
import { newFolio, type Folio } from '../models/mm/folio';
import { ghostObject, named, writesGhost, type Ghost } from '../models/kit/ghost';
import { mightSleepStep } from '../models/kit/might-sleep';
import {
  describePmd,
  mkPte,
  newPmd,
  newPteTable,
  pgtableDeposit,
  pmdLock,
  pmdpCollapseFlush,
  pmdRead,
  pmdTable,
  pmdPopulate,
  pmdUnlock,
  pteFree,
  pteInstallIfNone,
  pteLock,
  pteRead,
  pteSnapshot,
  pteUnlock,
  setHugePmd,
  type Pmd,
  type PteTable,
  type PteVal,
} from '../models/mm/page-table';
import { newRcu, rcuReadLock, rcuReadUnlock, type Rcu } from '../models/rcu';
import {
  mmapReadLock,
  mmapReadUnlock,
  mmapWriteLock,
  mmapWriteUnlock,
  newMmLocks,
  newVmaLock,
  vmaEndRead,
  vmaStartRead,
  vmaStartWrite,
  type MmLocks,
  type VmaLock,
} from '../models/mm/vma-lock';
import { bugOn, defineScenario, type Invariant, oops, perform, type Steps, type Variant } from '../src/index';

interface World {
  readonly rcu: Rcu;
  readonly mm: MmLocks;
  readonly vma: VmaLock;
  readonly anonVma: AnonVma;
  readonly pmd: Pmd;
  /** The PTE table the PMD points at when the threads start. */
  readonly pt: PteTable;
  /** The table pte_alloc_one() would hand the fault (detached until populated). */
  readonly newPt: PteTable;
  /** The slot the fault hits (empty at start). */
  readonly slot: number;
  /** The page the fault allocates and maps. */
  readonly newPage: Folio;
  /** The huge page khugepaged allocated before taking mmap_lock. */
  readonly hpage: Folio;
  /**
   * Ghost, written by collapse: `contents`, what __collapse_huge_page_copy put into the huge page
   * (one entry per PTE slot), and `strayAtScan`, `pt.strayWrites.length` when the isolate scan of
   * the old table ran; null before.
   */
  readonly collapse: Ghost<{ contents: readonly PteVal[] | null; strayAtScan: number | null }>;
  /** Ghost: the fault installed newPage in a PTE. */
  readonly fault: Ghost<{ installed: boolean }>;
}

// ---- A: the page fault, identical in both variants --------------------------------------------

/**
 * pte_alloc(mm, vmf->pmd) on an empty PMD: __pte_alloc allocates a table and populates the PMD
 * under pmd_lock if it is still empty (else another thread did, and the new table is freed).
 */
function* pteAlloc(w: World): Steps {
  yield* mightSleepStep('pte_alloc_one(mm)');
  yield* pmdLock(w.pmd);
  if ((yield* pmdRead(w.pmd, 'pmd_none(*pmd)')).kind === 'none') yield* pmdPopulate(w.pmd, w.newPt);
  else yield* pteFree(w.newPt);
  yield* pmdUnlock(w.pmd);
}

/** pte_offset_map_lock's read of *pmd (pte_lockptr, pte_offset_map): v6.4 takes it as a table. */
function* pteOffsetMapPmd(w: World): Steps<PteTable> {
  const label = 'pte_offset_map_lock(mm, vmf->pmd): pte_lockptr(mm, vmf->pmd)';
  return yield* perform({
    object: w.pmd,
    access: 'read',
    label,
    run: () => {
      const v = w.pmd.val;
      if (v.kind !== 'table') oops(`*pmd is ${describePmd(v)}, pmd_page(*pmd) is no page table: its "PTL" and "PTEs" are another page's memory`, `${w.pmd.name} = ${describePmd(v)}`);
      return v.pt;
    },
  });
}

/** handle_mm_fault → handle_pte_fault → do_anonymous_page for a write to an empty PTE (v6.4). */
function* doAnonymousPage(w: World): Steps {
  const pmdval = yield* pmdRead(w.pmd, 'vmf.orig_pmd = pmdp_get_lockless(vmf.pmd); pmd_none(*vmf->pmd)');
  if (pmdval.kind === 'huge') return; // a huge PMD maps the address now: do_huge_pmd_wp_page, not modelled
  if (pmdval.kind === 'table' && (yield* pteRead(pmdval.pt, w.slot, 'vmf->orig_pte = ptep_get_lockless(vmf->pte)')) !== null) return;
  // do_pte_missing → do_anonymous_page
  let now = yield* pmdRead(w.pmd, 'pte_alloc(mm, vmf->pmd): pmd_none(*vmf->pmd)');
  if (now.kind === 'none') {
    yield* pteAlloc(w);
    now = yield* pmdRead(w.pmd, 'pmd_trans_unstable(vmf->pmd)');
  }
  if (now.kind !== 'table') return; // pmd_trans_unstable: return 0, the fault is retried
  yield* mightSleepStep('vma_alloc_zeroed_movable_folio(vma, vmf->address)');
  const pt = yield* pteOffsetMapPmd(w);
  yield* pteLock(pt); // spin_lock(ptl)
  const entry = mkPte(w.newPage);
  if (yield* writesGhost(w.fault, pteInstallIfNone(pt, w.slot, entry, `folio_add_new_anon_rmap(${w.newPage.name}); set_pte_at(${pt.name}[${w.slot}])`))) {
    w.fault.installed = true;
  }
  yield* pteUnlock(pt);
}

/** do_user_addr_fault: lock_vma_under_rcu first, else retry under mmap_read_lock. */
function* pageFault(w: World): Steps {
  yield* rcuReadLock(w.rcu);
  const vmaLocked = yield* vmaStartRead(w.vma); // lock_vma_under_rcu: mas_walk, vma_start_read
  yield* rcuReadUnlock(w.rcu);
  if (vmaLocked) {
    yield* doAnonymousPage(w);
    yield* vmaEndRead(w.vma);
    return;
  }
  yield* mmapReadLock(w.mm); // lock_mm_and_find_vma
  yield* doAnonymousPage(w);
  yield* mmapReadUnlock(w.mm);
}

// ---- B: collapse_huge_page(), buggy (v6.3) and fixed (55fd6fccad31) side by side --------------

function* collapseCopy(w: World, snapshot: readonly PteVal[]): Steps {
  yield* perform<void>({
    object: w.hpage,
    access: 'write',
    label: `__collapse_huge_page_copy(pte, ${w.hpage.name})`,
    alsoTouches: [{ object: w.collapse, access: 'write' }],
    run: () => {
      w.collapse.contents = snapshot;
    },
  });
}

/** Steps a mutant moves into collapsePmd (the variants move none). */
interface Moved {
  /** Run right after the isolate scan, before the copy. */
  readonly afterScan?: (w: World) => Steps;
  /** Run after the copy, before pmd_lock for set_pmd_at. */
  readonly beforeInstall?: (w: World) => Steps;
}

/** From pmdp_collapse_flush to set_pmd_at, the same in both variants. */
function* collapsePmd(w: World, moved: Moved = {}): Steps {
  yield* anonVmaLockWrite(w.anonVma);
  yield* pmdLock(w.pmd);
  const old = yield* pmdpCollapseFlush(w.pmd);
  yield* pmdUnlock(w.pmd);
  if (old.kind !== 'table') throw new Error(`collapse found PMD ${describePmd(old)}, the scenario starts with a table`);
  const pt = old.pt;
  yield* pteLock(pt); // spin_lock(pte_ptl)
  const snapshot = yield* writesGhost(w.collapse, pteSnapshot(pt));
  w.collapse.strayAtScan = pt.strayWrites.length; // under the PTL: no PTE write can come in between
  yield* pteUnlock(pt);
  yield* anonVmaUnlockWrite(w.anonVma);
  if (moved.afterScan) yield* moved.afterScan(w);
  yield* collapseCopy(w, snapshot);
  if (moved.beforeInstall) yield* moved.beforeInstall(w);
  yield* pmdLock(w.pmd);
  const now = yield* pmdRead(w.pmd, 'pmd_none(*pmd)');
  bugOn(now.kind !== 'none', `BUG_ON(!pmd_none(*pmd)) in collapse_huge_page: ${w.pmd.name} is ${describePmd(now)}`, `${w.pmd.name} = ${describePmd(now)}`);
  yield* pgtableDeposit(w.pmd, pt);
  yield* setHugePmd(w.pmd, w.hpage);
  yield* pmdUnlock(w.pmd);
}

function* collapseHugePageBuggy(w: World): Steps {
  yield* mmapWriteLock(w.mm);
  yield* collapsePmd(w);
  yield* mmapWriteUnlock(w.mm);
}

function* collapseHugePageFixed(w: World): Steps {
  yield* mmapWriteLock(w.mm);
  yield* vmaStartWrite(w.vma); // 55fd6fccad31: lock out page faults under the VMA lock
  yield* collapsePmd(w);
  yield* mmapWriteUnlock(w.mm);
}

/** The fix with mmap_write_unlock (and with it vma_end_write_all) before the huge PMD is installed. */
function* collapseUnlockBeforeSetPmd(w: World): Steps {
  yield* mmapWriteLock(w.mm);
  yield* vmaStartWrite(w.vma);
  yield* collapsePmd(w, { beforeInstall: (x) => mmapWriteUnlock(x.mm) });
}

/** The fix with vma_start_write only after the isolate scan. */
function* collapseVmaLockAfterScan(w: World): Steps {
  yield* mmapWriteLock(w.mm);
  yield* collapsePmd(w, { afterScan: (x) => vmaStartWrite(x.vma) });
  yield* mmapWriteUnlock(w.mm);
}

// ---- invariants -------------------------------------------------------------------------------

const ptAttached: Invariant<World> = {
  id: 'pt-attached',
  description: 'a PTE is only written into a page table that a PMD points at, or that collapse detached and has not yet scanned (the scan, under the same PTL, copies it)',
  observes: named('pte', 'ghost: collapse'),
  check: (w) => {
    const late = w.collapse.strayAtScan === null ? [] : w.pt.strayWrites.slice(w.collapse.strayAtScan);
    return late.length === 0 ? true : `${late.join('; ')}, after collapse's isolate scan of ${w.pt.name}`;
  },
};

const faultNotLost: Invariant<World> = {
  id: 'fault-not-lost',
  description: 'once the huge PMD is installed, it maps every page a fault installed in the collapsed range',
  observes: named('pmd', 'ghost: collapse', 'ghost: fault installed'),
  check: (w) => {
    const contents = w.collapse.contents;
    if (!w.fault.installed || w.pmd.val.kind !== 'huge' || contents === null) return true;
    if (contents.some((pte) => pte?.page === w.newPage)) return true;
    return `${describePmd(w.pmd.val)} was copied without ${w.newPage.name}, which the fault mapped at slot ${w.slot}: the write is lost`;
  },
};

/**
 * The fixed variant with its VMA write lock held over less of the collapse, each with the
 * violation the full span prevents (test/scenarios/khugepaged-collapse-vs-vma-locked-fault.test.ts).
 * Not in `variants`: a mutant is a test of the fix, not a kernel version.
 */
export const mutants: Readonly<Record<'unlock-before-set-pmd' | 'vma-lock-after-scan', Variant<World>>> = {
  'unlock-before-set-pmd': {
    summary: 'fixed, but mmap_write_unlock (vma_end_write_all) before set_pmd_at: a fault populates the emptied PMD (mutant)',
    expect: { violated: 'bug-on' },
    invariants: [ptAttached, faultNotLost],
    threads: { fault: pageFault, khugepaged: collapseUnlockBeforeSetPmd },
  },
  'vma-lock-after-scan': {
    summary: 'fixed, but vma_start_write only after the isolate scan: it waits for a fault already past pte_offset_map_lock (mutant)',
    expect: { violated: 'pt-attached' },
    invariants: [ptAttached, faultNotLost],
    threads: { fault: pageFault, khugepaged: collapseVmaLockAfterScan },
  },
};

export default defineScenario({
  id: 'khugepaged-collapse-vs-vma-locked-fault',
  title: 'khugepaged collapse vs a page fault under the per-VMA lock: the fault\'s PTE lost in a collapsed page table',
  commits: [
    '55fd6fccad31 mm/khugepaged: write-lock VMA while collapsing a huge page',
    'mm/khugepaged: fix vm_lock/i_mmap_rwsem inversion in retract_page_tables (folded in)',
  ],
  params: { ptes: 2 },
  setup: ({ ptes }): World => {
    const mm = newMmLocks('mm');
    const pt = newPteTable('pte', ptes);
    for (let i = 0; i < ptes - 1; i++) {
      pt.slots[i] = mkPte(newFolio(`page${i}`, { ref: 1, mapcount: 1 }));
    }
    return {
      rcu: newRcu('rcu'),
      mm,
      vma: newVmaLock('vma', mm),
      anonVma: newAnonVma('anon_vma'),
      pmd: newPmd('pmd', pmdTable(pt)),
      pt,
      newPt: newPteTable('new_pte', ptes),
      slot: ptes - 1,
      newPage: newFolio('new_folio'),
      hpage: newFolio('hpage', { flags: ['head'] }),
      collapse: ghostObject<{ contents: readonly PteVal[] | null; strayAtScan: number | null }>('ghost: collapse', { contents: null, strayAtScan: null }),
      fault: ghostObject('ghost: fault installed', { installed: false }),
    };
  },
  variants: {
    buggy: {
      summary: 'hypothetical interleaving: v6.3 collapse with per-VMA-locked faults (which shipped with 55fd6fccad31): mmap_lock for write but not the VMA lock',
      expect: { violated: 'fault-not-lost' },
      invariants: [ptAttached, faultNotLost],
      threads: { fault: pageFault, khugepaged: collapseHugePageBuggy },
    },
    fixed: {
      summary: '55fd6fccad31: vma_start_write(vma) after mmap_write_lock in collapse_huge_page',
      expect: 'holds',
      invariants: [ptAttached, faultNotLost],
      threads: { fault: pageFault, khugepaged: collapseHugePageFixed },
    },
  },
});

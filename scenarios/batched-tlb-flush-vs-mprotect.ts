/**
 * Reclaim's batched TLB flush vs mprotect(PROT_READ): a stale writable TLB entry survives the
 * syscall, v4.12. EXTENDED (races.md S11).
 *
 * Commits:
 * - 3ea277194daa "mm, mprotect: flush TLB if potentially racing with a parallel reclaim leaving
 *   stale TLB entries" (Mel Gorman, v4.13; race found by Nadav Amit). Reclaim
 *   (try_to_unmap_one with TTU_BATCH_FLUSH) clears a PTE and defers the TLB flush to the end of
 *   the batch. mprotect then finds the PTE already none, has nothing to change or flush, and
 *   returns while another CPU still holds a writable TLB entry: the program writes to memory it
 *   believes read-only (and for munmap, after it is unmapped). The fix: reclaim sets
 *   mm->tlb_flush_batched under the PTL, and change_pte_range (and zap/mremap) call
 *   flush_tlb_batched_pending(mm) after taking the PTL.
 * - Seed 004 names flush_tlb_batched_pending() and its arm64 variant; the later fixes (11b lost
 *   pending flag, 11c re-acquired PTL, 11d arm64 DSB) are further variants not modelled here.
 *
 * Thread A is reclaim on CPU0, thread B mprotect(a, PROT_READ) on CPU2, thread C the program on
 * CPU1, whose TLB holds a writable entry for `a` when the threads start. The variants differ in
 * one line of B.
 *
 * Each part of the fix is needed, and a mutant (`mutants`, run by the scenario's test) shows it:
 * - `no-mm-flag`: reclaim's `mm->tlb_flush_batched = true` in set_tlb_ubc_flush_pending left out;
 *   mprotect's flush_tlb_batched_pending then finds nothing to flush (the v4.12 PTE race again).
 * - `flush-before-ptl`: flush_tlb_batched_pending called before the PTL is taken; reclaim clears
 *   the PTE and sets the flag after the test and before mprotect locks the table, and the program
 *   writes through the stale entry once mprotect has returned (`no-write-after-mprotect`). The flag
 *   is set under the PTL and tested under it: that is what orders the two.
 * - flush_tlb_batched_pending's `mm->tlb_flush_batched = false` after the flush is not needed for
 *   this race: leaving the flag set only makes later PTL holders flush again (in the kernel too,
 *   it is there so that they need not).
 *
 * Choices:
 * - One page and one PTE; the VMA's protection change is the ghost `mprotect.returned` (the VMA is
 *   read-only from then on), set by B's last step, when it returns to user space.
 * - C's write is one step: a TLB hit on a writable entry writes the page; a miss would walk the
 *   PTEs, which never grant write again once B or A ran, so a miss is a fault (SIGSEGV), not a write.
 * - A writes nothing back; its final try_to_unmap_flush stands for "before the page is freed".
 */
import { newFolio, type Folio } from '../models/mm/folio';
import { mkPte, newPteTable, ptepClearFlush, pteLock, pteRead, pteUnlock, pteWrite, type PteTable } from '../models/mm/page-table';
import {
  flushTlbBatchedPending,
  flushTlbRange,
  newMmTlb,
  newTlbUnmapBatch,
  setTlbUbcFlushPending,
  tlbEntryOf,
  tlbFillAtSetup,
  tlbLookup,
  tryToUnmapFlush,
  type MmTlb,
  type TlbUnmapBatch,
} from '../models/mm/tlb';
import { ghostObject, named, writesGhost, type Ghost } from '../models/kit/ghost';
import { defineScenario, type Invariant, type Steps, type Variant } from '../src/index';

/** The user address (slot 0 of the PTE table), as printed. */
const ADDR = 0x1000;
/** The CPU whose TLB holds the stale entry. */
const USER_CPU = 1;

interface World {
  readonly mm: MmTlb;
  readonly pt: PteTable;
  readonly page: Folio;
  readonly batch: TlbUnmapBatch;
  /** Ghost: mprotect(PROT_READ) has returned to user space. */
  readonly mprotect: Ghost<{ returned: boolean }>;
  /** Ghost: user writes that went through after mprotect returned. */
  readonly late: Ghost<{ readonly writes: string[] }>;
}

// ---- A: reclaim, try_to_unmap_one with a batched flush, the same in both variants -------------

/** try_to_unmap_one; `markMm: false` leaves out the fix's `mm->tlb_flush_batched = true` (a mutant). */
function reclaimWith(markMm: boolean) {
  return function* (w: World): Steps {
    yield* pteLock(w.pt);
    yield* ptepClearFlush(w.pt, 0, `ptep_get_and_clear(mm, 0x${ADDR.toString(16)}, pte)`); // no flush: batched
    yield* setTlbUbcFlushPending(w.batch, w.mm, { markMm });
    yield* pteUnlock(w.pt);
    yield* tryToUnmapFlush(w.batch); // before the page is written back and freed
  };
}

const reclaim = reclaimWith(true);

// ---- B: mprotect(a, PROT_READ) → change_pte_range(), buggy (v4.12) and fixed (3ea277194daa) ---

/** Where change_pte_range calls flush_tlb_batched_pending: nowhere (v4.12), under the PTL (the fix), or before it (a mutant). */
type PendingFlush = 'none' | 'under-ptl' | 'before-ptl';

function* changeProtection(w: World, flush: PendingFlush): Steps {
  if (flush === 'before-ptl') yield* flushTlbBatchedPending(w.mm);
  yield* pteLock(w.pt); // pte_offset_map_lock
  if (flush === 'under-ptl') yield* flushTlbBatchedPending(w.mm); // 3ea277194daa
  const pte = yield* pteRead(w.pt, 0);
  let pages = 0;
  if (pte !== null && pte.writable) {
    yield* pteWrite(w.pt, 0, mkPte(pte.page, { writable: false, young: pte.young }), 'ptep_modify_prot_commit(pte_wrprotect(pte))');
    pages++;
  }
  // why the return is recorded by B's last step rather than a ghost step of its own: a row more
  // would lengthen the buggy trace, and nothing of B runs between that step and the return
  if (pages > 0) {
    yield* pteUnlock(w.pt);
    yield* writesGhost(w.mprotect, flushTlbRange(w.mm, ADDR)); // change_protection_range: flush what changed
  } else {
    yield* writesGhost(w.mprotect, pteUnlock(w.pt));
  }
  w.mprotect.returned = true;
}

const mprotectBuggy = (w: World) => changeProtection(w, 'none');
const mprotectFixed = (w: World) => changeProtection(w, 'under-ptl');

// ---- C: the program writes to a ----------------------------------------------------------------

function* userWrite(w: World): Steps {
  // why the lookup declares reading the mprotect ghost: whether the write counts as late depends
  // on it, so the lookup is ordered against B's return
  const hit = yield* writesGhost(w.late, tlbLookup(w.mm, USER_CPU, ADDR, `*(int *)0x${ADDR.toString(16)} = 1 on cpu${USER_CPU}`), [w.mprotect]);
  if (hit?.writable && w.mprotect.returned) w.late.writes.push(`cpu${USER_CPU} wrote ${hit.page.name} through a stale writable TLB entry`);
}

// ---- invariants -------------------------------------------------------------------------------

const tlbNotStaleAfterSyscall: Invariant<World> = {
  id: 'tlb-no-stale-after-syscall',
  description: 'when mprotect returns, no CPU caches more rights for the range than the PTE grants',
  observes: named('mm->tlb', 'pte', 'ghost: mprotect returned'),
  check: (w) => {
    if (!w.mprotect.returned) return true;
    const e = tlbEntryOf(w.mm, USER_CPU, ADDR);
    const pte = w.pt.slots[0] ?? null;
    if (e === null || !e.writable || (pte !== null && pte.writable)) return true;
    return `mprotect(PROT_READ) returned while cpu${USER_CPU} caches a writable entry for 0x${ADDR.toString(16)} (PTE ${pte === null ? 'none' : 'read-only'})`;
  },
};

const noWriteAfterProtect: Invariant<World> = {
  id: 'no-write-after-mprotect',
  description: 'after mprotect(PROT_READ) returns, no user write reaches the page',
  observes: named('ghost: late writes'),
  check: (w) => (w.late.writes.length === 0 ? true : w.late.writes.join('; ')),
};

/**
 * The fixed variant with one part of 3ea277194daa removed, each with the violation that part
 * prevents (test/scenarios/batched-tlb-flush-vs-mprotect.test.ts). Not in `variants`: a mutant is
 * a test of the fix, not a kernel version.
 */
export const mutants: Readonly<Record<'no-mm-flag' | 'flush-before-ptl', Variant<World>>> = {
  'no-mm-flag': {
    summary: 'fixed, but reclaim does not set mm->tlb_flush_batched: the flush owed stays in its own batch (mutant)',
    expect: { violated: 'tlb-no-stale-after-syscall' },
    invariants: [tlbNotStaleAfterSyscall, noWriteAfterProtect],
    threads: { reclaim: reclaimWith(false), mprotect: mprotectFixed, user: userWrite },
  },
  'flush-before-ptl': {
    summary: 'fixed, but flush_tlb_batched_pending before pte_offset_map_lock: reclaim clears the PTE in between (mutant)',
    expect: { violated: 'no-write-after-mprotect' },
    invariants: [tlbNotStaleAfterSyscall, noWriteAfterProtect],
    threads: { reclaim, mprotect: (w: World) => changeProtection(w, 'before-ptl'), user: userWrite },
  },
};

export default defineScenario({
  id: 'batched-tlb-flush-vs-mprotect',
  title: 'reclaim batched TLB flush vs mprotect: a writable TLB entry outlives mprotect(PROT_READ)',
  commits: ['3ea277194daa mm, mprotect: flush TLB if potentially racing with a parallel reclaim leaving stale TLB entries'],
  setup: (): World => {
    const page = newFolio('page', { ref: 1, mapcount: 1 });
    const pt = newPteTable('pte', 1);
    pt.state = 'attached';
    pt.slots[0] = mkPte(page);
    const mm = newMmTlb('mm');
    tlbFillAtSetup(mm, USER_CPU, ADDR, { page, writable: true });
    return {
      mm,
      pt,
      page,
      batch: newTlbUnmapBatch('kswapd'),
      mprotect: ghostObject('ghost: mprotect returned', { returned: false }),
      late: ghostObject('ghost: late writes', { writes: [] as string[] }),
    };
  },
  variants: {
    buggy: {
      summary: 'v4.12: change_pte_range finds the PTE already cleared and flushes nothing',
      expect: { violated: 'tlb-no-stale-after-syscall' },
      invariants: [tlbNotStaleAfterSyscall, noWriteAfterProtect],
      threads: { reclaim, mprotect: mprotectBuggy, user: userWrite },
    },
    fixed: {
      summary: '3ea277194daa (v4.13): flush_tlb_batched_pending(mm) after taking the PTL',
      expect: 'holds',
      invariants: [tlbNotStaleAfterSyscall, noWriteAfterProtect],
      threads: { reclaim, mprotect: mprotectFixed, user: userWrite },
    },
  },
});

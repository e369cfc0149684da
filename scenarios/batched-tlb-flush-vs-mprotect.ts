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
 * Choices:
 * - One page and one PTE; the VMA's protection change is the ghost `mprotectReturned` (the VMA is
 *   read-only from then on), set when B returns to user space.
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
import { named, writesGhost } from '../models/kit/ghost';
import { defineScenario, type Invariant, type SharedObject, type Steps } from '../src/index';

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
  mprotectReturned: boolean;
  /** Ghost: user writes that went through after mprotect returned. */
  readonly lateWrites: string[];
}

// ---- A: reclaim, try_to_unmap_one with a batched flush, the same in both variants -------------

function* reclaim(w: World): Steps {
  yield* pteLock(w.pt);
  yield* ptepClearFlush(w.pt, 0, `ptep_get_and_clear(mm, 0x${ADDR.toString(16)}, pte)`); // no flush: batched
  yield* setTlbUbcFlushPending(w.batch, w.mm);
  yield* pteUnlock(w.pt);
  yield* tryToUnmapFlush(w.batch); // before the page is written back and freed
}

// ---- B: mprotect(a, PROT_READ) → change_pte_range(), buggy (v4.12) and fixed (3ea277194daa) ---

function* changeProtection(w: World, fixed: boolean): Steps {
  yield* pteLock(w.pt); // pte_offset_map_lock
  if (fixed) yield* flushTlbBatchedPending(w.mm); // 3ea277194daa
  const pte = yield* pteRead(w.pt, 0);
  let pages = 0;
  if (pte !== null && pte.writable) {
    yield* pteWrite(w.pt, 0, mkPte(pte.page, { writable: false, young: pte.young }), 'ptep_modify_prot_commit(pte_wrprotect(pte))');
    pages++;
  }
  yield* pteUnlock(w.pt);
  if (pages > 0) yield* flushTlbRange(w.mm, ADDR); // change_protection_range: flush what changed
  w.mprotectReturned = true;
}

const mprotectBuggy = (w: World) => changeProtection(w, false);
const mprotectFixed = (w: World) => changeProtection(w, true);

// ---- C: the program writes to a ----------------------------------------------------------------

// why: lateWrites is written by the thread code after the lookup; the lookup declares it
const [LATE_WRITES] = named('ghost: late writes') as [SharedObject];

function* userWrite(w: World): Steps {
  const hit = yield* writesGhost(LATE_WRITES, tlbLookup(w.mm, USER_CPU, ADDR, `*(int *)0x${ADDR.toString(16)} = 1 on cpu${USER_CPU}`));
  if (hit?.writable && w.mprotectReturned) w.lateWrites.push(`cpu${USER_CPU} wrote ${hit.page.name} through a stale writable TLB entry`);
}

// ---- invariants -------------------------------------------------------------------------------

const tlbNotStaleAfterSyscall: Invariant<World> = {
  id: 'tlb-no-stale-after-syscall',
  description: 'when mprotect returns, no CPU caches more rights for the range than the PTE grants',
  check: (w) => {
    if (!w.mprotectReturned) return true;
    const e = tlbEntryOf(w.mm, USER_CPU, ADDR);
    const pte = w.pt.slots[0] ?? null;
    if (e === null || !e.writable || (pte !== null && pte.writable)) return true;
    return `mprotect(PROT_READ) returned while cpu${USER_CPU} caches a writable entry for 0x${ADDR.toString(16)} (PTE ${pte === null ? 'none' : 'read-only'})`;
  },
};

const noWriteAfterProtect: Invariant<World> = {
  id: 'no-write-after-mprotect',
  description: 'after mprotect(PROT_READ) returns, no user write reaches the page',
  check: (w) => (w.lateWrites.length === 0 ? true : w.lateWrites.join('; ')),
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
    return { mm, pt, page, batch: newTlbUnmapBatch('kswapd'), mprotectReturned: false, lateWrites: [] };
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

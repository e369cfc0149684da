/**
 * __split_huge_page_refcount() vs the final put_page() of a GUP pin on a tail page, v2.6.38.
 *
 * Commits:
 * - 71e3aac0724f "thp: transparent hugepage core" (Andrea Arcangeli, v2.6.38, seed 000) with its
 *   companion "thp: alter compound get_page/put_page". A GUP pin on a tail page counts in the
 *   tail's _count and in the head's; O_DIRECT drops it with put_page() long after gup_fast, with no
 *   mmu notifier to serialise against a split that moves the tail's pins out of the head. The
 *   commit: "my locking solution with a compound_lock taken only after the page_first is valid and
 *   is still a PageHead should be safe".
 *
 * Thread A is split_huge_page() → __split_huge_page_refcount() for a THP with one tail; thread B
 * is the final put_page() of an O_DIRECT pin on that tail (bio completion); thread C is munmap() of
 * the head's PTE once the split installed it (zap_pte_range: page_remove_rmap, the PTE's
 * put_page), followed on the same CPU by an anonymous fault (do_anonymous_page) whose
 * alloc_page() takes the hot page off this CPU's free list — the head, if C's put freed it — and
 * marks it __SetPageUptodate; thread D is reclaim of the tail, an ordinary anonymous page on the
 * LRU once the split drops zone->lru_lock (shrink_page_list → add_to_swap → __add_to_swap_cache:
 * the swap cache's reference, PG_swapcache, set_page_private(page, entry.val)). In 2.6.38
 * first_page shares its word with page->private (include/linux/mm_types.h: `union { struct {
 * private; mapping; }; ptl; slab; first_page; }`), so D's store overwrites the tail's first_page
 * with a swap entry: the split's "1) clear PageTail before overwriting first_page" smp_wmb, and
 * the smp_rmb in put_compound_page, exist for that. The buggy variant is the tail put without
 * serialisation that the design had to avoid (decrement head and tail); the fixed variant is
 * 2.6.38's put_compound_page() tail path (mm/swap.c). A, C and D are the same in every variant.
 *
 * Each part of put_compound_page's tail path is needed, and a mutant (`mutants`, run by
 * test/scenarios/thp-split-vs-tail-put-page.test.ts) shows it:
 * - `no-rmb-pagetail-recheck` (the PageTail(page) test right after smp_rmb(), before the pin,
 *   deleted): B passes its first PageTail test, the split clears PG_tail and drops lru_lock, D
 *   adds the tail to the swap cache, and B loads page->first_page: the word now holds the swap
 *   entry (0x1), and get_page_unless_zero on it is an `oops` (in the kernel an atomic on
 *   address 0x9). Only PageTail still set after the smp_rmb() tells B that the word it loaded was
 *   first_page. Without D, or with first_page kept apart from private, the mutant holds: the
 *   pointer still leads to the head, and the pin or the PageHead re-test catches a freed or split
 *   head.
 * - `no-head-pin` (get_page_unless_zero(page_head) and the puts of that pin deleted): between
 *   B's PageTail test and its compound_lock the split finishes and C frees the head, so B tests
 *   and locks the flags of a page it holds no reference to (use-after-free; in the kernel a bit set
 *   in a buddy page, or in the next owner's page).
 * - `no-pagehead-recheck` (the PageHead(page_head) test after the pin deleted): B's pin succeeds
 *   on the head's pfn handed out again to C's fault, and B's compound_lock sets a bit in a page
 *   whose owner stores its flags non-atomically: __SetPageUptodate writes back the word it loaded
 *   without PG_compound_lock, and B's bit_spin_unlock finds the bit clear (`bug-on`). "Only run
 *   compound_lock on a valid PageHead, after having it pinned" (the 2.6.38 comment).
 * - `no-locked-pagetail-recheck` (the PageTail(page) re-test under compound_lock deleted): B
 *   passes PageHead before the split takes compound_lock, the whole split runs, and B, holding the
 *   lock at last, drops its pin from the head although the split moved it to the tail: the head C
 *   freed and got back from alloc_page loses its new owner's reference (`refcount-balance`; on
 *   other schedules the mapped head is freed, as in the buggy variant).
 *
 * Refcounts at the start: head _count = 3 (the huge PMD's mapping, the splitter's own reference,
 * B's pin), tail _count = 1 (B's pin), head mapcount 1. When all threads are done the tail is an
 * ordinary page mapped once and in the swap cache, with _count 2 (the mapping's and the swap
 * cache's), and the head was unmapped by C: freed (count 0), or handed out again to C's fault
 * (count 1, unmapped); one put short and the splitter's own put_page frees a mapped page.
 *
 * Choices:
 * - One tail page stands for the 511: each tail's transfer is the same, under the same lock.
 * - The zone lru_lock (with IRQs off) and the anon_vma lock that the split holds, the PMD split and
 *   the tail's LRU/mapping/index set-up are left out: B takes none of them and reads none of it.
 * - compound_lock_irqsave's IRQ disabling is not modelled: B is the only put_page, so no put_page
 *   in IRQ context on A's CPU can spin on the bit A holds (INV-IRQ-SAFE-LOCK is left for later).
 * - The head's mapcount changes only in C, after A's transfer (C waits for the split), so A's
 *   `page_mapcount(page) + 1` reads it in thread code, not as a step.
 * - C waits for a completion that A signals where __split_huge_page_map has installed the PTEs
 *   and the anon_vma lock is dropped (after the tails' put_page, before the caller's put_page):
 *   zap_huge_pmd on the THP before that waits on the split (wait_split_huge_page), and a munmap
 *   of the huge PMD before the split starts is another race.
 * - The head's pfn is handed out as an order-0 page: with the other 510 tails free, it could also
 *   become part of a higher-order block; the order-0 reuse is enough for both parts of the fix.
 * - D is reclaim reduced to what another thread here can see. __add_to_swap_cache's three stores
 *   (the reference, PG_swapcache, the private word) are one step: B reads neither the count nor
 *   PG_swapcache, and its puts cannot take the tail to 0 while it is mapped. The isolation's
 *   reference (__isolate_lru_page) and trylock_page/unlock_page around add_to_swap are left out
 *   for the same reason (nobody else locks the tail) and because each step on the tail multiplies
 *   the search: with the page lock, the fixed variant takes 358,464 executions instead of 39,416.
 *   get_swap_page, try_to_unmap and the writeout that follow are left out: B reads none of them,
 *   and the page stays mapped and in the swap cache (as when try_to_unmap fails: keep_locked).
 * - D starts where A drops zone->lru_lock (`tail_on_lru`): isolate_lru_pages finds the tail there
 *   at the earliest. The swap slot is swp_entry(0, 1), whose val is 1 on x86-64 (type in the top
 *   bits; slot 0 is the swap header).
 */
import { bitSpinLock, bitSpinUnlock, type BitSpinlock } from '../models/bit-spinlock';
import { complete, newCompletion, waitForCompletion, type Completion } from '../models/completion';
import {
  addToSwapCache,
  allocPageReusing,
  folioAddMapcount,
  folioGetUnlessZero,
  folioPut,
  newCompoundPage,
  pageBitLock,
  pageCount,
  pageRefAdd,
  readFirstPage,
  setFlag,
  setFlagNonAtomic,
  testFlag,
  type Folio,
} from '../models/mm/folio';
import { named } from '../models/kit/ghost';
import { bugOn, defineScenario, type Invariant, type Steps, type Variant } from '../src/index';

interface World {
  readonly head: Folio;
  readonly tail: Folio;
  /** compound_lock(head): PG_compound_lock in the head's flags. */
  readonly compoundLock: BitSpinlock;
  /** The split has installed the PTEs and dropped the anon_vma lock (C may zap the head's PTE). */
  readonly splitMapped: Completion;
  /** The split has dropped zone->lru_lock with the tail on the LRU (D's reclaim may isolate it). */
  readonly tailOnLru: Completion;
}

// ---- A: split_huge_page() of 2.6.38, the same in both variants --------------------------------

function* splitHugePage(w: World): Steps {
  const { head, tail } = w;
  yield* bitSpinLock(w.compoundLock); // compound_lock(page)
  // "tail_page->_count cannot change": it can, without the lock on B's side (the buggy variant)
  const pins = yield* pageCount(tail, 'atomic_read(&page_tail->_count)');
  yield* pageRefAdd(head, -pins, `atomic_sub(${pins}, &page->_count)`);
  yield* pageRefAdd(tail, head.mapcount + 1, `atomic_add(page_mapcount(page) + 1, &page_tail->_count)`);
  yield* setFlag(tail, 'tail', false, 'page_tail->flags &= ~PG_tail'); // "after clearing PageTail the gup refcount can be released"
  yield* folioAddMapcount(tail, head.mapcount, 'page_tail->_mapcount = page->_mapcount');
  yield* setFlag(head, 'head', false, 'ClearPageCompound(page)');
  yield* bitSpinUnlock(w.compoundLock); // compound_unlock(page)
  yield* complete(w.tailOnLru); // spin_unlock_irq(&zone->lru_lock): lru_add_page_tail put the tail on the LRU
  yield* folioPut(tail, 'put_page(page_tail)'); // drops the +1 of the transfer
  yield* complete(w.splitMapped); // __split_huge_page_map; anon_vma_unlock(anon_vma)
  yield* folioPut(head, 'put_page(page)'); // split_huge_page's caller drops its own reference
}

// ---- C: munmap of the head's PTE, then a fault on the same CPU, the same in every variant -------

function* unmapHeadThenFault(w: World): Steps {
  const { head } = w;
  yield* waitForCompletion(w.splitMapped);
  yield* folioAddMapcount(head, -1, 'page_remove_rmap(page)'); // zap_pte_range
  yield* folioPut(head, 'put_page(page)'); // tlb_remove_page → free_page_and_swap_cache
  // do_anonymous_page: the pcp list hands out the page freed last on this CPU
  if (!(yield* allocPageReusing(head, 'alloc_zeroed_user_highpage_movable()'))) return;
  yield* setFlagNonAtomic(head, 'uptodate'); // __SetPageUptodate(page): "nobody else sees it yet"
}

// ---- D: reclaim of the tail, an ordinary anon page on the LRU since the split ------------------

/** swp_entry(0, 1).val, the first slot get_swap_page() hands out (slot 0 is the swap header). */
const SWAP_ENTRY = 1;

/** shrink_page_list() on the tail as far as add_to_swap(): the tail's next use of page->private. */
function* reclaimTail(w: World): Steps {
  const page = w.tail;
  yield* waitForCompletion(w.tailOnLru);
  yield* addToSwapCache(page, SWAP_ENTRY, '__add_to_swap_cache(page, entry)');
}

// ---- B: the final put_page() of the tail pin, buggy and fixed side by side --------------------

/** Without serialisation: the pin is dropped from the head and the tail as two plain atomics. */
function* putTailPageBuggy(w: World): Steps {
  const page = w.tail;
  if (!(yield* testFlag(page, 'tail'))) {
    yield* folioPut(page); // a standalone page by now
    return;
  }
  const pageHead = yield* readFirstPage(page, 'page_head = page->first_page');
  yield* folioPut(pageHead, 'put_page_testzero(page_head)');
  yield* pageRefAdd(page, -1, 'atomic_dec(&page->_count)');
}

/** The parts of put_compound_page's tail path that a variant may leave out. */
interface TailPutParts {
  /** PageTail(page) again after smp_rmb(): page_head was read while the word still held first_page. */
  readonly recheckPageTail: boolean;
  /** get_page_unless_zero(page_head), with the puts that drop that pin. */
  readonly pinHead: boolean;
  /** if (unlikely(!PageHead(page_head))) goto out_put_head; — after the pin. */
  readonly recheckPageHead: boolean;
  /** if (unlikely(!PageTail(page))) — under compound_lock: the split ran before us. */
  readonly recheckPageTailLocked: boolean;
}

const ALL_PARTS: TailPutParts = { recheckPageTail: true, pinHead: true, recheckPageHead: true, recheckPageTailLocked: true };

/** put_compound_page() of 2.6.38, tail branch: pin the head, then decide under compound_lock. */
function putTailPageFixed(parts: TailPutParts): (w: World) => Steps {
  const { recheckPageTail, pinHead, recheckPageHead, recheckPageTailLocked } = parts;
  return function* (w) {
    const page = w.tail;
    if (!(yield* testFlag(page, 'tail'))) {
      yield* folioPut(page);
      return;
    }
    const pageHead = yield* readFirstPage(page, 'page_head = page->first_page');
    // smp_rmb(): if PageTail is still set, page_head was not a dangling pointer
    if ((recheckPageTail && !(yield* testFlag(page, 'tail'))) || (pinHead && !(yield* folioGetUnlessZero(pageHead)))) {
      yield* folioPut(page); // page_head is a dangling pointer: out_put_single
      return;
    }
    if (recheckPageHead && !(yield* testFlag(pageHead, 'head'))) {
      // the split ran before we pinned the head: out_put_head, then out_put_single
      if (pinHead) yield* folioPut(pageHead);
      yield* folioPut(page);
      return;
    }
    yield* bitSpinLock(w.compoundLock); // compound_lock_irqsave(page_head, &flags)
    if (recheckPageTailLocked && !(yield* testFlag(page, 'tail'))) {
      // __split_huge_page_refcount ran before us
      yield* bitSpinUnlock(w.compoundLock);
      if (pinHead) yield* folioPut(pageHead);
      yield* folioPut(page);
      return;
    }
    // release the pin of get_page_unless_zero: the split now waits on the compound_lock
    if (pinHead) bugOn(yield* folioPut(pageHead, 'put_page_testzero(page_head)'), 'VM_BUG_ON(1): put_page_testzero(page_head) reached zero under compound_lock');
    yield* pageRefAdd(page, -1, 'atomic_dec(&page->_count)');
    yield* bitSpinUnlock(w.compoundLock); // compound_unlock_irqrestore(page_head, flags)
    yield* folioPut(pageHead, 'put_page_testzero(page_head)'); // __put_compound_page at 0
  };
}

// ---- invariants -------------------------------------------------------------------------------

// why one invariant per page, under one id: it is one rule, and a page's life and mapcount change
// only in steps that declare that page, so each observes one object and orders nothing that its
// own page's steps do not already order (one invariant over both would order every head step
// against every tail step: 19,204 executions instead of 6,068)
function freedWhileMapped(page: (w: World) => Folio, name: string): Invariant<World> {
  return {
    id: 'page-freed-while-mapped',
    description: 'a page is freed only when nothing maps it (its references were counted right)',
    observes: named(name),
    check: (w) => {
      const p = page(w);
      return p.life === 'freed' && p.mapcount > 0 ? `${p.name} freed with mapcount ${p.mapcount}: a reference was dropped twice` : true;
    },
  };
}
const noFreeWhileMappedHead = freedWhileMapped((w) => w.head, 'thp');
const noFreeWhileMappedTail = freedWhileMapped((w) => w.tail, 'thp[1]');

// why a final-state invariant: it is about where the counts end, and equivalent interleavings end
// in the same state, so it needs no observer
const refcountBalance: Invariant<World> = {
  id: 'refcount-balance',
  description: 'when every thread is done, head and tail are ordinary pages whose _count is their mapcount (plus the new owner\'s reference of a reallocated head, and the swap cache\'s)',
  check: (w) => {
    // the reallocated head's one reference is its new owner's; a page in the swap cache has the cache's
    const expected = (p: Folio): number => p.mapcount + (p === w.head && w.head.generation > 0 ? 1 : 0) + (p.flags.has('swapcache') ? 1 : 0);
    const off = [w.head, w.tail].filter((p) => p.ref !== expected(p));
    return off.length === 0 || off.map((p) => `${p.name}->_count = ${p.ref}, mapcount ${p.mapcount}`).join('; ');
  },
};

/**
 * The fixed variant with one part of put_compound_page's fix removed, each with the violation that
 * part prevents. Not in `variants`: a mutant is a test of the fix (test/scenarios), not a kernel
 * version, and the one without the PageHead re-test needs three preemptions, more than the
 * registry-wide early-detection bound allows.
 */
export const mutants: Readonly<Record<'no-rmb-pagetail-recheck' | 'no-head-pin' | 'no-pagehead-recheck' | 'no-locked-pagetail-recheck', Variant<World>>> = {
  'no-rmb-pagetail-recheck': {
    summary: 'fixed without the PageTail(page) test after smp_rmb(): B follows a first_page that reclaim overwrote with a swap entry (mutant)',
    expect: { violated: 'oops' },
    invariants: [noFreeWhileMappedHead, noFreeWhileMappedTail],
    finalState: [refcountBalance],
    threads: { split: splitHugePage, put: putTailPageFixed({ ...ALL_PARTS, recheckPageTail: false }), unmap: unmapHeadThenFault, reclaim: reclaimTail },
  },
  'no-head-pin': {
    summary: 'fixed without get_page_unless_zero(page_head): compound_lock on a head C freed (mutant)',
    expect: { violated: 'use-after-free' },
    invariants: [noFreeWhileMappedHead, noFreeWhileMappedTail],
    finalState: [refcountBalance],
    threads: { split: splitHugePage, put: putTailPageFixed({ ...ALL_PARTS, pinHead: false }), unmap: unmapHeadThenFault, reclaim: reclaimTail },
  },
  'no-pagehead-recheck': {
    summary: 'fixed without the PageHead(page_head) re-test: compound_lock on the reallocated head (mutant)',
    expect: { violated: 'bug-on' },
    invariants: [noFreeWhileMappedHead, noFreeWhileMappedTail],
    finalState: [refcountBalance],
    threads: { split: splitHugePage, put: putTailPageFixed({ ...ALL_PARTS, recheckPageHead: false }), unmap: unmapHeadThenFault, reclaim: reclaimTail },
  },
  'no-locked-pagetail-recheck': {
    summary: 'fixed without the PageTail(page) re-test under compound_lock: B drops its pin from the head after the split moved it to the tail (mutant)',
    expect: { violated: 'refcount-balance' },
    invariants: [noFreeWhileMappedHead, noFreeWhileMappedTail],
    finalState: [refcountBalance],
    threads: { split: splitHugePage, put: putTailPageFixed({ ...ALL_PARTS, recheckPageTailLocked: false }), unmap: unmapHeadThenFault, reclaim: reclaimTail },
  },
};

export default defineScenario({
  id: 'thp-split-vs-tail-put-page',
  title: 'THP split vs put_page on a tail page: the GUP pin dropped from the head twice (compound_lock era)',
  commits: ['71e3aac0724f thp: transparent hugepage core', 'thp: alter compound get_page/put_page (same series, v2.6.38)'],
  setup: (): World => {
    const { head, tails } = newCompoundPage('thp', 1, { ref: 3, mapcount: 1 });
    const tail = tails[0]!;
    tail.ref = 1; // B's GUP pin, also counted in head->_count
    return { head, tail, compoundLock: pageBitLock(head, 'PG_compound_lock'), splitMapped: newCompletion('split_mapped'), tailOnLru: newCompletion('tail_on_lru') };
  },
  variants: {
    buggy: {
      summary: 'hypothetical interleaving: tail put_page without serialisation against the split (what compound_lock avoids; THP shipped with it)',
      expect: { violated: 'page-freed-while-mapped' },
      invariants: [noFreeWhileMappedHead, noFreeWhileMappedTail],
    finalState: [refcountBalance],
      threads: { split: splitHugePage, put: putTailPageBuggy, unmap: unmapHeadThenFault, reclaim: reclaimTail },
    },
    fixed: {
      summary: '71e3aac0724f (v2.6.38): PageTail after smp_rmb, get_page_unless_zero(head), PageHead, compound_lock, re-check PageTail',
      expect: 'holds',
      invariants: [noFreeWhileMappedHead, noFreeWhileMappedTail],
    finalState: [refcountBalance],
      threads: { split: splitHugePage, put: putTailPageFixed(ALL_PARTS), unmap: unmapHeadThenFault, reclaim: reclaimTail },
    },
  },
});

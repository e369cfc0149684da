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
 * is the final put_page() of an O_DIRECT pin on that tail (bio completion). The buggy variant is
 * the tail put without serialisation that the design had to avoid (decrement head and tail); the
 * fixed variant is 2.6.38's put_compound_page() tail path. A is the same in both.
 *
 * Refcounts at the start: head _count = 3 (the huge PMD's mapping, the splitter's own reference,
 * B's pin), tail _count = 1 (B's pin), head mapcount 1. When both threads are done the head and
 * the tail are ordinary pages each mapped once (by the PTEs the split installs) with _count 1; one
 * put short and the splitter's own put_page frees a mapped page.
 *
 * Choices:
 * - One tail page stands for the 511: each tail's transfer is the same, under the same lock.
 * - The zone lru_lock (with IRQs off) and the anon_vma lock that the split holds, the PMD split and
 *   the tail's LRU/mapping/index set-up are left out: B takes none of them and reads none of it.
 * - compound_lock_irqsave's IRQ disabling is not modelled: B is the only put_page, so no put_page
 *   in IRQ context on A's CPU can spin on the bit A holds (INV-IRQ-SAFE-LOCK is left for later).
 * - The head's mapcount never changes here, so A's `page_mapcount(page) + 1` reads it in thread
 *   code, not as a step.
 */
import { bitSpinLock, bitSpinUnlock, newBitSpinlock, type BitSpinlock } from '../models/bit-spinlock';
import {
  folioAddMapcount,
  folioGetUnlessZero,
  folioPut,
  newCompoundPage,
  pageCount,
  pageRefAdd,
  readFirstPage,
  setFlag,
  testFlag,
  type Folio,
} from '../models/mm/folio';
import { bugOn, defineScenario, type Invariant, type Steps } from '../src/index';

interface World {
  readonly head: Folio;
  readonly tail: Folio;
  /** compound_lock(head): PG_compound_lock in the head's flags. */
  readonly compoundLock: BitSpinlock;
  /** Ghost: threads that have returned. */
  done: number;
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
  yield* folioPut(tail, 'put_page(page_tail)'); // drops the +1 of the transfer
  yield* folioPut(head, 'put_page(page)'); // split_huge_page's caller drops its own reference
  w.done++;
}

// ---- B: the final put_page() of the tail pin, buggy and fixed side by side --------------------

/** Without serialisation: the pin is dropped from the head and the tail as two plain atomics. */
function* putTailPageBuggy(w: World): Steps {
  const page = w.tail;
  if (!(yield* testFlag(page, 'tail'))) {
    yield* folioPut(page); // a standalone page by now
    return;
  }
  const pageHead = (yield* readFirstPage(page, 'page_head = page->first_page'))!;
  yield* folioPut(pageHead, 'put_page_testzero(page_head)');
  yield* pageRefAdd(page, -1, 'atomic_dec(&page->_count)');
}

/** put_compound_page() of 2.6.38, tail branch: pin the head, then decide under compound_lock. */
function* putTailPageFixed(w: World): Steps {
  const page = w.tail;
  if (!(yield* testFlag(page, 'tail'))) {
    yield* folioPut(page);
    return;
  }
  const pageHead = (yield* readFirstPage(page, 'page_head = page->first_page'))!;
  // smp_rmb(): if PageTail is still set, page_head was not a dangling pointer
  if (!(yield* testFlag(page, 'tail')) || !(yield* folioGetUnlessZero(pageHead))) {
    yield* folioPut(page); // page_head is a dangling pointer: out_put_single
    return;
  }
  if (!(yield* testFlag(pageHead, 'head'))) {
    // the split ran before we pinned the head: out_put_head, then out_put_single
    yield* folioPut(pageHead);
    yield* folioPut(page);
    return;
  }
  yield* bitSpinLock(w.compoundLock); // compound_lock_irqsave(page_head, &flags)
  if (!(yield* testFlag(page, 'tail'))) {
    // __split_huge_page_refcount ran before us
    yield* bitSpinUnlock(w.compoundLock);
    yield* folioPut(pageHead);
    yield* folioPut(page);
    return;
  }
  // release the pin of get_page_unless_zero: the split now waits on the compound_lock
  bugOn(yield* folioPut(pageHead, 'put_page_testzero(page_head)'), 'VM_BUG_ON(1): put_page_testzero(page_head) reached zero under compound_lock');
  yield* pageRefAdd(page, -1, 'atomic_dec(&page->_count)');
  yield* bitSpinUnlock(w.compoundLock); // compound_unlock_irqrestore(page_head, flags)
  yield* folioPut(pageHead, 'put_page_testzero(page_head)'); // __put_compound_page at 0
}

/** B's body, with the ghost count of finished threads (B returns from several places). */
function counted(body: (w: World) => Steps): (w: World) => Steps {
  return function* (w) {
    yield* body(w);
    w.done++;
  };
}

// ---- invariants -------------------------------------------------------------------------------

const noFreeWhileMapped: Invariant<World> = {
  id: 'page-freed-while-mapped',
  description: 'a page is freed only when nothing maps it (its references were counted right)',
  check: (w) => {
    for (const p of [w.head, w.tail]) {
      if (p.life === 'freed' && p.mapcount > 0) return `${p.name} freed with mapcount ${p.mapcount}: a reference was dropped twice`;
    }
    return true;
  },
};

const refcountBalance: Invariant<World> = {
  id: 'refcount-balance',
  description: 'when split and put are done, head and tail are ordinary pages whose _count is their mapcount',
  check: (w) => {
    if (w.done < 2) return true;
    const off = [w.head, w.tail].filter((p) => p.ref !== p.mapcount);
    return off.length === 0 || off.map((p) => `${p.name}->_count = ${p.ref}, mapcount ${p.mapcount}`).join('; ');
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
    return { head, tail, compoundLock: newBitSpinlock(head, 'PG_compound_lock'), done: 0 };
  },
  variants: {
    buggy: {
      summary: 'tail put_page without serialisation against the split (what compound_lock avoids)',
      expect: { violated: 'page-freed-while-mapped' },
      invariants: [noFreeWhileMapped, refcountBalance],
      threads: { split: splitHugePage, put: counted(putTailPageBuggy) },
    },
    fixed: {
      summary: '71e3aac0724f (v2.6.38): get_page_unless_zero(head), PageHead, compound_lock, re-check PageTail',
      expect: 'holds',
      invariants: [noFreeWhileMapped, refcountBalance],
      threads: { split: splitHugePage, put: counted(putTailPageFixed) },
    },
  },
});

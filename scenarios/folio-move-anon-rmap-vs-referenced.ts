/**
 * folio_move_anon_rmap() to an anon_vma of a different root (UFFDIO_MOVE) vs folio_referenced(),
 * v6.8.
 *
 * Commits:
 * - 880a99b60d46 "mm/rmap: support move to different root anon_vma in folio_move_anon_rmap()"
 *   (Andrea Arcangeli, v6.8; mainline hash per shortlogs, seed 004 names the subject only).
 *   Until then folio_move_anon_rmap() only moved a folio within one anon_vma tree (after fork),
 *   and the folio lock sufficed. folio_referenced() walks the anon rmap holding only the root's
 *   rwsem for read, without the folio lock, so a move to another tree must also hold the old
 *   root's rwsem for write, and folio_lock_anon_vma_read() must re-check folio->mapping after
 *   locking and retry when it changed — in the trylock path and in the sleeping path.
 * - adef440691ba "userfaultfd: UFFDIO_MOVE uABI" (v6.8), the writer: move_pages_pte() →
 *   move_present_pte() holds the folio lock and the source anon_vma's root rwsem for write.
 *
 * Thread A is UFFDIO_MOVE of one present PTE (src → dst), thread B is reclaim's
 * folio_referenced() → rmap_walk_anon() (v6.8 mm/rmap.c): its rmap_walk_control sets try_lock, so
 * folio_lock_anon_vma_read() gives up when down_read_trylock of the root rwsem fails (contended:
 * folio_referenced returns -1, reclaim keeps the folio). `buggy` and `fixed` differ only in B's
 * folio_lock_anon_vma_read(): without and with the re-check (models/anon-vma.ts). The stale walk
 * needs no contention here: B reads folio->mapping, A's whole move runs, and B's trylock of the old
 * root then succeeds.
 *
 * `sleeping-buggy` and `sleeping-fixed` are the same race with a reader that sleeps on the rwsem
 * instead (rwc without try_lock: page_idle's page_idle_clear_pte_refs, DAMON's damon_folio_mkold
 * and damon_folio_young): the pinned, sleeping path of folio_lock_anon_vma_read, which needs the
 * second re-check of 880a99b60d46.
 *
 * Choices:
 * - A takes the source root rwsem with down_write; the real code try-locks it and on failure drops
 *   the PTE maps, sleeps on it and starts over, which orders the same way.
 * - src and dst are neighbouring VMAs of one mm whose PTEs share one PTE table, so double_pt_lock
 *   takes one PTL (as it does when src_ptl == dst_ptl) and the PTE move (ptep_clear_flush of src,
 *   set_pte_at of dst) is one step under it, after folio_move_anon_rmap rather than around it: B
 *   reads PTEs only under that PTL, so no schedule tells these orders apart (races.md §0).
 * - folio_move_anon_rmap() and the `src_folio->index = linear_page_index(dst_vma, dst_addr)` that
 *   follows it are one step: both run under the folio lock and the old root's rwsem for write, and
 *   the only lockless reader (B's READ_ONCE of the mapping) does not read the index.
 * - folio_lock_anon_vma_read's READ_ONCE(folio->mapping) and its folio_mapped() tests are
 *   separate reads of the folio, as in the kernel.
 * - mmap_lock (held for read by A) and the TLB flush of ptep_clear_flush() are left out: reclaim
 *   takes neither.
 * - The rmap walk's interval-tree lookup is a filter on the anon_vma's VMAs by the folio's index:
 *   a VMA whose range does not cover it is not visited, as anon_vma_interval_tree_foreach does.
 */
import { folioLockAnonVmaRead, newAnonVma, anonVmaLockWrite, anonVmaUnlockRead, anonVmaUnlockWrite, type AnonVma } from '../models/mm/anon-vma';
import { folioLock, folioReadMapping, folioSetMapping, folioUnlock, newFolio, type Folio } from '../models/mm/folio';
import { mkPte, movePte, newPteTable, ptepTestAndClearYoung, pteLock, pteUnlock, type PteTable } from '../models/mm/page-table';
import { newRcu, type Rcu } from '../models/rcu';
import { named, writesGhost } from '../models/kit/ghost';
import { defineScenario, type Invariant, type SharedObject, type Steps } from '../src/index';

/** A VMA as the rmap walk sees it: the page offsets it covers and where its PTEs sit in the table. */
interface Vma extends SharedObject {
  readonly pgoff: number;
  readonly pages: number;
  /** The PTE table slot of the VMA's first page. */
  readonly firstSlot: number;
  readonly pt: PteTable;
}

interface World {
  readonly rcu: Rcu;
  readonly folio: Folio;
  readonly src: Vma;
  readonly dst: Vma;
  readonly srcAnonVma: AnonVma<Vma>;
  readonly dstAnonVma: AnonVma<Vma>;
  /** Ghost: the anon_vma root whose rwsem B's rmap walk holds, while it walks. */
  walkRoot: AnonVma<Vma> | null;
  /** Ghost: VMAs that mapped the folio when B's walk ended but that it did not visit. */
  walkMissed: Vma[];
}

const SRC_PGOFF = 0;
const DST_PGOFF = 8;

/** vma_address(): the PTE slot of page offset `index` in `vma`, or -1 when the VMA does not cover it. */
function slotOf(vma: Vma, index: number): number {
  const page = index - vma.pgoff;
  return page >= 0 && page < vma.pages ? vma.firstSlot + page : -1;
}

// ---- A: UFFDIO_MOVE of one present PTE, move_present_pte() (v6.8), same in both variants ------

function* uffdioMove(w: World): Steps {
  const { folio, src, dst } = w;
  const pt = src.pt; // === dst.pt
  yield* folioLock(folio);
  yield* anonVmaLockWrite(w.srcAnonVma); // anon_vma_lock_write(src_anon_vma)
  yield* pteLock(pt); // double_pt_lock(dst_ptl, src_ptl), one lock
  yield* folioSetMapping(folio, w.dstAnonVma, DST_PGOFF, 'folio_move_anon_rmap(src_folio, dst_vma); src_folio->index = dst index');
  yield* movePte(pt, src.firstSlot, dst.firstSlot, 'ptep_clear_flush(src_pte); set_pte_at(dst_pte, orig_dst_pte)');
  yield* pteUnlock(pt);
  yield* anonVmaUnlockWrite(w.srcAnonVma);
  yield* folioUnlock(folio);
}

// ---- B: folio_referenced() → rmap_walk_anon(), buggy (pre-880a99b60d46) and fixed -------------

// why: the walk's ghost record (walkMissed) is written by thread code; the step before it declares it
const [WALK_RECORD] = named('ghost: rmap walk record') as [SharedObject];

/** rmap_walk_anon's walk over the locked anon_vma, with the ghost record of what it visited. */
function* walkAnonVma(w: World, av: AnonVma<Vma>): Steps {
  const { folio } = w;
  w.walkRoot = av.root;
  const { index } = yield* writesGhost(WALK_RECORD, folioReadMapping(folio, `folio_pgoff(${folio.name})`)); // why: walkMissed may be set right after it
  const visited: Vma[] = [];
  for (const vma of av.vmas) {
    const slot = slotOf(vma, index);
    if (slot < 0) continue; // anon_vma_interval_tree_foreach: vma does not cover the index
    visited.push(vma);
    // folio_referenced_one(): page_vma_mapped_walk() and the young bit, under the PTL
    yield* pteLock(vma.pt);
    yield* ptepTestAndClearYoung(vma.pt, slot, folio);
    yield* pteUnlock(vma.pt);
  }
  w.walkMissed = [w.src, w.dst].filter((v) => v.pt.slots[v.firstSlot]?.page === folio && !visited.includes(v));
  w.walkRoot = null;
  yield* anonVmaUnlockRead(av);
}

/** folio_referenced() from reclaim: rwc.try_lock, so a contended root rwsem ends the walk. */
function folioReferenced(recheck: boolean) {
  return function* (w: World): Steps {
    const av = (yield* folioLockAnonVmaRead(w.folio, w.rcu, { recheck, tryLock: true })) as AnonVma<Vma> | null | 'contended';
    if (av === null || av === 'contended') return; // 'contended': rwc.contended, return -1
    yield* walkAnonVma(w, av);
  };
}

/** page_idle_clear_pte_refs / damon_folio_mkold: rmap_walk with a reader that sleeps on the rwsem. */
function sleepingRmapWalk(recheck: boolean) {
  return function* (w: World): Steps {
    const av = (yield* folioLockAnonVmaRead(w.folio, w.rcu, { recheck })) as AnonVma<Vma> | null;
    if (av === null) return;
    yield* walkAnonVma(w, av);
  };
}

// ---- invariants -------------------------------------------------------------------------------

const rmapRootMatch: Invariant<World> = {
  id: 'rmap-root-match',
  description: 'while an rmap walk of a folio runs, the anon_vma root it holds locked is the root of folio->mapping',
  check: (w) => {
    const locked = w.walkRoot;
    const current = w.folio.mapping as AnonVma<Vma> | null;
    if (locked === null || current === null || current.root === locked) return true;
    return `rmap walk of ${w.folio.name} holds ${locked.rwsem.name}, but ${w.folio.name}->mapping = ${current.name} (root ${current.root.name})`;
  },
};

const rmapWalkComplete: Invariant<World> = {
  id: 'rmap-walk-complete',
  description: 'an rmap walk visits every VMA whose page table maps the folio',
  check: (w) =>
    w.walkMissed.length === 0 || `rmap walk of ${w.folio.name} missed ${w.walkMissed.map((v) => v.name).join(', ')}, which maps it`,
};

export default defineScenario({
  id: 'folio-move-anon-rmap-vs-referenced',
  title: 'folio_move_anon_rmap to another anon_vma root vs folio_referenced: rmap walk under the wrong root lock',
  commits: [
    '880a99b60d46 mm/rmap: support move to different root anon_vma in folio_move_anon_rmap()',
    'adef440691ba userfaultfd: UFFDIO_MOVE uABI',
  ],
  setup: (): World => {
    const pt = newPteTable('pte', 2);
    pt.state = 'attached';
    const src: Vma = { name: 'src_vma', pgoff: SRC_PGOFF, pages: 1, firstSlot: 0, pt };
    const dst: Vma = { name: 'dst_vma', pgoff: DST_PGOFF, pages: 1, firstSlot: 1, pt };
    const srcAnonVma = newAnonVma<Vma>('src_anon_vma', { vmas: [src] });
    const dstAnonVma = newAnonVma<Vma>('dst_anon_vma', { vmas: [dst] });
    const folio = newFolio('folio', { ref: 1, mapcount: 1, mapping: srcAnonVma, index: SRC_PGOFF });
    pt.slots[src.firstSlot] = mkPte(folio);
    return { rcu: newRcu('rcu'), folio, src, dst, srcAnonVma, dstAnonVma, walkRoot: null, walkMissed: [] };
  },
  variants: {
    buggy: {
      summary: 'hypothetical interleaving: v6.8-rc before 880a99b60d46 (UFFDIO_MOVE shipped with it): folio_lock_anon_vma_read trusts the mapping it read before locking',
      expect: { violated: 'rmap-root-match' },
      invariants: [rmapRootMatch, rmapWalkComplete],
      threads: { move: uffdioMove, referenced: folioReferenced(false) },
    },
    fixed: {
      summary: '880a99b60d46: re-check folio->mapping after taking the root rwsem, retry if it moved',
      expect: 'holds',
      invariants: [rmapRootMatch, rmapWalkComplete],
      threads: { move: uffdioMove, referenced: folioReferenced(true) },
    },
    'sleeping-buggy': {
      summary: 'hypothetical interleaving: page_idle/DAMON rmap walk (sleeps on the root rwsem) before 880a99b60d46: no re-check after down_read',
      expect: { violated: 'rmap-root-match' },
      invariants: [rmapRootMatch, rmapWalkComplete],
      threads: { move: uffdioMove, walk: sleepingRmapWalk(false) },
    },
    'sleeping-fixed': {
      summary: '880a99b60d46 in the sleeping path: re-check folio->mapping after anon_vma_lock_read, retry if it moved',
      expect: 'holds',
      invariants: [rmapRootMatch, rmapWalkComplete],
      threads: { move: uffdioMove, walk: sleepingRmapWalk(true) },
    },
  },
});

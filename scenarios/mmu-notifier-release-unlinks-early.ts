/**
 * __mmu_notifier_release() unlinks the notifier before calling ->release, vs try_to_unmap_one(),
 * v2.6.27–v3.5.
 *
 * Commits:
 * - cddb8a5c14 "mmu-notifiers: core" (v2.6.27): __mmu_notifier_release() takes each notifier off
 *   the list (hlist_del_init_rcu) under the list lock, then calls its ->release under RCU.
 * - 3ad3d901bb "mm: mmu_notifier: fix freed page still mapped in secondary MMU" (v3.6-rc1): between
 *   the unlink and ->release, reclaim or migration (try_to_unmap_one) of a page of the exiting mm
 *   walks the list, finds it empty and frees the page while the secondary MMU still maps it; the
 *   late ->release then zaps that spte and sets PG_referenced on a freed page ("Bad page state").
 *   The fix calls ->release on every notifier while it is still on the list, then unlinks them all.
 *
 * Thread A is __mmu_notifier_release() from exit_mmap(); thread B is try_to_unmap_one() on page P
 * of the same mm as v3.5 has it (the notifier called under the PTL, ptep_clear_flush_notify), then
 * shrink_page_list() dropping its isolation reference. The VM maps P through spte[0x1000]; P has
 * two references (the mapping and the isolation). The variants differ only in A.
 *
 * Choices:
 * - Steps that the other thread cannot observe are fused with a neighbour (models/fused.ts): the
 *   notifier list lock (B never takes it), B's PTL, PTE and mapcount (A never touches them), and
 *   each thread's own rcu_read_lock/unlock where only the other's synchronize_rcu could see them
 *   and only A synchronizes. The steps that race — A's unlink, both VM callbacks, B's list walk and
 *   B's final put_page — stay steps of their own.
 * - KVM's callbacks are one mmu_lock section each (models/secondary-mmu.ts); its ->release also
 *   sets PG_referenced of each page it unmapped, the write the report caught.
 * - ->release's entry and return are noted in the VM's steps (no extra steps).
 */
import { named, observing } from '../models/kit/ghost';
import { fuseAfter, fuseBefore, fused, fusedAs, type FusedDeclaration } from '../models/kit/fused';
import { folioAddMapcount, folioPut, newFolio, type Folio } from '../models/mm/folio';
import { hlistDelInitRcu } from '../models/hlist-rcu';
import {
  callRelease,
  firstNotifier,
  newMmuNotifierMm,
  nextNotifier,
  rcuReadSide,
  type MmuNotifier,
  type MmuNotifierMm,
} from '../models/mm/mmu-notifier';
import { newPageTable, ptepClearFlush, setPteAtSetup, type PageTable } from '../models/mm/pte';
import { newRcu, rcuReadLock, rcuReadUnlock, synchronizeRcu, type Rcu } from '../models/rcu';
import { newKvm, setSpteAtSetup, smmuNoFreed, type Kvm } from '../models/mm/secondary-mmu';
import { spinLock, spinUnlock } from '../models/spinlock';
import { defineScenario, type Steps } from '../src/index';

const ADDR = 0x1000;

interface World {
  readonly rcu: Rcu;
  readonly mm: MmuNotifierMm<Folio>;
  readonly kvm: Kvm;
  readonly pt: PageTable<Folio>;
  readonly page: Folio;
}

// ---- A: __mmu_notifier_release(), original (v2.6.27–v3.5) and fixed (3ad3d901bb) -----------

function* mmuNotifierReleaseOriginal(w: World): Steps {
  const { mm, rcu } = w;
  // spin_lock(); while (!hlist_empty(list)) { mn = first; hlist_del_init_rcu(mn); ... }
  let mn = yield* fusedAs(unlinks(mm), () => spinLock(mm.lock), () => unlinkFirst(mm));
  while (mn !== null) {
    yield* fused(() => rcuReadLock(rcu), () => spinUnlock(mm.lock));
    yield* callRelease(mn); // too late: B may have walked the empty list and freed the page
    mn = yield* fusedAs(unlinks(mm), () => rcuReadUnlock(rcu), () => spinLock(mm.lock), () => unlinkFirst(mm));
  }
  yield* fuseBefore(() => spinUnlock(mm.lock), () => synchronizeRcu(rcu));
}

function* mmuNotifierReleaseFixed(w: World): Steps {
  const { mm, rcu } = w;
  let mn = yield* fused(() => rcuReadLock(rcu), () => firstNotifier(mm));
  while (mn !== null) {
    const cur = mn;
    mn = yield* fuseAfter(() => callRelease(cur), () => nextNotifier(cur)); // 3ad3d901bb: still on the list
  }
  // spin_lock(); while (!hlist_empty(list)) hlist_del_init_rcu(first); spin_unlock()
  yield* fusedAs(unlinks(mm), () => rcuReadUnlock(rcu), () => spinLock(mm.lock), () => unlinkAll(mm), () => spinUnlock(mm.lock));
  yield* synchronizeRcu(rcu);
}

/** `mn = hlist_entry(list.first); hlist_del_init_rcu(&mn->hlist)`; null when the list is empty. */
function* unlinkFirst(mm: MmuNotifierMm<Folio>): Steps<MmuNotifier<Folio> | null> {
  const first = yield* firstNotifier(mm);
  if (first !== null) yield* hlistDelInitRcu(first.hlist);
  return first;
}

function* unlinkAll(mm: MmuNotifierMm<Folio>): Steps {
  while ((yield* unlinkFirst(mm)) !== null);
}

/** A fused step that unlinks declares a write of the list: B's walk reads it. */
function unlinks(mm: MmuNotifierMm<Folio>): FusedDeclaration {
  return { object: mm.list, access: 'write' };
}

// ---- B: try_to_unmap_one() (v3.5) and the reclaim caller's last put_page -----------------------

function* tryToUnmapOne(w: World): Steps {
  const { pt, page, mm, rcu } = w;
  // pte_offset_map_lock(); ptep_clear_flush_notify(): clear the PTE, then, still under the PTL,
  // __mmu_notifier_invalidate_page(): walk the list under rcu_read_lock()
  yield* fusedAs(enters(rcu), () => spinLock(pt.ptl), () => ptepClearFlush(pt, ADDR), () => rcuReadLock(rcu));
  let mn = yield* firstNotifier(mm);
  while (mn !== null) {
    const cur = mn;
    mn = cur.ops.invalidatePage
      ? yield* fuseAfter(() => cur.ops.invalidatePage!(cur, mm, ADDR), () => nextNotifier(cur))
      : yield* nextNotifier(cur);
  }
  yield* fused(
    () => rcuReadUnlock(rcu),
    () => folioAddMapcount(page, -1, `page_remove_rmap(${page.name})`),
    () => folioPut(page, `page_cache_release(${page.name})`),
    () => spinUnlock(pt.ptl),
  );
  yield* folioPut(page, `put_page(${page.name}) [shrink_page_list: last reference]`);
}

/** A fused step that enters an RCU section declares it: A's synchronize_rcu waits for it. */
function enters(rcu: Rcu): FusedDeclaration {
  return { object: rcu, access: 'rcu-enter' };
}

// why these: the spte map is changed under, and declared as, kvm->mmu_lock; the page is the one sptes map
const smmuNoFreedKvm = observing(smmuNoFreed((w: World) => w.kvm), named('kvm', 'kvm->mmu_lock', 'ptl(pte)', 'P'));

export default defineScenario({
  id: 'mmu-notifier-release-unlinks-early',
  title: '__mmu_notifier_release unlinks before ->release: try_to_unmap_one frees a page the secondary MMU still maps',
  commits: [
    'cddb8a5c14 mmu-notifiers: core',
    '3ad3d901bb mm: mmu_notifier: fix freed page still mapped in secondary MMU',
  ],
  setup: (): World => {
    const rcu = newRcu('rcu');
    const mm = newMmuNotifierMm<Folio>('mm', rcuReadSide(rcu));
    const kvm = newKvm(mm, 'kvm', { propagateAccessed: true });
    const page = newFolio('P', { ref: 2, mapcount: 1 });
    const pt = newPageTable<Folio>('pte');
    setPteAtSetup(pt, ADDR, page);
    setSpteAtSetup(kvm, ADDR, page);
    return { rcu, mm, kvm, pt, page };
  },
  variants: {
    buggy: {
      summary: 'shipped in v2.6.27 through v3.5: hlist_del_init_rcu, then ->release under rcu_read_lock',
      expect: { violated: 'smmu-no-freed' },
      invariants: [smmuNoFreedKvm],
      threads: { release: mmuNotifierReleaseOriginal, unmap: tryToUnmapOne },
    },
    fixed: {
      summary: 'v3.6 (3ad3d901bb): ->release on every notifier under RCU, then unlink them all',
      expect: 'holds',
      invariants: [smmuNoFreedKvm],
      threads: { release: mmuNotifierReleaseFixed, unmap: tryToUnmapOne },
    },
  },
});

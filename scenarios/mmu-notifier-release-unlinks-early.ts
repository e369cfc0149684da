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
 * shrink_page_list() dropping its isolation reference; thread C is mmu_notifier_unregister() of
 * the VM's notifier. The VM maps P through spte[0x1000]; P has two references (the mapping and the
 * isolation). In `buggy` A and C are the v2.6.27–v3.5 code (both unlink, then call ->release); in
 * `fixed` both are 3ad3d901bb's (->release while the notifier is on the list, then unlink), C with
 * the hlist_del_init_rcu of d34883d4e3, which that commit asks -stable to carry back to every tree
 * with 751efd8610 (3.0 on): 3ad3d901bb's own hlist_del_rcu reaches S1's NULL deref.
 *
 * Each part of 3ad3d901bb is needed, and a mutant (`mutants`, run by
 * test/scenarios/mmu-notifier-release-unlinks-early.test.ts) shows it:
 * - `exit-unlinks-first` (A unlinks, then calls ->release) and `unregister-unlinks-first` (C
 *   likewise): B walks the list in between, finds it empty and frees P while the VM maps it
 *   (smmu-no-freed; the late ->release then sets PG_referenced on the freed page).
 * - `unregister-hlist-del-rcu` (3ad3d901bb's own deletion): C tests hlist_unhashed() without the
 *   lock, A unlinks, C writes through pprev = NULL (oops, S1 in its RCU form, shipped in v3.6).
 * - `release-no-sync` (A's synchronize_rcu, kept from the original code): exit_mmap goes on while
 *   C's ->release, begun before, still runs (exit-after-release).
 *
 * Choices:
 * - Steps no other thread can observe are fused with a neighbour (models/fused.ts): B's PTL, PTE
 *   and mapcount (nobody else touches them) with B's RCU entry and exit, and reads made under the
 *   list lock with the unlink they lead to. The list lock, RCU entries and exits of A and C, the
 *   unlinks, the VM callbacks, B's list walk and B's final put_page are steps of their own: A and C
 *   both take the lock and both wait for grace periods.
 * - KVM's callbacks are one mmu_lock section each (models/secondary-mmu.ts); its ->release also
 *   sets PG_referenced of each page it unmapped, the write the report caught. The call through
 *   mn->ops->release is a step of its own before it (callRelease's `dispatchStep`), so a ->release
 *   that has begun and not finished is visible.
 * - INV-EXIT-AFTER-RELEASE is noted when A's grace period ends (models/mm/mmu-notifier.ts,
 *   releaseReturned): a ->release C enters after the grace period began may outlive A's return,
 *   the second call the later code accepts.
 * - C's caller's kfree(mn) and INV-UNREG-QUIESCENT are S1's and S3's subject, not modelled here.
 */
import { named, observing } from '../models/kit/ghost';
import { fuseAfter, fused, fusedAs, type FusedDeclaration } from '../models/kit/fused';
import { folioAddMapcount, folioPut, newFolio, type Folio } from '../models/mm/folio';
import { hlistDelInitRcu, hlistDelRcu, hlistUnhashed } from '../models/hlist-rcu';
import {
  callRelease,
  exitAfterRelease,
  firstNotifier,
  newMmuNotifierMm,
  newReleaseLeft,
  releaseReturned,
  type ReleaseLeft,
  nextNotifier,
  rcuReadSide,
  type MmuNotifier,
  type MmuNotifierMm,
} from '../models/mm/mmu-notifier';
import { newPageTable, ptepClearFlush, setPteAtSetup, type PageTable } from '../models/mm/pte';
import { newRcu, rcuReadLock, rcuReadUnlock, synchronizeRcu, type Rcu } from '../models/rcu';
import { newKvm, setSpteAtSetup, smmuNoFreed, type Kvm } from '../models/mm/secondary-mmu';
import { spinLock, spinUnlock } from '../models/spinlock';
import { defineScenario, type Steps, type Variant } from '../src/index';

const ADDR = 0x1000;

interface World {
  readonly rcu: Rcu;
  readonly mm: MmuNotifierMm<Folio>;
  readonly kvm: Kvm;
  readonly pt: PageTable<Folio>;
  readonly page: Folio;
  /** kvm->mmu_notifier, the one notifier on the list. */
  readonly mn: MmuNotifier<Folio>;
  /** Ghost: what __mmu_notifier_release() left behind when it returned, null while it runs. */
  readonly release: ReleaseLeft;
}

// ---- the parts of 3ad3d901bb's fix, each removable by a mutant ----------------------------------

/** What the fixed threads do; each `false` is one part removed (see the header). */
interface FixParts {
  /** A calls ->release on every notifier while it is still on the list, then unlinks them all. */
  readonly exitReleasesFirst: boolean;
  /** C calls ->release while mn is still on the list, then unlinks it. */
  readonly unregisterReleasesFirst: boolean;
  /** C's deletion is hlist_del_init_rcu (d34883d4e3's, as -stable carried it back), not hlist_del_rcu. */
  readonly unregisterDelInit: boolean;
  /** A's synchronize_rcu before it returns to exit_mmap. */
  readonly releaseSync: boolean;
}

const FIX: FixParts = { exitReleasesFirst: true, unregisterReleasesFirst: true, unregisterDelInit: true, releaseSync: true };

// why a dispatch step: ->release is visible while in flight (entered, the VM's zap not done yet)
const DISPATCH = { dispatchStep: true } as const;

// ---- A: __mmu_notifier_release(), original (v2.6.27–v3.5) and fixed (3ad3d901bb) -----------

function* mmuNotifierReleaseOriginal(w: World, parts: FixParts): Steps {
  const { mm, rcu } = w;
  // spin_lock(); while (!hlist_empty(list)) { mn = first; hlist_del_init_rcu(mn); ... }
  yield* spinLock(mm.lock);
  let mn = yield* fusedAs(unlinks(mm), () => unlinkFirst(mm));
  while (mn !== null) {
    yield* rcuReadLock(rcu);
    yield* spinUnlock(mm.lock);
    yield* callRelease(mn, DISPATCH); // too late: B may have walked the empty list and freed the page
    yield* rcuReadUnlock(rcu);
    yield* spinLock(mm.lock);
    mn = yield* fusedAs(unlinks(mm), () => unlinkFirst(mm));
  }
  yield* spinUnlock(mm.lock);
  yield* releaseReturns(w, parts);
}

/** synchronize_rcu() (unless a mutant drops it), then back to exit_mmap(). */
function* releaseReturns(w: World, parts: FixParts): Steps {
  yield* releaseReturned(w.release, [w.mn], parts.releaseSync ? () => synchronizeRcu(w.rcu) : null);
}

function* mmuNotifierReleaseFixed(w: World, parts: FixParts): Steps {
  const { mm, rcu } = w;
  yield* rcuReadLock(rcu);
  let mn = yield* firstNotifier(mm);
  while (mn !== null) {
    const cur = mn;
    mn = yield* fuseAfter(() => callRelease(cur, DISPATCH), () => nextNotifier(cur)); // 3ad3d901bb: still on the list
  }
  yield* rcuReadUnlock(rcu);
  // spin_lock(); while (!hlist_empty(list)) hlist_del_init_rcu(first); spin_unlock()
  yield* spinLock(mm.lock);
  yield* fusedAs(unlinks(mm), () => unlinkAll(mm));
  yield* spinUnlock(mm.lock);
  yield* releaseReturns(w, parts);
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

function releaseThread(parts: FixParts): (w: World) => Steps {
  return (w) => (parts.exitReleasesFirst ? mmuNotifierReleaseFixed(w, parts) : mmuNotifierReleaseOriginal(w, parts));
}

// ---- C: mmu_notifier_unregister(), original (v2.6.27–v3.5) and fixed (3ad3d901bb) ---------------

/** v2.6.27–v3.5: hashed test and unlink under the lock, then ->release under rcu_read_lock. */
function* mmuNotifierUnregisterOriginal(w: World): Steps {
  const { mm, mn, rcu } = w;
  yield* spinLock(mm.lock);
  if (!(yield* hlistUnhashed(mn.hlist))) {
    yield* hlistDelRcu(mn.hlist);
    yield* rcuReadLock(rcu);
    yield* spinUnlock(mm.lock);
    yield* callRelease(mn, DISPATCH); // after the unlink: B may have walked the empty list meanwhile
    yield* rcuReadUnlock(rcu);
  } else {
    yield* spinUnlock(mm.lock);
  }
  yield* synchronizeRcu(rcu);
}

/** 3ad3d901bb: ->release while mn is on the list, then unlink; its deletion as `parts` says. */
function* mmuNotifierUnregisterFixed(w: World, parts: FixParts): Steps {
  const { mm, mn, rcu } = w;
  if (!(yield* hlistUnhashed(mn.hlist))) {
    yield* rcuReadLock(rcu);
    yield* callRelease(mn, DISPATCH);
    yield* rcuReadUnlock(rcu);
    yield* spinLock(mm.lock);
    if (parts.unregisterDelInit) yield* hlistDelInitRcu(mn.hlist);
    else yield* hlistDelRcu(mn.hlist); // 3ad3d901bb's own: faults if A unlinked mn after our test (S1)
    yield* spinUnlock(mm.lock);
  }
  yield* synchronizeRcu(rcu);
}

function unregisterThread(parts: FixParts): (w: World) => Steps {
  return (w) => (parts.unregisterReleasesFirst ? mmuNotifierUnregisterFixed(w, parts) : mmuNotifierUnregisterOriginal(w));
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
const exitReleased = exitAfterRelease((w: World) => w.release);
const invariants = [smmuNoFreedKvm, exitReleased];

function threads(parts: FixParts): Variant<World>['threads'] {
  return { release: releaseThread(parts), unmap: tryToUnmapOne, unregister: unregisterThread(parts) };
}

/** The fixed variant with `removed` parts taken out, held to what fixed is held to. */
function mutant(summary: string, expected: Variant<World>['expect'], removed: Partial<FixParts>): Variant<World> {
  return { summary: `${summary} (mutant)`, expect: expected, invariants, threads: threads({ ...FIX, ...removed }) };
}

/** The fixed variant with one part removed each (test/scenarios/mmu-notifier-release-unlinks-early.test.ts). */
export const mutants = {
  'exit-unlinks-first': mutant('3ad3d901bb with the original __mmu_notifier_release: unlink, then ->release', { violated: 'smmu-no-freed' }, { exitReleasesFirst: false }),
  'unregister-unlinks-first': mutant('3ad3d901bb with the original mmu_notifier_unregister: unlink, then ->release', { violated: 'smmu-no-freed' }, { unregisterReleasesFirst: false }),
  'unregister-hlist-del-rcu': mutant("3ad3d901bb's own hlist_del_rcu in mmu_notifier_unregister: S1's NULL deref, in its RCU form", { violated: 'oops' }, { unregisterDelInit: false }),
  'release-no-sync': mutant("3ad3d901bb without __mmu_notifier_release's synchronize_rcu", { violated: 'exit-after-release' }, { releaseSync: false }),
} satisfies Readonly<Record<string, Variant<World>>>;

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
    return { rcu, mm, kvm, mn: kvm.notifier, pt, page, release: newReleaseLeft() };
  },
  variants: {
    buggy: {
      summary: 'shipped in v2.6.27 through v3.5: hlist_del_init_rcu, then ->release under rcu_read_lock',
      expect: { violated: 'smmu-no-freed' },
      invariants,
      threads: threads({ ...FIX, exitReleasesFirst: false, unregisterReleasesFirst: false }),
    },
    fixed: {
      summary: 'v3.6 (3ad3d901bb): ->release on every notifier under RCU, then unlink them all; unregister likewise (with hlist_del_init_rcu)',
      expect: 'holds',
      invariants,
      threads: threads(FIX),
    },
  },
});

/**
 * The re-fix of the freed-page race: unlink-then-release (751efd8610) vs release-then-unlink
 * (d34883d4e3), with unregister, exit and reclaim all running, v3.9–v3.10-rc2.
 *
 * Commits:
 * - 3ad3d901bb (v3.6-rc1) made ->release run while the notifier is still on the list, so that a
 *   try_to_unmap_one() that frees a page either finds the notifier (and zaps the spte first) or runs
 *   after ->release zapped everything (see mmu-notifier-release-unlinks-early).
 * - 751efd8610 "mmu_notifier_unregister NULL Pointer deref and multiple ->release() callouts"
 *   (v3.9-rc1) fixed the unregister/release race by testing and unlinking under the list lock in
 *   both paths and calling ->release only from whoever unlinked — after unlinking, which silently
 *   re-opened the 3ad3d901bb window.
 * - d34883d4e3 "mm: mmu_notifier: re-fix freed page still mapped in secondary MMU" (v3.10-rc3)
 *   went back to release-before-unlink and made unregister's deletion hlist_del_init_rcu(), which
 *   is idempotent under the lock. It accepts a second, harmless ->release ("really rare … the later
 *   call of multiple ->release should be fast").
 *
 * Threads: A is mmu_notifier_unregister(kvm->mmu_notifier) (when `unregister` = 1, and always in
 * `benign-double-release`, which needs two callers of ->release), B is
 * __mmu_notifier_release() from exit_mmap(), C is try_to_unmap_one() on page P as v3.7+ has it
 * (PTE cleared and mapping reference dropped under the PTL; ->invalidate_page after the PTL, under
 * SRCU; then the caller's last put_page). The VM maps P through spte[0x1000].
 *
 * Variants: `buggy` (751efd8610) and `fixed` (d34883d4e3) are held to the same invariants;
 * `benign-double-release` runs the fixed A and B (C plays no part in it) held to
 * release-at-most-once as well, and expects it to be violated: the second ->release that
 * d34883d4e3 documents is reachable, and weft reports it as a violation only where a variant
 * declares the invariant.
 *
 * Choices:
 * - Steps nobody else can observe are fused with a neighbour (models/fused.ts): C's whole PTL
 *   section (no other thread touches the PTL, the PTE or the mapcount, and C's drop of the mapping
 *   reference cannot free P) and reads made under the list lock, which every writer of the list
 *   holds. Lock releases, SRCU entries and exits, list writes and callbacks stay steps of their own.
 * - KVM's callbacks are one mmu_lock section each, without the accessed-bit write (S2 shows that
 *   symptom); the invariant here is INV-SMMU-NO-FREED.
 * - mmdrop() and the driver's kfree(mn) after unregister are left out; INV-UNREG-QUIESCENT states
 *   the condition that makes the kfree safe.
 */
import { fuseAfter, fused, fusedAs } from '../models/kit/fused';
import { liveCheck } from '../models/kit/lifetime';
import { ghostObject, ghostStep, named, observing, writesGhost, type Ghost } from '../models/kit/ghost';
import { folioAddMapcount, folioPut, newFolio, type Folio } from '../models/mm/folio';
import { hlistDelInitRcu, hlistDelRcu, hlistUnhashed, isReachable } from '../models/hlist-rcu';
import {
  callRelease,
  firstNotifier,
  freeNotifier,
  newMmuNotifierMm,
  nextNotifier,
  srcuReadSide,
  type MmuNotifier,
  type MmuNotifierMm,
} from '../models/mm/mmu-notifier';
import { newPageTable, ptepClearFlush, setPteAtSetup, type PageTable } from '../models/mm/pte';
import { newKvm, setSpteAtSetup, smmuNoFreed, type Kvm } from '../models/mm/secondary-mmu';
import { spinLock, spinUnlock } from '../models/spinlock';
import { newSrcu, srcuReadLock, srcuReadUnlock, synchronizeSrcu, type Srcu } from '../models/srcu';
import { defineScenario, type Invariant, type Steps } from '../src/index';

const ADDR = 0x1000;

interface World {
  readonly srcu: Srcu;
  readonly mm: MmuNotifierMm<Folio>;
  readonly kvm: Kvm;
  readonly mn: MmuNotifier<Folio>;
  readonly pt: PageTable<Folio>;
  readonly page: Folio;
  /** Whether thread A runs (parameter `unregister`). */
  readonly withUnregister: boolean;
  /** Ghost: set when mmu_notifier_unregister() returns (its caller may then free mn). */
  readonly unregister: Ghost<{ returned: boolean }>;
  /** Ghost: set when __mmu_notifier_release() returns to exit_mmap(). */
  readonly release: Ghost<{ returned: boolean }>;
}

// ---- A: mmu_notifier_unregister(), 751efd8610 and d34883d4e3 ----------------------------------

function* unregisterUnlinkThenRelease(w: World): Steps {
  const { mm, mn, srcu } = w;
  const unhashed = yield* fused(() => spinLock(mm.lock), () => hlistUnhashed(mn.hlist));
  if (!unhashed) {
    const id = yield* srcuReadLock(srcu);
    yield* hlistDelRcu(mn.hlist); // 751efd8610: unlink first…
    yield* spinUnlock(mm.lock);
    yield* callRelease(mn); // …then ->release: C may have walked past the empty list meanwhile
    yield* srcuReadUnlock(srcu, id);
  } else {
    yield* spinUnlock(mm.lock);
  }
  yield* unregisterReturns(w, true);
}

/** The end of mmu_notifier_unregister(): synchronize_srcu() (unless a mutant drops it), return. */
function* unregisterReturns(w: World, sync: boolean): Steps {
  if (sync) yield* synchronizeSrcu(w.srcu);
  yield* ghostStep(w.unregister, 'mmu_notifier_unregister() returns', () => void (w.unregister.returned = true));
}

function* unregisterReleaseThenUnlink(w: World, sync = true): Steps {
  const { mm, mn, srcu } = w;
  if (!(yield* hlistUnhashed(mn.hlist))) {
    const id = yield* srcuReadLock(srcu);
    yield* callRelease(mn); // d34883d4e3: ->release while mn is still on the list…
    yield* srcuReadUnlock(srcu, id);
    yield* spinLock(mm.lock);
    yield* hlistDelInitRcu(mn.hlist); // …then an unlink that is a no-op if B got there first
    yield* spinUnlock(mm.lock);
  }
  yield* unregisterReturns(w, sync);
}

/** Thread A runs `body` only when the `unregister` parameter asks for it. */
function ifUnregister(body: (w: World) => Steps): (w: World) => Steps {
  return function* (w) {
    if (w.withUnregister) yield* body(w);
  };
}

// ---- B: __mmu_notifier_release(), 751efd8610 and d34883d4e3 -----------------------------------

function* releaseUnlinkThenRelease(w: World): Steps {
  const { mm, srcu } = w;
  const id = yield* srcuReadLock(srcu);
  for (;;) {
    const mn = yield* fused(() => spinLock(mm.lock), () => firstNotifier(mm));
    if (mn === null) break;
    yield* hlistDelInitRcu(mn.hlist); // 751efd8610: unlink first…
    yield* spinUnlock(mm.lock);
    yield* callRelease(mn); // …then ->release: C may have walked past the empty list meanwhile
  }
  yield* spinUnlock(mm.lock);
  yield* srcuReadUnlock(srcu, id);
  yield* releaseReturns(w, true);
}

/** The end of __mmu_notifier_release(): synchronize_srcu() (unless a mutant drops it), back to exit_mmap(). */
function* releaseReturns(w: World, sync: boolean): Steps {
  if (sync) yield* writesGhost(w.release, synchronizeSrcu(w.srcu));
  else yield* ghostStep(w.release, '__mmu_notifier_release() returns', () => undefined);
  w.release.returned = true;
}

function* releaseThenUnlink(w: World, sync = true): Steps {
  const { mm, srcu } = w;
  const id = yield* srcuReadLock(srcu);
  for (let mn = yield* firstNotifier(mm); mn !== null; ) {
    const cur = mn;
    mn = yield* fuseAfter(() => callRelease(cur), () => nextNotifier(cur)); // d34883d4e3: still on the list
  }
  yield* srcuReadUnlock(srcu, id);
  for (let mn = yield* fused(() => spinLock(mm.lock), () => firstNotifier(mm)); mn !== null; ) {
    const cur = mn;
    mn = yield* fused(() => hlistDelInitRcu(cur.hlist), () => firstNotifier(mm));
  }
  yield* spinUnlock(mm.lock);
  yield* releaseReturns(w, sync);
}

// ---- C: try_to_unmap_one() (v3.7+: the notifier after the PTL) and the caller's last put ------

const tryToUnmapOne = (w: World): Steps => tryToUnmapOneWith(w, false);

function* tryToUnmapOneWith(w: World, mnFreed: boolean): Steps {
  const { pt, page, mm, srcu } = w;
  const id = yield* fusedAs(
    { object: srcu, access: 'rcu-enter' },
    () => spinLock(pt.ptl),
    () => ptepClearFlush(pt, ADDR),
    () => folioAddMapcount(page, -1, `page_remove_rmap(${page.name})`),
    () => folioPut(page, `page_cache_release(${page.name})`),
    () => spinUnlock(pt.ptl),
    () => srcuReadLock(srcu), // __mmu_notifier_invalidate_page(mm, 0x1000)
  );
  for (let mn = yield* firstNotifier(mm); mn !== null; ) {
    const cur = mn;
    mn = cur.ops.invalidatePage
      ? yield* fuseAfter(() => cur.ops.invalidatePage!(cur, mm, ADDR), () => nextNotifier(cur), mnFreed ? liveCheck(cur) : undefined) // why: once A frees mn, the load of mn->hlist.next is not private
      : yield* nextNotifier(cur);
  }
  yield* srcuReadUnlock(srcu, id);
  yield* folioPut(page, `put_page(${page.name}) [shrink_page_list: last reference]`);
}

// ---- invariants -------------------------------------------------------------------------------

const MN = 'kvm->mmu_notifier';

const releaseAtMostOnce: Invariant<World> = {
  id: 'release-at-most-once',
  description: '->release is called at most once per notifier',
  observes: named(MN),
  check: (w) => w.mn.releaseCalls <= 1 || `${w.mn.name}->ops->release called ${w.mn.releaseCalls} times`,
};

// mmu_notifier_unregister's promise (unregisterQuiescent of models/mm/mmu-notifier.ts) as two
// invariants, why: each reads fewer objects, so fewer pairs of steps are ordered for it
const unregisterQuiescent: Invariant<World> = {
  id: 'unregister-quiescent',
  description: 'after mmu_notifier_unregister(mn) returns, nobody is in mn->release',
  observes: named(MN, 'ghost: unregister returned'),
  check: (w) => (w.unregister.returned && w.mn.inRelease > 0 ? `${w.mn.name}->ops->release still running after unregister returned` : true),
};

// why the list alone: hlist nodes are declared through their list (models/hlist-rcu.ts)
const unregisterUnlinked: Invariant<World> = {
  id: 'unregister-unlinked',
  description: 'after mmu_notifier_unregister(mn) returns, mn can no longer be reached from the list',
  observes: named('mm->mmu_notifier_mm', 'mm->mmu_notifier_mm->list', 'ghost: unregister returned'),
  check: (w) => (w.unregister.returned && isReachable(w.mm.list, w.mn.hlist) ? `${w.mn.name} still reachable from ${w.mm.list.name}` : true),
};

const exitAfterRelease: Invariant<World> = {
  id: 'exit-after-release',
  description: 'when __mmu_notifier_release returns, every notifier has completed ->release',
  observes: named(MN, 'ghost: release returned'),
  check: (w) => {
    if (!w.release.returned) return true;
    const mn = w.mn;
    if (mn.releaseCalls === 0 || mn.inRelease > 0) {
      return `exit_mmap proceeds with ${mn.name}: ${mn.releaseCalls} release calls, ${mn.inRelease} in flight`;
    }
    return true;
  },
};

// why these: the spte map is changed under, and declared as, kvm->mmu_lock; the check reads the
// liveness of every page an spte maps, and only P is ever mapped
const smmuNoFreedKvm = observing(smmuNoFreed((w: World) => w.kvm), named('kvm', 'kvm->mmu_lock', 'ptl(pte)', 'P'));
const invariants = [smmuNoFreedKvm, unregisterQuiescent, unregisterUnlinked, exitAfterRelease];

/**
 * The fixed threads with either synchronize_srcu() dropped (`drop`), and with the driver's kfree(mn)
 * after mmu_notifier_unregister() returns (`freeMn`), for the tests that show what each sync is
 * for (test/scenarios/mmu-notifier-release-before-unlink-mutants.test.ts).
 */
export function fixedThreadsWithout(
  drop: 'unregister-sync' | 'release-sync' | null,
  freeMn = false,
): Readonly<Record<string, (w: World) => Steps>> {
  return {
    unregister: ifUnregister(function* (w) {
      yield* unregisterReleaseThenUnlink(w, drop !== 'unregister-sync');
      if (freeMn) yield* freeNotifier(w.mn);
    }),
    release: (w) => releaseThenUnlink(w, drop !== 'release-sync'),
    unmap: freeMn ? (w) => tryToUnmapOneWith(w, true) : tryToUnmapOne,
  };
}

export default defineScenario({
  id: 'mmu-notifier-release-before-unlink',
  title: 'unlink-then-release (751efd8610) re-opens the freed-page race that release-then-unlink (d34883d4e3) closes',
  commits: [
    '3ad3d901bb mm: mmu_notifier: fix freed page still mapped in secondary MMU',
    '751efd8610 mmu_notifier_unregister NULL Pointer deref and multiple ->release() callouts',
    'd34883d4e3 mm: mmu_notifier: re-fix freed page still mapped in secondary MMU',
  ],
  // why 0: with A, `fixed` has more than a million Mazurkiewicz classes (dfs was cut at 1,000,000);
  // `--param unregister=1` runs the three-actor check (benign-double-release always has A).
  params: { unregister: 0 },
  setup: ({ unregister }): World => {
    const srcu = newSrcu('srcu');
    const mm = newMmuNotifierMm<Folio>('mm', srcuReadSide(srcu));
    const kvm = newKvm(mm, 'kvm');
    const page = newFolio('P', { ref: 2, mapcount: 1 });
    const pt = newPageTable<Folio>('pte');
    setPteAtSetup(pt, ADDR, page);
    setSpteAtSetup(kvm, ADDR, page);
    const withUnregister = unregister > 0;
    const ghosts = { unregister: ghostObject('ghost: unregister returned', { returned: false }), release: ghostObject('ghost: release returned', { returned: false }) };
    return { srcu, mm, kvm, mn: kvm.notifier, pt, page, withUnregister, ...ghosts };
  },
  variants: {
    buggy: {
      summary: 'shipped in v3.9 (751efd8610, until v3.10-rc3): test and unlink under the lock, then ->release',
      expect: { violated: 'smmu-no-freed' },
      invariants,
      threads: { unregister: ifUnregister(unregisterUnlinkThenRelease), release: releaseUnlinkThenRelease, unmap: tryToUnmapOne },
    },
    fixed: {
      summary: 'v3.10-rc3 (d34883d4e3): ->release while on the list, then hlist_del_init_rcu',
      expect: 'holds',
      invariants,
      threads: { unregister: ifUnregister((w) => unregisterReleaseThenUnlink(w)), release: (w) => releaseThenUnlink(w), unmap: tryToUnmapOne },
    },
    'benign-double-release': {
      summary: 'd34883d4e3 held to release-at-most-once: its documented second ->release is reachable',
      expect: { violated: 'release-at-most-once' },
      invariants: [...invariants, releaseAtMostOnce],
      threads: { unregister: (w) => unregisterReleaseThenUnlink(w), release: (w) => releaseThenUnlink(w) },
    },
  },
});

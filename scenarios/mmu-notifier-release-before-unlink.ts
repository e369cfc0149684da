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
 * Threads: A is mmu_notifier_unregister(kvm->mmu_notifier) followed by the driver's kfree of it
 * (when `unregister` = 1, and always in `benign-double-release`, which needs two callers of
 * ->release), B is __mmu_notifier_release() from exit_mmap(), which then frees Q (a page only the
 * mm maps, also mapped by the VM at spte[0x200000]), C is try_to_unmap_one() on page P as v3.7+
 * has it (PTE cleared and mapping reference dropped under the PTL; ->invalidate_page after the
 * PTL, under SRCU; then the caller's last put_page). The VM maps P through spte[0x1000].
 *
 * Variants: `buggy` (751efd8610) and `fixed` (d34883d4e3) are held to the same invariants;
 * `benign-double-release` runs the fixed A and B (C plays no part in it) held to
 * release-at-most-once as well, and expects it to be violated: the second ->release that
 * d34883d4e3 documents is reachable, and weft reports it as a violation only where a variant
 * declares the invariant.
 *
 * Each part of d34883d4e3 is needed, and a mutant (`mutants`, run at unregister=1 by
 * test/scenarios/mmu-notifier-release-before-unlink-mutants.test.ts) shows it:
 * - `exit-unlinks-first` (B as 751efd8610: unlink, then ->release) and `unregister-unlinks-first`
 *   (A likewise): C walks the list between the unlink and ->release, finds it empty and frees P
 *   while spte[0x1000] maps it (smmu-no-freed).
 * - `unregister-hlist-del-rcu`: A tests hlist_unhashed() without the lock, B unlinks, A's
 *   hlist_del_rcu() writes through pprev = NULL (oops; S1).
 * - `unregister-no-sync`: A returns, and its caller frees mn, while B is inside mn->release
 *   (unregister-quiescent) or while B's or C's walk still holds mn (use-after-free).
 * - `release-no-sync`: exit_mmap goes on while A's ->release, begun before B's walk finished, still
 *   runs (exit-after-release). For KVM that call only finds sptes B's own ->release already zapped
 *   (the two serialise on mmu_lock), so the harm is to clients whose ->release does more.
 * - `unregister-no-unlink` is not a part of the fix but of unregister: without it mn is on the
 *   list when unregister returns (unregister-unlinked).
 * - Harmless in the kernel too (`release-unlock-before-unlink`, holds): d34883d4e3 keeps B's
 *   srcu_read_unlock after the unlink loop, where 751efd8610 had put it; v3.7 had it between the
 *   walk and the loop. A returns only after mn is off the list (its own unlink, or B's, under the
 *   lock), and B's loop touches mn only while it is on the list, so no access of B's loop can meet
 *   the driver's kfree whether A's synchronize_srcu waits for it or not. (Pinned holding in S1,
 *   whose B is the same code; here it costs as much as `fixed`, 3,796 executions.)
 *
 * Choices:
 * - Steps nobody else can observe are fused with a neighbour (models/fused.ts): C's whole PTL
 *   section (no other thread touches the PTL, the PTE or the mapcount, and C's drop of the mapping
 *   reference cannot free P), reads made under the list lock, which every writer of the list
 *   holds, and exit_mmap's zap and free of Q (its page table is B's alone). Lock releases, SRCU
 *   entries and exits, list writes and callbacks stay steps of their own.
 * - KVM's callbacks are one mmu_lock section each, without the accessed-bit write (S2 shows that
 *   symptom); the call through mn->ops->release is a step of its own before it (callRelease's
 *   `dispatchStep`), so a ->release that has begun and not finished is visible.
 * - C's load of mn->hlist.next, fused after its ->invalidate_page, declares reading mn (the driver's
 *   kfree writes it), which orders C's callbacks against B's and A's ->release steps as well.
 * - exit_mmap's zap of P's table is left out: it and C's reclaim would meet in one PTL section and
 *   only one of them would drop the mapping's reference; Q, in another table, is the page exit_mmap
 *   frees.
 * - The driver's kfree(mn) is the step after unregister's grace period (for KVM, kvm_destroy_vm()
 *   freeing the struct kvm that embeds mn; only the driver's own code runs in between), so the
 *   return and the free are one step. mmdrop() is left out: mm_count is pinned throughout.
 * - INV-EXIT-AFTER-RELEASE is noted when B's grace period ends: synchronize_srcu() waits only for
 *   readers that were inside when it began, so a ->release A enters after that may outlive B's
 *   return. That is the second call d34883d4e3 accepts (B's own completed before), not a
 *   violation (models/mm/mmu-notifier.ts, releaseReturned).
 */
import { fuseAfter, fused, fusedAs } from '../models/kit/fused';
import { ghostObject, named, writesGhost, type Ghost } from '../models/kit/ghost';
import { folioAddMapcount, folioPut, newFolio, type Folio } from '../models/mm/folio';
import { liveCheck } from '../models/kit/lifetime';
import { opAlsoTouching } from '../models/kit/also-touching';
import { hlistDelInitRcu, hlistDelRcu, hlistUnhashed, isReachable } from '../models/hlist-rcu';
import {
  callRelease,
  exitAfterRelease,
  firstNotifier,
  newReleaseLeft,
  releaseReturned,
  type ReleaseLeft,
  freeNotifier,
  newMmuNotifierMm,
  nextNotifier,
  srcuReadSide,
  type MmuNotifier,
  type MmuNotifierMm,
} from '../models/mm/mmu-notifier';
import { newPageTable, ptepClearFlush, setPteAtSetup, type PageTable } from '../models/mm/pte';
import { newKvm, setSpteAtSetup, type Kvm } from '../models/mm/secondary-mmu';
import { spinLock, spinUnlock } from '../models/spinlock';
import { newSrcu, srcuReadLock, srcuReadUnlock, synchronizeSrcu, type Srcu } from '../models/srcu';
import { defineScenario, type Invariant, type Steps, type Variant } from '../src/index';

const ADDR = 0x1000;
/** Q's address: a page only the exiting mm maps, in a page table C does not touch. */
const EXIT_ADDR = 0x200000;

interface World {
  readonly srcu: Srcu;
  readonly mm: MmuNotifierMm<Folio>;
  readonly kvm: Kvm;
  readonly mn: MmuNotifier<Folio>;
  readonly pt: PageTable<Folio>;
  readonly page: Folio;
  /** The page table and page exit_mmap() frees once __mmu_notifier_release() returns. */
  readonly exitPt: PageTable<Folio>;
  readonly exitPage: Folio;
  /** Whether thread A runs (parameter `unregister`). */
  readonly withUnregister: boolean;
  /** Ghost: set when mmu_notifier_unregister() returns (its caller may then free mn). */
  readonly unregister: Ghost<{ returned: boolean }>;
  /** Ghost: what __mmu_notifier_release() left behind when it returned to exit_mmap(), null while it runs. */
  readonly release: ReleaseLeft;
}

// ---- the parts of d34883d4e3's fix, each removable by a mutant ----------------------------------

/** What the fixed threads do; each `false` is one part of the fix (or of the code it keeps) removed. */
interface FixParts {
  /** B calls ->release on every notifier while it is still on the list, then unlinks them all. */
  readonly exitReleasesFirst: boolean;
  /** A calls ->release while mn is still on the list, then unlinks it. */
  readonly unregisterReleasesFirst: boolean;
  /** A's deletion is hlist_del_init_rcu (a no-op on an unhashed node), not hlist_del_rcu. */
  readonly unregisterDelInit: boolean;
  /** A unlinks mn at all (spin_lock; hlist_del_init_rcu; spin_unlock). */
  readonly unregisterUnlinks: boolean;
  /** A's synchronize_srcu before it returns (and its caller frees mn). */
  readonly unregisterSync: boolean;
  /** B's synchronize_srcu before it returns to exit_mmap (which frees the mm's pages). */
  readonly releaseSync: boolean;
  /** B's srcu_read_unlock after the unlink loop (d34883d4e3), not between walk and unlink (v3.7). */
  readonly releaseUnlockAfterUnlink: boolean;
}

const FIX: FixParts = {
  exitReleasesFirst: true,
  unregisterReleasesFirst: true,
  unregisterDelInit: true,
  unregisterUnlinks: true,
  unregisterSync: true,
  releaseSync: true,
  releaseUnlockAfterUnlink: true,
};

// why a dispatch step: ->release is visible while in flight (entered, the VM's zap not done yet)
const DISPATCH = { dispatchStep: true } as const;

// ---- A: mmu_notifier_unregister() and the driver's kfree(mn), 751efd8610 and d34883d4e3 ----------

/** A as 751efd8610 has it: hashed test and unlink in one list-lock section, then ->release. */
function* unregisterUnlinkThenRelease(w: World, parts: FixParts): Steps {
  const { mm, mn, srcu } = w;
  const unhashed = yield* fused(() => spinLock(mm.lock), () => hlistUnhashed(mn.hlist));
  if (!unhashed) {
    const id = yield* srcuReadLock(srcu);
    yield* hlistDelRcu(mn.hlist); // 751efd8610: unlink first…
    yield* spinUnlock(mm.lock);
    yield* callRelease(mn, DISPATCH); // …then ->release: C may have walked past the empty list meanwhile
    yield* srcuReadUnlock(srcu, id);
  } else {
    yield* spinUnlock(mm.lock);
  }
  yield* unregisterReturns(w, parts);
}

/**
 * The end of mmu_notifier_unregister(): synchronize_srcu() (unless a mutant drops it), return; then
 * its caller frees mn (for KVM, kvm_destroy_vm() frees the struct kvm that embeds it).
 */
function* unregisterReturns(w: World, parts: FixParts): Steps {
  if (parts.unregisterSync) yield* synchronizeSrcu(w.srcu);
  // why one step: between the return and the driver's kfree(mn) only the driver's own code runs
  yield* writesGhost(w.unregister, freeNotifier(w.mn));
  w.unregister.returned = true;
}

/** A as d34883d4e3 has it: ->release while mn is on the list, then an idempotent unlink. */
function* unregisterReleaseThenUnlink(w: World, parts: FixParts): Steps {
  const { mm, mn, srcu } = w;
  if (!(yield* hlistUnhashed(mn.hlist))) {
    const id = yield* srcuReadLock(srcu);
    yield* callRelease(mn, DISPATCH); // d34883d4e3: ->release while mn is still on the list…
    yield* srcuReadUnlock(srcu, id);
    if (parts.unregisterUnlinks) {
      yield* spinLock(mm.lock);
      if (parts.unregisterDelInit) yield* hlistDelInitRcu(mn.hlist); // …then an unlink that is a no-op if B got there first
      else yield* hlistDelRcu(mn.hlist); // faults when B unlinked mn after our hlist_unhashed (S1)
      yield* spinUnlock(mm.lock);
    }
  }
  yield* unregisterReturns(w, parts);
}

/** Thread A: the shape `parts` asks for, run only when the `unregister` parameter asks for it. */
function unregisterThread(parts: FixParts): (w: World) => Steps {
  return function* (w) {
    if (!w.withUnregister) return;
    if (parts.unregisterReleasesFirst) yield* unregisterReleaseThenUnlink(w, parts);
    else yield* unregisterUnlinkThenRelease(w, parts);
  };
}

// ---- B: __mmu_notifier_release() and exit_mmap()'s freeing, 751efd8610 and d34883d4e3 -----------

/** B as 751efd8610 has it: unlink each notifier under the lock, then call its ->release. */
function* releaseUnlinkThenRelease(w: World, parts: FixParts): Steps {
  const { mm, srcu } = w;
  const id = yield* srcuReadLock(srcu);
  for (;;) {
    const mn = yield* fused(() => spinLock(mm.lock), () => firstNotifier(mm));
    if (mn === null) break;
    yield* hlistDelInitRcu(mn.hlist); // 751efd8610: unlink first…
    yield* spinUnlock(mm.lock);
    yield* callRelease(mn, DISPATCH); // …then ->release: C may have walked past the empty list meanwhile
  }
  yield* spinUnlock(mm.lock);
  yield* srcuReadUnlock(srcu, id);
  yield* releaseReturns(w, parts);
}

/**
 * The end of __mmu_notifier_release(): synchronize_srcu() (unless a mutant drops it), back to
 * exit_mmap(), whose unmap_vmas() and tlb_finish_mmu() then free the pages only the mm maps (Q).
 */
function* releaseReturns(w: World, parts: FixParts): Steps {
  yield* releaseReturned(w.release, [w.mn], parts.releaseSync ? () => synchronizeSrcu(w.srcu) : null);
  const { exitPt, exitPage } = w;
  yield* fusedAs(
    { object: exitPage, access: 'write' },
    () => spinLock(exitPt.ptl),
    () => ptepClearFlush(exitPt, EXIT_ADDR),
    () => folioAddMapcount(exitPage, -1, `page_remove_rmap(${exitPage.name})`),
    () => spinUnlock(exitPt.ptl),
    () => folioPut(exitPage, `put_page(${exitPage.name}) [exit_mmap: tlb_finish_mmu frees the mm's pages]`),
  );
}

/** B as d34883d4e3 has it: ->release on every notifier still on the list, then unlink them all. */
function* releaseThenUnlink(w: World, parts: FixParts): Steps {
  const { mm, srcu } = w;
  const id = yield* srcuReadLock(srcu);
  for (let mn = yield* firstNotifier(mm); mn !== null; ) {
    const cur = mn;
    mn = yield* fuseAfter(() => callRelease(cur, DISPATCH), () => nextNotifier(cur)); // d34883d4e3: still on the list
  }
  if (!parts.releaseUnlockAfterUnlink) yield* srcuReadUnlock(srcu, id); // v3.7's place
  for (let mn = yield* fused(() => spinLock(mm.lock), () => firstNotifier(mm)); mn !== null; ) {
    const cur = mn;
    mn = yield* fused(() => hlistDelInitRcu(cur.hlist), () => firstNotifier(mm));
  }
  yield* spinUnlock(mm.lock);
  if (parts.releaseUnlockAfterUnlink) yield* srcuReadUnlock(srcu, id); // d34883d4e3: after the unlink loop
  yield* releaseReturns(w, parts);
}

function releaseThread(parts: FixParts): (w: World) => Steps {
  return (w) => (parts.exitReleasesFirst ? releaseThenUnlink(w, parts) : releaseUnlinkThenRelease(w, parts));
}

// ---- C: try_to_unmap_one() (v3.7+: the notifier after the PTL) and the caller's last put ------

function* tryToUnmapOne(w: World): Steps {
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
      ? yield* declaringLiveCheck(cur, fuseAfter(() => cur.ops.invalidatePage!(cur, mm, ADDR), () => nextNotifier(cur)))
      : yield* nextNotifier(cur);
  }
  yield* srcuReadUnlock(srcu, id);
  yield* folioPut(page, `put_page(${page.name}) [shrink_page_list: last reference]`);
}

/**
 * `steps` with each op also declaring the liveness check of `mn`: fuseAfter declares only the
 * callback's op, and the fused hlist_next_rcu reads mn's memory, which the driver's kfree frees.
 */
function* declaringLiveCheck<R>(mn: MmuNotifier<Folio>, steps: Steps<R>): Steps<R> {
  const live = liveCheck(mn) ?? [];
  let r = steps.next();
  while (!r.done) r = steps.next(yield opAlsoTouching(r.value, live));
  return r.value;
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

const exitReleased = exitAfterRelease((w: World) => w.release);

// why these: the spte map is changed under, and declared as, kvm->mmu_lock; the check reads the
// liveness of every page an spte maps, and only P is ever mapped
/**
 * INV-SMMU-NO-FREED for one page: once `page` is freed, no spte maps it. Why one per page: each
 * then observes only its page, so exit_mmap's free of Q is not ordered against C's steps on P.
 * The spte map is changed under, and declared as, kvm->mmu_lock.
 */
function smmuNoFreedOf(pick: (w: World) => Folio, address: number, pageName: string, also: readonly string[]): Invariant<World> {
  return {
    id: 'smmu-no-freed',
    description: 'a freed page is mapped by no secondary-MMU spte',
    observes: named('kvm', 'kvm->mmu_lock', ...also, pageName),
    check: (w) => {
      const page = pick(w);
      return page.life === 'freed' && w.kvm.spte.get(address) === page
        ? `${page.name} was freed while ${w.kvm.name} spte[0x${address.toString(16)}] still maps it`
        : true;
    },
  };
}

// why ptl(pte) for P: C's fused PTL section declares it, and drops P's mapping reference in it
const smmuNoFreedP = smmuNoFreedOf((w) => w.page, ADDR, 'P', ['ptl(pte)']);
const smmuNoFreedQ = smmuNoFreedOf((w) => w.exitPage, EXIT_ADDR, 'Q', []);
const invariants = [smmuNoFreedP, smmuNoFreedQ, unregisterQuiescent, unregisterUnlinked, exitReleased];

/** The three threads with the fix's parts `parts`. */
function threads(parts: FixParts): Variant<World>['threads'] {
  return { unregister: unregisterThread(parts), release: releaseThread(parts), unmap: tryToUnmapOne };
}

/** The fixed variant with `removed` parts of the fix taken out, held to what fixed is held to. */
function mutant(summary: string, expected: Variant<World>['expect'], removed: Partial<FixParts>): Variant<World> {
  return { summary: `${summary} (mutant)`, expect: expected, invariants, threads: threads({ ...FIX, ...removed }) };
}

/**
 * The fixed variant with one part of the fix removed each (see the header); they need thread A,
 * so their tests run them at `--param unregister=1`
 * (test/scenarios/mmu-notifier-release-before-unlink-mutants.test.ts).
 */
export const mutants = {
  'exit-unlinks-first': mutant("d34883d4e3 with 751efd8610's __mmu_notifier_release: unlink, then ->release", { violated: 'smmu-no-freed' }, { exitReleasesFirst: false }),
  'unregister-unlinks-first': mutant("d34883d4e3 with 751efd8610's mmu_notifier_unregister: unlink, then ->release", { violated: 'smmu-no-freed' }, { unregisterReleasesFirst: false }),
  'unregister-hlist-del-rcu': mutant('d34883d4e3 with hlist_del_rcu in mmu_notifier_unregister (S1 again)', { violated: 'oops' }, { unregisterDelInit: false }),
  'unregister-no-unlink': mutant('d34883d4e3 whose mmu_notifier_unregister leaves the unlink to exit_mmap', { violated: 'unregister-unlinked' }, { unregisterUnlinks: false }),
  'unregister-no-sync': mutant("d34883d4e3 without mmu_notifier_unregister's synchronize_srcu", { violated: 'unregister-quiescent' }, { unregisterSync: false }),
  'release-no-sync': mutant("d34883d4e3 without __mmu_notifier_release's synchronize_srcu", { violated: 'exit-after-release' }, { releaseSync: false }),
  'release-unlock-before-unlink': mutant("d34883d4e3 with v3.7's srcu_read_unlock before the unlink loop: harmless", 'holds', { releaseUnlockAfterUnlink: false }),
} satisfies Readonly<Record<string, Variant<World>>>;

export default defineScenario({
  id: 'mmu-notifier-release-before-unlink',
  title: 'unlink-then-release (751efd8610) re-opens the freed-page race that release-then-unlink (d34883d4e3) closes',
  commits: [
    '3ad3d901bb mm: mmu_notifier: fix freed page still mapped in secondary MMU',
    '751efd8610 mmu_notifier_unregister NULL Pointer deref and multiple ->release() callouts',
    'd34883d4e3 mm: mmu_notifier: re-fix freed page still mapped in secondary MMU',
  ],
  // why 0: the race of the buggy variant needs only B and C, and `check --all` stays fast;
  // `--param unregister=1` runs the three-actor check (benign-double-release always has A), which
  // test/scenarios/mmu-notifier-release-before-unlink-mutants.test.ts runs for fixed and every mutant.
  params: { unregister: 0 },
  setup: ({ unregister }): World => {
    const srcu = newSrcu('srcu');
    const mm = newMmuNotifierMm<Folio>('mm', srcuReadSide(srcu));
    const kvm = newKvm(mm, 'kvm');
    const page = newFolio('P', { ref: 2, mapcount: 1 });
    const pt = newPageTable<Folio>('pte');
    setPteAtSetup(pt, ADDR, page);
    setSpteAtSetup(kvm, ADDR, page);
    const exitPage = newFolio('Q', { ref: 1, mapcount: 1 });
    const exitPt = newPageTable<Folio>('pte2');
    setPteAtSetup(exitPt, EXIT_ADDR, exitPage);
    setSpteAtSetup(kvm, EXIT_ADDR, exitPage);
    const withUnregister = unregister > 0;
    const ghosts = { unregister: ghostObject('ghost: unregister returned', { returned: false }), release: newReleaseLeft() };
    return { srcu, mm, kvm, mn: kvm.notifier, pt, page, exitPt, exitPage, withUnregister, ...ghosts };
  },
  variants: {
    buggy: {
      summary: 'shipped in v3.9 (751efd8610, until v3.10-rc3): test and unlink under the lock, then ->release',
      expect: { violated: 'smmu-no-freed' },
      invariants,
      threads: threads({ ...FIX, exitReleasesFirst: false, unregisterReleasesFirst: false }),
    },
    fixed: {
      summary: 'v3.10-rc3 (d34883d4e3): ->release while on the list, then hlist_del_init_rcu',
      expect: 'holds',
      invariants,
      threads: threads(FIX),
    },
    'benign-double-release': {
      summary: 'd34883d4e3 held to release-at-most-once: its documented second ->release is reachable',
      expect: { violated: 'release-at-most-once' },
      invariants: [...invariants, releaseAtMostOnce],
      threads: { unregister: (w) => unregisterReleaseThenUnlink(w, FIX), release: releaseThread(FIX) },
    },
  },
});

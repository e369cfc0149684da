/**
 * mmu_notifier_unregister() vs __mmu_notifier_release(), v3.7–v3.8.
 *
 * Commits:
 * - 3ad3d901bb "mm: mmu_notifier: fix freed page still mapped in secondary MMU" (v3.6-rc1) moved
 *   unregister's hlist_unhashed() test out of the list lock and made both paths call ->release
 *   before unlinking; 21a92735f6 (v3.7-rc1) moved the walk from RCU to a global SRCU.
 * - 751efd8610 "mmu_notifier_unregister NULL Pointer deref and multiple ->release() callouts"
 *   (v3.9-rc1) reported the race: A tests hlist_unhashed(), B unlinks with hlist_del_init_rcu(),
 *   A's hlist_del_rcu() then writes through pprev = NULL; ->release may run twice.
 * - d34883d4e3 "mm: mmu_notifier: re-fix freed page still mapped in secondary MMU" (v3.10-rc3)
 *   kept the release-before-unlink shape and fixed the deref by making A's deletion
 *   hlist_del_init_rcu(), which re-tests pprev under the lock and is a no-op on an unhashed node.
 *   It accepts a second, harmless ->release call, so `release-at-most-once` is declared by the
 *   buggy variant only.
 *
 * Thread A is mmu_notifier_unregister() (e.g. a driver's ->flush on close), thread B is
 * __mmu_notifier_release() from exit_mmap(). The variants differ in one line of A and in where B
 * leaves its SRCU section: v3.7–v3.8 between the ->release walk and the unlink loop, d34883d4e3
 * after the unlink loop (its revert of 751efd8610 kept that commit's place for it).
 *
 * Each part of the fixed code is needed, and a mutant (`mutants`, run by
 * test/scenarios/mmu-notifier-unregister-release.test.ts at notifiers 1 and 2) shows it:
 * - `unregister-hlist-del-rcu` (the one line d34883d4e3 changes): the NULL deref (oops).
 * - `unregister-no-sync`: A returns while B is inside mn->release (unregister-quiescent).
 * - `release-no-sync`: B returns to exit_mmap while A's ->release runs (exit-after-release).
 * - `unregister-no-unlink` (a part of unregister, not of the fix): mn is still on the list when
 *   unregister returns (unregister-unlinked).
 * - `benign-double-release` removes nothing: it holds fixed to release-at-most-once, which the
 *   second ->release that d34883d4e3 accepts violates.
 * - Harmless in the kernel too (`release-unlock-before-unlink`, holds): where B leaves SRCU. A
 *   returns only once mn is off the list (its own unlink or B's, both under the lock), and B's
 *   unlink loop touches mn only while it is on the list, so A's synchronize_srcu has nothing of
 *   B's loop to wait for.
 *
 * Choices:
 * - ->release is two steps (entry and return) so a thread can be seen inside the callback; the
 *   notifiers have no client, so no other thread can observe what ->release does.
 * - mmdrop() and the BUG_ON on mm_count are left out: mm_count is pinned by the caller throughout.
 * - With `notifiers` > 1, the extra notifiers are registered after mn, so they stand before it on
 *   the list and mn's pprev points into a neighbour (exercising the next->pprev fix-up).
 */
import {
  hlistDelInitRcu,
  hlistDelRcu,
  hlistFirstRcu,
  hlistNextRcu,
  hlistUnhashed,
  isReachable,
} from '../models/hlist-rcu';
import {
  callRelease,
  newMmuNotifierMm,
  notifierOf,
  registeredNotifier,
  type MmuNotifier,
  type MmuNotifierMm,
} from '../models/mm/mmu-notifier';
import { spinLock, spinUnlock } from '../models/spinlock';
import { newSrcu, srcuReadLock, srcuReadUnlock, synchronizeSrcu, type Srcu } from '../models/srcu';
import { ghostObject, ghostStep, named, writesGhost, type Ghost } from '../models/kit/ghost';
import { defineScenario, type Invariant, type Steps, type Variant } from '../src/index';

interface World {
  readonly srcu: Srcu;
  readonly mm: MmuNotifierMm;
  /** The notifier being unregistered. */
  readonly mn: MmuNotifier;
  /** Every notifier on the list when the threads start, mn included. */
  readonly registered: readonly MmuNotifier[];
  /** Ghost: set when mmu_notifier_unregister() returns (its caller may then free mn). */
  readonly unregister: Ghost<{ returned: boolean }>;
  /** Ghost: what __mmu_notifier_release() left behind when it returned, null while it runs. */
  readonly release: Ghost<{ left: string | null | 'ok' }>;
}

// ---- the parts of the fixed code, each removable by a mutant ------------------------------------

/** What the fixed threads do; each `false` is one part removed (see the header). */
interface FixParts {
  /** A deletes with hlist_del_init_rcu (d34883d4e3), not hlist_del_rcu. */
  readonly unregisterDelInit: boolean;
  /** A unlinks mn at all (spin_lock; hlist_del_*_rcu; spin_unlock). */
  readonly unregisterUnlinks: boolean;
  /** A's synchronize_srcu before it returns. */
  readonly unregisterSync: boolean;
  /** B's synchronize_srcu before it returns to exit_mmap. */
  readonly releaseSync: boolean;
  /** B's srcu_read_unlock after the unlink loop (d34883d4e3), not before it (v3.7–v3.8). */
  readonly releaseUnlockAfterUnlink: boolean;
}

const FIX: FixParts = { unregisterDelInit: true, unregisterUnlinks: true, unregisterSync: true, releaseSync: true, releaseUnlockAfterUnlink: true };
/** The v3.7–v3.8 code: A's hlist_del_rcu, B's srcu_read_unlock between its walk and its unlink loop. */
const V3_7: FixParts = { ...FIX, unregisterDelInit: false, releaseUnlockAfterUnlink: false };

// ---- B: __mmu_notifier_release(), v3.7–v3.8 and d34883d4e3 -------------------------------------

function* mmuNotifierRelease(w: World, parts: FixParts): Steps {
  const id = yield* srcuReadLock(w.srcu);
  for (let n = yield* hlistFirstRcu(w.mm.list); n !== null; n = yield* hlistNextRcu(n)) {
    yield* callRelease(notifierOf(w.mm, n));
  }
  if (!parts.releaseUnlockAfterUnlink) yield* srcuReadUnlock(w.srcu, id); // v3.7–v3.8
  yield* spinLock(w.mm.lock);
  for (let first = yield* hlistFirstRcu(w.mm.list); first !== null; first = yield* hlistFirstRcu(w.mm.list)) {
    yield* hlistDelInitRcu(first);
  }
  yield* spinUnlock(w.mm.lock);
  if (parts.releaseUnlockAfterUnlink) yield* srcuReadUnlock(w.srcu, id); // d34883d4e3: after the unlink loop
  // why it declares reading every notifier: `unreleased` reads their counters when the grace
  // period ends, in the same step (exit_mmap() goes on from there)
  if (parts.releaseSync) yield* writesGhost(w.release, synchronizeSrcu(w.srcu), w.registered);
  else yield* ghostStep(w.release, '__mmu_notifier_release() returns', () => undefined, w.registered);
  w.release.left = unreleased(w);
}

/** What exit_mmap() would free under a notifier still in (or never through) ->release. */
function unreleased(w: World): string | 'ok' {
  const bad = w.registered.filter((mn) => mn.releaseCalls === 0 || mn.inRelease > 0);
  if (bad.length === 0) return 'ok';
  return bad.map((mn) => `${mn.name}: ${mn.releaseCalls} release calls, ${mn.inRelease} in flight`).join('; ');
}

// ---- A: mmu_notifier_unregister(), v3.7–v3.8 and d34883d4e3 -----------------------------------

function* mmuNotifierUnregister(w: World, parts: FixParts): Steps {
  if (!(yield* hlistUnhashed(w.mn.hlist))) {
    const id = yield* srcuReadLock(w.srcu);
    yield* callRelease(w.mn);
    yield* srcuReadUnlock(w.srcu, id);
    if (parts.unregisterUnlinks) {
      yield* spinLock(w.mm.lock);
      if (parts.unregisterDelInit) yield* hlistDelInitRcu(w.mn.hlist); // d34883d4e3: re-tests pprev under the lock
      else yield* hlistDelRcu(w.mn.hlist); // v3.7–v3.8: faults if B unlinked mn after our test
      yield* spinUnlock(w.mm.lock);
    }
  }
  if (parts.unregisterSync) yield* synchronizeSrcu(w.srcu);
  yield* ghostStep(w.unregister, 'mmu_notifier_unregister() returns', () => void (w.unregister.returned = true));
}

function threads(parts: FixParts): Variant<World>['threads'] {
  return { unregister: (w) => mmuNotifierUnregister(w, parts), release: (w) => mmuNotifierRelease(w, parts) };
}

// ---- invariants -------------------------------------------------------------------------------

// why mn alone: it is the only notifier both paths release; B's one walk releases each other once
const releaseAtMostOnce: Invariant<World> = {
  id: 'release-at-most-once',
  description: '->release is called at most once per notifier',
  observes: named('mn'),
  check: (w) => (w.mn.releaseCalls > 1 ? `${w.mn.name}->ops->release called ${w.mn.releaseCalls} times` : true),
};

// mmu_notifier_unregister's promise (unregisterQuiescent of models/mm/mmu-notifier.ts) as two
// invariants, why: each then reads fewer objects, so fewer pairs of steps are ordered for it
// (S1 fixed, notifiers=4: 150 executions instead of 414)
const unregisterQuiescent: Invariant<World> = {
  id: 'unregister-quiescent',
  description: 'after mmu_notifier_unregister(mn) returns, nobody is in mn->release',
  observes: named('mn', 'ghost: unregister returned'),
  check: (w) => (w.unregister.returned && w.mn.inRelease > 0 ? `${w.mn.name}->ops->release still running after unregister returned` : true),
};

/** The hlist nodes `isReachable` may walk: mn's and those of the extra notifiers, up to this many. */
const MAX_NOTIFIERS = 8;
const NODES = ['mn->hlist', ...Array.from({ length: MAX_NOTIFIERS - 1 }, (_, i) => `mn${i + 2}->hlist`)];

// why the list and the nodes: the steps declare the nodes' links through their list
// (models/hlist-rcu.ts), but the walk reads fields the nodes own (the footprint audit asks for them
// at notifiers >= 2); no step declares a node, so observing them orders nothing more
const unregisterUnlinked: Invariant<World> = {
  id: 'unregister-unlinked',
  description: 'after mmu_notifier_unregister(mn) returns, mn can no longer be reached from the list',
  observes: named('mm->mmu_notifier_mm', 'mm->mmu_notifier_mm->list', ...NODES, 'ghost: unregister returned'),
  check: (w) => (w.unregister.returned && isReachable(w.mm.list, w.mn.hlist) ? `${w.mn.name} still reachable from ${w.mm.list.name}` : true),
};

const exitAfterRelease: Invariant<World> = {
  id: 'exit-after-release',
  description: 'when __mmu_notifier_release returns, every notifier has completed ->release',
  observes: named('ghost: release left'),
  check: (w) => (w.release.left === null || w.release.left === 'ok' ? true : `exit_mmap proceeds with ${w.release.left}`),
};

const invariants = [unregisterQuiescent, unregisterUnlinked, exitAfterRelease];

/** The fixed variant with `removed` parts taken out, held to `held` (fixed's invariants by default). */
function mutant(summary: string, expected: Variant<World>['expect'], removed: Partial<FixParts>, held = invariants): Variant<World> {
  return { summary: `${summary} (mutant)`, expect: expected, invariants: held, threads: threads({ ...FIX, ...removed }) };
}

/** The fixed variant with one part removed each, or held to more (test/scenarios/mmu-notifier-unregister-release.test.ts). */
export const mutants = {
  'unregister-hlist-del-rcu': mutant('d34883d4e3 with hlist_del_rcu in mmu_notifier_unregister', { violated: 'oops' }, { unregisterDelInit: false }),
  'unregister-no-unlink': mutant('d34883d4e3 whose mmu_notifier_unregister leaves the unlink to exit_mmap', { violated: 'unregister-unlinked' }, { unregisterUnlinks: false }),
  'unregister-no-sync': mutant("d34883d4e3 without mmu_notifier_unregister's synchronize_srcu", { violated: 'unregister-quiescent' }, { unregisterSync: false }),
  'release-no-sync': mutant("d34883d4e3 without __mmu_notifier_release's synchronize_srcu", { violated: 'exit-after-release' }, { releaseSync: false }),
  'release-unlock-before-unlink': mutant("d34883d4e3 with v3.7's srcu_read_unlock before the unlink loop: harmless", 'holds', { releaseUnlockAfterUnlink: false }),
  'benign-double-release': mutant('d34883d4e3 held to release-at-most-once: its documented second ->release is reachable', { violated: 'release-at-most-once' }, {}, [releaseAtMostOnce, ...invariants]),
} satisfies Readonly<Record<string, Variant<World>>>;

export default defineScenario({
  id: 'mmu-notifier-unregister-release',
  title: 'mmu_notifier_unregister vs __mmu_notifier_release: NULL deref in hlist_del_rcu, double ->release',
  commits: [
    '3ad3d901bb mm: mmu_notifier: fix freed page still mapped in secondary MMU',
    '751efd8610 mmu_notifier_unregister NULL Pointer deref and multiple ->release() callouts',
    'd34883d4e3 mm: mmu_notifier: re-fix freed page still mapped in secondary MMU',
  ],
  params: { notifiers: 1 },
  setup: ({ notifiers }): World => {
    const srcu = newSrcu('srcu');
    const mm = newMmuNotifierMm('mm');
    const mn = registeredNotifier(mm, 'mn');
    if (notifiers > MAX_NOTIFIERS) throw new RangeError(`notifiers must be at most ${MAX_NOTIFIERS}`);
    const registered = [mn];
    for (let i = 2; i <= notifiers; i++) registered.push(registeredNotifier(mm, `mn${i}`));
    const unregister = ghostObject('ghost: unregister returned', { returned: false });
    const release = ghostObject<{ left: string | null | 'ok' }>('ghost: release left', { left: null });
    return { srcu, mm, mn, registered, unregister, release };
  },
  variants: {
    buggy: {
      summary: 'shipped in v3.7 and v3.8 (v3.6 in its RCU form): unhashed test outside the lock, then hlist_del_rcu (before 751efd8610)',
      expect: { violated: 'oops' },
      invariants: [releaseAtMostOnce, ...invariants],
      threads: threads(V3_7),
    },
    fixed: {
      summary: 'v3.10-rc3 (d34883d4e3): unregister deletes with hlist_del_init_rcu; release leaves SRCU after its unlink loop',
      expect: 'holds',
      invariants,
      threads: threads(FIX),
    },
  },
});

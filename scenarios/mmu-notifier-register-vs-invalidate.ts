/**
 * mmu_notifier_register() vs an invalidation in flight: registration must not land between an
 * invalidate_range_start and its invalidate_range_end (races.md S7a).
 *
 * Commits:
 * - cddb8a5c14 "mmu-notifiers: core" (v2.6.27), dependency 1: registration runs under
 *   mm_take_all_locks() "when the whole VM isn't doing anything with mm", so that a client keeping
 *   an atomic count of open start/end sections (KVM's mmu_notifier_count) never sees an end
 *   without its start. Every invalidator holds mmap_sem, an i_mmap lock or an anon_vma lock from
 *   start to end; mm_take_all_locks() takes all of them.
 *
 * Thread A is an invalidator that holds only the i_mmap lock of a file mapped by the mm: truncate's
 * unmap_mapping_range() zapping the PTE of one page between invalidate_range_start and _end. Thread
 * B is KVM registering its notifier (KVM_CREATE_VM). In `buggy` B relies on mmap_sem alone, which
 * truncate does not take; `fixed` is the real code: mm_take_all_locks() between mmap_sem and the
 * list insertion. When B's notifier lands inside A's window, KVM's invalidate_range_end takes
 * mmu_notifier_count from 0 to -1 and hits its BUG_ON.
 *
 * The fix's parts are its lock set and where the insertion sits in it: `buggy` takes mmap_sem
 * alone; the mutant `link-after-drop` (`mutants`, run by
 * test/scenarios/mmu-notifier-register-vs-invalidate.test.ts) takes every lock but links the
 * notifier after mm_drop_all_locks(), and lands in the window the same way (`bug-on`); the mutant
 * `eintr-unchecked` ignores mm_take_all_locks()' -EINTR (a signal came while it locked, and it
 * took nothing), links with no lock of the mm held, and mm_drop_all_locks() then unlocks a
 * mm_all_locks_mutex it does not hold (`unlock-not-held`). Of
 * mm_take_all_locks()'s passes only the i_mmap one matters here (truncate holds only i_mmap_mutex;
 * the anon_vma pass is S7b's and S7c's). `register-links-notifier` (models/mm/mmu-notifier-register.ts)
 * guards that the fixed registration links its notifier at all: one registration with no signal
 * cannot break it by an interleaving here; the mutant `no-link` shows it firing (as do S5's mutant
 * `has-notifiers-unlocked` and the model's unit test).
 *
 * Choices:
 * - v3.7-era code (global SRCU, i_mmap_mutex, allocation before the locks as 35cfa2b0b4 has it); the
 *   mm has one file VMA and no anon_vma, so mm_take_all_locks() takes one rmap lock.
 * - A's PTL section (lock, clear the PTE, drop the mapcount and the mapping's reference, unlock)
 *   is one step: no other thread touches the PTL, the PTE or the page.
 * - The secondary-MMU fault (races.md's page variant, F1–F7) is left out: the count going negative
 *   already shows the client saw an end without a start. Without it KVM maps nothing, so no
 *   smmu-no-freed invariant: it could not fire. No range-pairing either: truncate pairs its own
 *   start and end in every variant; what registration breaks is the client's count.
 */
import { ghostObject, ghostStep, named, observing, writesGhost, type Ghost } from '../models/kit/ghost';
import { folioAddMapcount, folioPut, newFolio, type Folio } from '../models/mm/folio';
import { fused } from '../models/kit/fused';
import { ERA_3X, mmDropAllLocks, mmTakeAllLocks, mutexRmapLock, newAllLocksMm, type AllLocksMm } from '../models/mm/mm-take-all-locks';
import { mmuNotifierInvalidateRangeEnd, mmuNotifierInvalidateRangeStart, srcuReadSide, type MmuNotifier } from '../models/mm/mmu-notifier';
import {
  mmHasNotifiers,
  mmuNotifierLink,
  mmuNotifierMmInstall,
  mmuNotifierRegister,
  newLazyMmuNotifierMm,
  registerLinksNotifier,
  type LazyMmuNotifierMm,
} from '../models/mm/mmu-notifier-register';
import { GFP_KERNEL, kfreeToZone, kmalloc, newZone, type Zone } from '../models/mm/allocator';
import { mutexLock, mutexUnlock, newMutex, type Mutex } from '../models/mutex';
import { newPageTable, ptepClearFlush, setPteAtSetup, type PageTable } from '../models/mm/pte';
import { newRwsem, downWrite, upWrite } from '../models/rwsem';
import { newKvm, type Kvm } from '../models/mm/secondary-mmu';
import { spinLock, spinUnlock } from '../models/spinlock';
import { newSrcu } from '../models/srcu';
import { defineScenario, type Steps, type Variant } from '../src/index';

const START = 0x1000;
const END = 0x2000;
const ALLOC = 'kmalloc(sizeof(struct mmu_notifier_mm), GFP_KERNEL)';

interface World {
  readonly notifierMm: LazyMmuNotifierMm<Folio>;
  readonly kvm: Kvm;
  readonly mn: MmuNotifier<Folio>;
  readonly locks: AllLocksMm;
  /** The i_mmap_mutex of the file mapped by the mm. */
  readonly iMmap: Mutex;
  readonly pt: PageTable<Folio>;
  readonly page: Folio;
  readonly zone: Zone;
  /** Ghost: what mmu_notifier_register() returned, null while it runs. */
  readonly register: Ghost<{ returned: number | null }>;
}

// ---- A: unmap_mapping_range() under i_mmap_mutex, the same in both variants -------------------

function* truncateUnmap(w: World): Steps {
  const { notifierMm: mm, pt, page } = w;
  yield* mutexLock(w.iMmap);
  yield* mmuNotifierInvalidateRangeStart(mm, START, END);
  yield* fused(
    () => spinLock(pt.ptl),
    () => ptepClearFlush(pt, START),
    () => folioAddMapcount(page, -1, `page_remove_rmap(${page.name})`),
    () => folioPut(page, `page_cache_release(${page.name}) [the mapping's reference]`),
    () => spinUnlock(pt.ptl),
  );
  yield* mmuNotifierInvalidateRangeEnd(mm, START, END);
  yield* mutexUnlock(w.iMmap);
}

// ---- B: mmu_notifier_register(), buggy (mmap_sem only) and fixed (mm_take_all_locks) ----------

function* registerUnderMmapSemOnly(w: World): Steps {
  const { locks, notifierMm: mm, zone } = w;
  if (!(yield* kmalloc(zone, GFP_KERNEL, ALLOC))) return;
  let unused = true;
  yield* downWrite(locks.mmapLock);
  // no mm_take_all_locks(): truncate holds only i_mmap_mutex, so it runs on
  if (!(yield* mmHasNotifiers(mm))) {
    yield* mmuNotifierMmInstall(mm);
    unused = false;
  }
  yield* mmuNotifierLink(w.mn);
  // why no ghost step here: a row of its own would lengthen the buggy trace; the return is
  // recorded by the last kernel step instead
  yield* writesGhost(w.register, upWrite(locks.mmapLock));
  if (unused) yield* writesGhost(w.register, kfreeToZone(zone, 'kfree(mmu_notifier_mm)'));
  w.register.returned = 0;
}

// the fix's registration (35cfa2b0b4 shape) is the model's mmuNotifierRegister: mmap_sem and
// mm_take_all_locks around install and link, so no invalidate window of the mm is open
function* registerUnderAllLocks(w: World): Steps {
  yield* registerReturns(w, yield* mmuNotifierRegister(w.mn, { locks: w.locks, era: ERA_3X, zone: w.zone }));
}

/** Ghost: what mmu_notifier_register() returned, recorded as a step of its own. */
function* registerReturns(w: World, ret: number): Steps {
  yield* ghostStep(w.register, 'mmu_notifier_register() returns', () => void (w.register.returned = ret));
}

/**
 * A mutant of the fix that shortens the all-locks section: install under the locks, but link the
 * notifier after mm_drop_all_locks(), under mmap_sem alone; with `link` false, never link it.
 */
function* registerLinkAfterDrop(w: World, link = true): Steps {
  const { locks, notifierMm: mm, zone } = w;
  if (!(yield* kmalloc(zone, GFP_KERNEL, ALLOC))) return;
  let unused = true;
  yield* downWrite(locks.mmapLock);
  const ret = yield* mmTakeAllLocks(locks, ERA_3X);
  if (ret === 0) {
    if (!(yield* mmHasNotifiers(mm))) {
      yield* mmuNotifierMmInstall(mm);
      unused = false;
    }
    yield* mmDropAllLocks(locks, ERA_3X);
    if (link) yield* mmuNotifierLink(w.mn);
  }
  yield* upWrite(locks.mmapLock);
  if (unused) yield* kfreeToZone(zone, 'kfree(mmu_notifier_mm)');
  yield* registerReturns(w, ret);
}

// ---- invariants -------------------------------------------------------------------------------

/**
 * A mutant that drops the -EINTR test after mm_take_all_locks(): a signal arrives while it locks
 * (it has undone everything and returns -EINTR), and registration goes on as if it held the locks.
 */
function* registerEintrUnchecked(w: World): Steps {
  const { locks, notifierMm: mm, zone } = w;
  if (!(yield* kmalloc(zone, GFP_KERNEL, ALLOC))) return;
  let unused = true;
  yield* downWrite(locks.mmapLock);
  const ret = yield* mmTakeAllLocks(locks, ERA_3X, () => true);
  if (!(yield* mmHasNotifiers(mm))) {
    yield* mmuNotifierMmInstall(mm);
    unused = false;
  }
  yield* mmuNotifierLink(w.mn);
  yield* mmDropAllLocks(locks, ERA_3X);
  yield* upWrite(locks.mmapLock);
  if (unused) yield* kfreeToZone(zone, 'kfree(mmu_notifier_mm)');
  yield* registerReturns(w, ret);
}

const registered = observing(
  registerLinksNotifier(
    (w: World) => w.notifierMm,
    (w: World) => [{ mn: w.mn, ghost: w.register }],
  ),
  named('kvm->mmu_notifier', 'mm->mmu_notifier_mm', 'mm->mmu_notifier_mm->list', 'ghost: register returned'),
);

const invariants = [registered];

/**
 * The fixed variant with one part of the fix changed. Not in `variants`: a mutant is a test of the
 * fix (test/scenarios), not a kernel version.
 */
export const mutants: Readonly<Record<'link-after-drop' | 'eintr-unchecked' | 'no-link', Variant<World>>> = {
  'no-link': {
    summary: 'the fixed registration without its hlist_add_head_rcu: register returns 0 with the notifier on no list (mutant)',
    expect: { violated: 'register-links-notifier' },
    invariants,
    threads: { invalidate: truncateUnmap, register: (w: World) => registerLinkAfterDrop(w, false) },
  },
  'eintr-unchecked': {
    summary: 'a signal during mm_take_all_locks(), and no test of its -EINTR: link and drop without the locks (mutant)',
    expect: { violated: 'unlock-not-held' },
    invariants,
    threads: { invalidate: truncateUnmap, register: registerEintrUnchecked },
  },
  'link-after-drop': {
    summary: 'mm_take_all_locks() around the install, but hlist_add_head_rcu after mm_drop_all_locks() (mutant)',
    expect: { violated: 'bug-on' },
    invariants,
    threads: { invalidate: truncateUnmap, register: (w: World) => registerLinkAfterDrop(w) },
  },
};

export default defineScenario({
  id: 'mmu-notifier-register-vs-invalidate',
  title: 'mmu_notifier_register lands inside an invalidate_range_start/end window unless it takes all locks',
  commits: ['cddb8a5c14 mmu-notifiers: core (dependency 1: mm_take_all_locks for registration)'],
  setup: (): World => {
    const notifierMm = newLazyMmuNotifierMm<Folio>('mm', srcuReadSide(newSrcu('srcu')));
    const kvm = newKvm(notifierMm, 'kvm', { registered: false });
    const iMmap = newMutex('M->i_mmap_mutex', { lockClass: '&mapping->i_mmap_mutex' });
    const locks = newAllLocksMm('mm', {
      allLocksMutex: newMutex('mm_all_locks_mutex'),
      mmapLock: newRwsem('mm->mmap_sem', { lockClass: '&mm->mmap_sem' }),
      vmas: [{ name: 'vma', mapping: mutexRmapLock(iMmap), anonVmas: [], vmaLock: null }],
    });
    const page = newFolio('P', { ref: 2, mapcount: 1 });
    const pt = newPageTable<Folio>('pte');
    setPteAtSetup(pt, START, page);
    const zone = newZone('zone', { freePages: 1 });
    return { notifierMm, kvm, mn: kvm.notifier, locks, iMmap, pt, page, zone, register: ghostObject<{ returned: number | null }>('ghost: register returned', { returned: null }) };
  },
  variants: {
    buggy: {
      summary: 'hypothetical interleaving: registration under mmap_sem only, without mm_take_all_locks() (what cddb8a5c14 rules out; no kernel shipped it)',
      expect: { violated: 'bug-on' },
      invariants,
      threads: { invalidate: truncateUnmap, register: registerUnderMmapSemOnly },
    },
    fixed: {
      summary: 'cddb8a5c14 on: mm_take_all_locks() around the list insertion',
      expect: 'holds',
      invariants,
      threads: { invalidate: truncateUnmap, register: registerUnderAllLocks },
    },
  },
});

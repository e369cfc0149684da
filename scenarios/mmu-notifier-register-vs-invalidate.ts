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
 * Choices:
 * - v3.7-era code (global SRCU, i_mmap_mutex, allocation before the locks as 35cfa2b0b4 has it); the
 *   mm has one file VMA and no anon_vma, so mm_take_all_locks() takes one rmap lock.
 * - A's PTL section (lock, clear the PTE, drop the mapcount and the mapping's reference, unlock)
 *   is one step: no other thread touches the PTL, the PTE or the page.
 * - The secondary-MMU fault (races.md's page variant, F1–F7) is left out: the count going negative
 *   already shows the client saw an end without a start.
 */
import { ghostObject, ghostStep, named, observing, writesGhost, type Ghost } from '../models/kit/ghost';
import { folioAddMapcount, folioPut, newFolio, type Folio } from '../models/mm/folio';
import { fused } from '../models/kit/fused';
import { isReachable } from '../models/hlist-rcu';
import { ERA_3X, mutexRmapLock, newAllLocksMm, type AllLocksMm } from '../models/mm/mm-take-all-locks';
import {
  mmuNotifierInvalidateRangeEnd,
  mmuNotifierInvalidateRangeStart,
  rangePairing,
  srcuReadSide,
  type MmuNotifier,
} from '../models/mm/mmu-notifier';
import {
  mmHasNotifiers,
  mmuNotifierLink,
  mmuNotifierMmInstall,
  mmuNotifierRegister,
  newLazyMmuNotifierMm,
  type LazyMmuNotifierMm,
} from '../models/mm/mmu-notifier-register';
import { GFP_KERNEL, kfreeToZone, kmalloc, newZone, type Zone } from '../models/mm/allocator';
import { mutexLock, mutexUnlock, newMutex, type Mutex } from '../models/mutex';
import { newPageTable, ptepClearFlush, setPteAtSetup, type PageTable } from '../models/mm/pte';
import { newRwsem, downWrite, upWrite } from '../models/rwsem';
import { newKvm, smmuNoFreed, type Kvm } from '../models/mm/secondary-mmu';
import { spinLock, spinUnlock } from '../models/spinlock';
import { newSrcu } from '../models/srcu';
import { defineScenario, type Invariant, type Steps } from '../src/index';

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
  /** Ghost: mmu_notifier_register() has returned. */
  readonly register: Ghost<{ returned: boolean }>;
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
  w.register.returned = true;
}

// the fix's registration (35cfa2b0b4 shape) is the model's mmuNotifierRegister: mmap_sem and
// mm_take_all_locks around install and link, so no invalidate window of the mm is open
function* registerUnderAllLocks(w: World): Steps {
  yield* registerReturns(w, (yield* mmuNotifierRegister(w.mn, { locks: w.locks, era: ERA_3X, zone: w.zone })) === 0);
}

/** Ghost: whether mmu_notifier_register() returned success, recorded as a step of its own. */
function* registerReturns(w: World, ok: boolean): Steps {
  yield* ghostStep(w.register, 'mmu_notifier_register() returns', () => void (w.register.returned = ok));
}

// ---- invariants -------------------------------------------------------------------------------

const registered: Invariant<World> = {
  id: 'register-links-notifier',
  description: 'when mmu_notifier_register() returns, the notifier is on the mm list',
  observes: named('kvm->mmu_notifier', 'mm->mmu_notifier_mm', 'mm->mmu_notifier_mm->list', 'ghost: register returned'),
  check: (w) => !w.register.returned || isReachable(w.notifierMm.list, w.mn.hlist) || `${w.mn.name} is not on the list`,
};

// why kvm->mmu_lock and ptl(pte): the sptes are declared through the one, fused PTL sections the other
const invariants = [
  observing(rangePairing((w: World) => w.notifierMm), named('mm->mmu_notifier_mm')),
  observing(smmuNoFreed((w: World) => w.kvm), named('kvm', 'kvm->mmu_lock', 'ptl(pte)', 'P')),
  registered,
];

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
    return { notifierMm, kvm, mn: kvm.notifier, locks, iMmap, pt, page, zone, register: ghostObject('ghost: register returned', { returned: false }) };
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

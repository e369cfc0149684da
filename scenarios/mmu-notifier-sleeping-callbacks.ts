/**
 * mmu-notifier callbacks that sleep, v3.6 → v3.7 (races.md S4): a client that sends an
 * invalidation to its device and waits for the device's acknowledgement (RDMA on-demand paging,
 * XPMEM) may only do so where the caller may sleep.
 *
 * Commits:
 * - 21a92735f6 "mm: mmu_notifier: have mmu_notifiers use a global SRCU so they may safely
 *   schedule" (v3.7-rc1): the list walk of every notifier call ran under rcu_read_lock(), where
 *   sleeping is forbidden; it now runs under one global SRCU domain, whose readers may sleep and
 *   whose synchronize_srcu() waits for them. (S4a: variants `rcu-*` and `srcu-fixed`.)
 * - 2ec74c3ef2 "mm: move all mmu notifier invocations to be done outside the PT lock" (v3.7-rc1,
 *   seed 001): try_to_unmap_one() and others called invalidate_page under the page-table spinlock;
 *   the call now comes after pte_unmap_unlock() and before the page can be freed. It also set the
 *   convention of saving range_start's arguments in `mmun_start`/`mmun_end` for range_end, after
 *   review of v1 caught do_huge_pmd_wp_page_fallback() ending a range its loop had moved.
 *   (S4b: `under-ptl-buggy`, `outside-ptl-fixed`, `outside-ptl-put-first`; S4c: `range-args-*`.)
 *
 * The client: a device that mirrors the mm (`dev->dpte`, no page references). Its
 * invalidate_range_start and invalidate_page callbacks clear the device entries and post the
 * invalidation, then sleep in wait_for_completion() until the device acknowledges.
 *
 * S4a threads: A is zap_page_range()'s invalidate_range_start(mm, 0x0, 0x2000), whose callback
 * sleeps; B is mmu_notifier_unregister() of the client (v3.6 and v3.7 alike but for the read side;
 * the client has no ->release) followed by the driver's kfree(mn). `rcu-buggy-unreported` runs the
 * v3.6 code on a kernel that does not catch the sleep: the sleep is then a quiescent state, B's
 * synchronize_rcu() returns while A sleeps, and A's walk loads mn->hlist.next from freed memory.
 *
 * S4b and S4c have one thread each: the bug is in one code path, no interleaving needed.
 *
 * Each part of each fix is shown needed, by a registry variant or by a mutant (`mutants`):
 * - S4a: the SRCU read side (`rcu-buggy`, `rcu-buggy-unreported`); unregister's synchronize_srcu,
 *   without which the driver's kfree(mn) lands under the sleeping walk (`srcu-no-synchronize`).
 * - S4b: invalidate_page after pte_unmap_unlock (`under-ptl-buggy`), before the last put_page
 *   (`outside-ptl-put-first`), and at all (`outside-ptl-no-invalidate`).
 * - S4c: range_end given the saved mmun_start/mmun_end (`range-args-buggy`), and called at all
 *   (`range-args-no-end`, caught by range-not-ended when the thread returns).
 *
 * Choices:
 * - The device acknowledges by itself (the wait is one may-sleep step, not a device thread): the
 *   race is about what the sleeper holds, not about the device.
 * - B's unlink (hlist_unhashed test, list lock, hlist_del_rcu, unlock) is one step: A never takes
 *   the list lock and sees only the unlink itself.
 * - S4b: the PTL section of try_to_unmap_one (clear the PTE, page_remove_rmap, drop the mapping's
 *   reference; the caller's isolation reference keeps the page) is one step; shrink_page_list()'s
 *   last put_page is the free. S4c: the loop's PTE writes under the PTL are one step; a huge page is
 *   two small pages here (the loop's length is not what goes wrong).
 */
import { named, observing } from '../models/kit/ghost';
import { fused, fusedAs } from '../models/kit/fused';
import { folioAddMapcount, folioPut, newFolio, type Folio } from '../models/mm/folio';
import { hlistDelRcu, hlistUnhashed } from '../models/hlist-rcu';
import { freeObject } from '../models/kit/lifetime';
import { mightSleep } from '../models/kit/might-sleep';
import {
  firstNotifier,
  mmuNotifierInvalidateRangeEnd,
  mmuNotifierInvalidateRangeStart,
  newMmuNotifierMm,
  nextNotifier,
  rangePairing,
  rcuReadSide,
  registeredNotifier,
  srcuReadSide,
  type MmuNotifier,
  type MmuNotifierMm,
  type ReadSide,
} from '../models/mm/mmu-notifier';
import { newPageTable, ptepClearFlush, setPteAt, setPteAtSetup, type PageTable } from '../models/mm/pte';
import { newRcu, type Rcu } from '../models/rcu';
import { spinLock, spinUnlock } from '../models/spinlock';
import { newSrcu, type Srcu } from '../models/srcu';
import { defineScenario, type Invariant, perform, type SharedObject, type Steps, type Variant } from '../src/index';

const ADDR = 0x1000;
const PAGE_SIZE = 0x1000;
/** A "huge page" of two small pages (see Choices). */
const HPAGE_SIZE = 2 * PAGE_SIZE;

/** The device's page table: what it can still reach without the CPU's page tables. */
interface Device extends SharedObject {
  // invariant: an entry maps a page until an invalidation callback covering its address cleared it
  readonly dpte: Map<number, Folio | null>;
  /**
   * The RCU domain whose read sections a sleep of the callback may end (the one where sleeping is a
   * quiescent state): the sleep declares it, so the explorer orders it against grace periods.
   */
  readonly sleepEnds: Rcu;
}

interface World {
  readonly srcu: Srcu;
  /** Classic RCU as v3.6 kernels with might_sleep debugging have it: sleeping inside is reported. */
  readonly rcu: Rcu;
  /** The same RCU on a kernel that does not catch it: a sleeping reader is a quiescent state. */
  readonly rcuUnreported: Rcu;
  readonly mm: MmuNotifierMm<Folio>;
  readonly dev: Device;
  /** The device's notifier; the driver kfrees it once unregister returns. */
  readonly mn: MmuNotifier<Folio>;
  /** The page table of the small page P at 0x1000 (S4b). */
  readonly pt: PageTable<Folio>;
  readonly page: Folio;
  /** The page table of the huge page's range [0x0, 0x2000) (S4c). */
  readonly hpt: PageTable<Folio>;
  /** The small pages the fallback maps in place of the huge page (S4c). */
  readonly newPages: readonly Folio[];
}

// ---- the client's callbacks ------------------------------------------------------------------------

/** Clear the device's entries in [start, end) and post the invalidation (one step on the device). */
function* devInvalidate(dev: Device, start: number, end: number): Steps {
  yield* perform<void>({
    object: dev,
    access: 'write',
    label: `dev_invalidate(0x${start.toString(16)}, 0x${end.toString(16)}): clear dpte, post to device`,
    run: () => {
      for (const a of dev.dpte.keys()) if (a >= start && a < end) dev.dpte.set(a, null);
    },
  });
  const label = `wait_for_completion(&${dev.name}->inval_done)`;
  // why not mightSleepStep: under `rcuUnreported` this sleep ends the caller's read section, which
  // changes what synchronize_rcu waits for; the op must say so (src/explore/dependency.ts)
  yield* perform<void>({ object: dev.sleepEnds, access: 'rcu-exit', label, run: (self) => mightSleep(self, label) });
}

function newDeviceNotifier(mm: MmuNotifierMm<Folio>, dev: Device): MmuNotifier<Folio> {
  return registeredNotifier(mm, `${dev.name}->mn`, {
    invalidateRangeStart: (_mn, _mm, start, end) => devInvalidate(dev, start, end),
    invalidatePage: (_mn, _mm, address) => devInvalidate(dev, address, address + PAGE_SIZE),
  });
}

/** The walk every __mmu_notifier_* call makes, under the read side of the variant's era. */
function* notifierWalk(w: World, rs: ReadSide, call: (mn: MmuNotifier<Folio>) => Steps | null): Steps {
  const token = yield* rs.lock();
  for (let mn = yield* firstNotifier(w.mm); mn !== null; mn = yield* nextNotifier(mn)) {
    const steps = call(mn);
    if (steps !== null) yield* steps;
  }
  yield* rs.unlock(token);
}

// ---- S4a: a sleeping range_start vs unregister + kfree, under RCU (v3.6) and SRCU (v3.7) -------

function zapRangeStart(readSide: (w: World) => ReadSide) {
  return (w: World): Steps =>
    notifierWalk(w, readSide(w), (mn) => mn.ops.invalidateRangeStart?.(mn, w.mm, 0x0, HPAGE_SIZE) ?? null);
}

function unregisterAndFree(readSide: (w: World) => ReadSide, synchronize = true) {
  return function* (w: World): Steps {
    const { mm, mn } = w;
    // if (!hlist_unhashed()) { [no ->release]; spin_lock(); hlist_del_rcu(); spin_unlock(); }
    yield* fusedAs({ object: mm.list, access: 'write' }, () => unlinkIfHashed(mn), () => spinUnlock(mm.lock));
    if (synchronize) yield* readSide(w).synchronize();
    yield* kfreeNotifier(mn);
  };
}

/**
 * The driver's kfree(mn) once unregister has returned. Declared as a write of the list: the walk's
 * loads of mn->hlist.next are declared as reads of the list (models/mmu-notifier.ts), so that is
 * the object through which a walker can still reach mn's memory.
 */
function* kfreeNotifier(mn: MmuNotifier<Folio>): Steps {
  const label = `kfree(${mn.name}) [driver, after mmu_notifier_unregister]`;
  yield* perform<void>({ object: mn.mm.list, access: 'write', label, run: (self) => freeObject(mn, self, label) });
}

function* unlinkIfHashed(mn: MmuNotifier<Folio>): Steps {
  yield* spinLock(mn.mm.lock);
  if (!(yield* hlistUnhashed(mn.hlist))) yield* hlistDelRcu(mn.hlist);
}

const rcuSide = (w: World) => rcuReadSide(w.rcu);
const rcuUnreportedSide = (w: World) => rcuReadSide(w.rcuUnreported);
const srcuSide = (w: World) => srcuReadSide(w.srcu);

// ---- S4b: try_to_unmap_one() + shrink_page_list()'s last put_page ---------------------------------

/** Where try_to_unmap_one calls invalidate_page: under the PTL, after it, after the last put, or not at all. */
type UnmapShape = 'under-ptl' | 'outside-ptl' | 'put-first' | 'none';

function tryToUnmap(shape: UnmapShape) {
  return function* (w: World): Steps {
    const { pt, page } = w;
    const invalidatePage = () =>
      notifierWalk(w, srcuSide(w), (mn) => mn.ops.invalidatePage?.(mn, w.mm, ADDR) ?? null);
    yield* fused(
      () => spinLock(pt.ptl),
      () => ptepClearFlush(pt, ADDR),
      () => folioAddMapcount(page, -1, `page_remove_rmap(${page.name})`),
      () => folioPut(page, `page_cache_release(${page.name}) [the mapping's reference]`),
    );
    if (shape === 'under-ptl') yield* invalidatePage(); // v3.6: ptep_clear_flush_notify()
    yield* spinUnlock(pt.ptl);
    if (shape === 'outside-ptl') yield* invalidatePage(); // 2ec74c3ef2: after the PTL, before the free
    yield* folioPut(page, `put_page(${page.name}) [shrink_page_list: last reference]`);
    if (shape === 'put-first') yield* invalidatePage();
  };
}

// ---- S4c: do_huge_pmd_wp_page_fallback(), v1 of 2ec74c3ef2 and as merged ----------------------------

function wpPageFallback(saveArgs: boolean, rangeEnd = true) {
  return function* (w: World): Steps {
    const { mm, hpt, newPages } = w;
    let haddr = 0x0;
    const mmunStart = haddr;
    const mmunEnd = haddr + HPAGE_SIZE;
    yield* mmuNotifierInvalidateRangeStart(mm, mmunStart, mmunEnd);
    yield* fused(() => mapSmallPages(hpt, newPages, () => (haddr += PAGE_SIZE) - PAGE_SIZE));
    if (!rangeEnd) return;
    if (saveArgs) yield* mmuNotifierInvalidateRangeEnd(mm, mmunStart, mmunEnd);
    else yield* mmuNotifierInvalidateRangeEnd(mm, haddr, haddr + HPAGE_SIZE); // haddr moved in the loop
  };
}

/** pmd_lock(); for (i = 0; i < nr; i++, haddr += PAGE_SIZE) set_pte_at(haddr, page[i]); unlock. */
function* mapSmallPages(hpt: PageTable<Folio>, pages: readonly Folio[], nextAddr: () => number): Steps {
  yield* spinLock(hpt.ptl);
  for (const p of pages) yield* setPteAt(hpt, nextAddr(), { page: p, writable: true });
  yield* spinUnlock(hpt.ptl);
}

// ---- invariants -------------------------------------------------------------------------------------

/** INV-SMMU-NO-FREED for the device mirror. */
const deviceNoFreed: Invariant<World> = {
  id: 'smmu-no-freed',
  description: 'a freed page is mapped by no device page-table entry',
  // why P: the one page the device maps
  observes: named('dev', 'P'),
  check: (w) => {
    for (const [a, p] of w.dev.dpte) {
      if (p !== null && p.life === 'freed') return `${p.name} was freed while ${w.dev.name}->dpte[0x${a.toString(16)}] still maps it`;
    }
    return true;
  },
};

const rangeArgsInvariants = [observing(rangePairing((w: World) => w.mm), named('mm->mmu_notifier_mm'))];

/**
 * The fixed variants with one part of their fix removed, each with the violation that part
 * prevents (run by test/scenarios/mmu-notifier-sleeping-callbacks.test.ts). The other parts are
 * registry variants already: the SRCU read side (`rcu-buggy`), invalidate_page outside the PTL
 * (`under-ptl-buggy`) and before the last put (`outside-ptl-put-first`), range_end's saved
 * arguments (`range-args-buggy`).
 */
export const mutants: Readonly<Record<'srcu-no-synchronize' | 'outside-ptl-no-invalidate' | 'range-args-no-end', Variant<World>>> = {
  'srcu-no-synchronize': {
    summary: 'srcu-fixed without synchronize_srcu in unregister: the driver frees mn under the sleeping walk (mutant)',
    expect: { violated: 'use-after-free' },
    threads: { invalidate: zapRangeStart(srcuSide), unregister: unregisterAndFree(srcuSide, false) },
  },
  'outside-ptl-no-invalidate': {
    summary: 'outside-ptl-fixed without the invalidate_page call: the device keeps mapping the freed page (mutant)',
    expect: { violated: 'smmu-no-freed' },
    invariants: [deviceNoFreed],
    threads: { unmap: tryToUnmap('none') },
  },
  'range-args-no-end': {
    summary: 'range-args-fixed without invalidate_range_end: the range is never ended (mutant)',
    expect: { violated: 'range-not-ended' },
    invariants: rangeArgsInvariants,
    threads: { fallback: wpPageFallback(true, false) },
  },
};

export default defineScenario({
  id: 'mmu-notifier-sleeping-callbacks',
  title: 'mmu-notifier callbacks that sleep: under rcu_read_lock, under the PTL, and the start/end argument convention',
  commits: [
    '21a92735f6 mm: mmu_notifier: have mmu_notifiers use a global SRCU so they may safely schedule',
    '2ec74c3ef2 mm: move all mmu notifier invocations to be done outside the PT lock',
  ],
  setup: (): World => {
    const srcu = newSrcu('srcu');
    const mm = newMmuNotifierMm<Folio>('mm', srcuReadSide(srcu));
    const rcuUnreported = newRcu('rcu', { sleepIsQuiescent: true });
    const dev: Device = { name: 'dev', dpte: new Map(), sleepEnds: rcuUnreported };
    const page = newFolio('P', { ref: 2, mapcount: 1 });
    const pt = newPageTable<Folio>('pte');
    setPteAtSetup(pt, ADDR, page);
    dev.dpte.set(ADDR, page);
    return {
      srcu,
      rcu: newRcu('rcu'),
      rcuUnreported,
      mm,
      dev,
      mn: newDeviceNotifier(mm, dev),
      pt,
      page,
      hpt: newPageTable<Folio>('pte(huge)'),
      newPages: [newFolio('N0'), newFolio('N1')],
    };
  },
  variants: {
    'rcu-buggy': {
      summary: 'v3.6: the walk runs under rcu_read_lock(); the callback sleeps inside it',
      expect: { violated: 'sleep-in-atomic' },
      threads: { invalidate: zapRangeStart(rcuSide), unregister: unregisterAndFree(rcuSide) },
    },
    'rcu-buggy-unreported': {
      summary: 'v3.6 where the sleep goes unreported: it ends the RCU section, and unregister frees mn under the walk',
      expect: { violated: 'use-after-free' },
      threads: { invalidate: zapRangeStart(rcuUnreportedSide), unregister: unregisterAndFree(rcuUnreportedSide) },
    },
    'srcu-fixed': {
      summary: 'v3.7 (21a92735f6): the walk runs under the global SRCU; synchronize_srcu waits for the sleeper',
      expect: 'holds',
      threads: { invalidate: zapRangeStart(srcuSide), unregister: unregisterAndFree(srcuSide) },
    },
    'under-ptl-buggy': {
      summary: 'v3.6 try_to_unmap_one: invalidate_page called under the page-table lock',
      expect: { violated: 'sleep-in-atomic' },
      invariants: [deviceNoFreed],
      threads: { unmap: tryToUnmap('under-ptl') },
    },
    'outside-ptl-fixed': {
      summary: 'v3.7 (2ec74c3ef2): invalidate_page after pte_unmap_unlock, before the page can be freed',
      expect: 'holds',
      invariants: [deviceNoFreed],
      threads: { unmap: tryToUnmap('outside-ptl') },
    },
    'outside-ptl-put-first': {
      summary: 'a wrong fix: invalidate_page after the last put_page, so the device maps a freed page',
      expect: { violated: 'smmu-no-freed' },
      invariants: [deviceNoFreed],
      threads: { unmap: tryToUnmap('put-first') },
    },
    'range-args-buggy': {
      summary: '2ec74c3ef2 v1 do_huge_pmd_wp_page_fallback: range_end gets haddr after the loop advanced it',
      expect: { violated: 'range-pairing' },
      invariants: rangeArgsInvariants,
      threads: { fallback: wpPageFallback(false) },
    },
    'range-args-fixed': {
      summary: '2ec74c3ef2 as merged: range_start and range_end both get mmun_start, mmun_end',
      expect: 'holds',
      invariants: rangeArgsInvariants,
      threads: { fallback: wpPageFallback(true) },
    },
  },
});

/**
 * A secondary-MMU (KVM) page fault vs invalidate_range_start/end of the same address, v2.6.27 on.
 *
 * Commits:
 * - cddb8a5c14 "mmu-notifiers: core" (v2.6.27) states the rule for clients that do not pin pages:
 *   between invalidate_range_start and invalidate_range_end, pages of the range may be freed with no
 *   per-page callback, so a client must keep a counter raised over that window and must not map a
 *   page it got from get_user_pages while the counter is raised.
 * - KVM's implementation of the rule (virt/kvm/kvm_main.c, same release): range_start raises
 *   `mmu_notifier_count` and zaps under `mmu_lock`; range_end bumps `mmu_notifier_seq` and then
 *   lowers the count, under `mmu_lock`; the fault path samples the seq before get_user_pages and,
 *   under `mmu_lock`, gives up if `mmu_notifier_retry(kvm, mmu_seq)`: count raised or seq moved.
 *
 * Thread A is the vCPU's fault on guest address 0x1000 (tdp_page_fault): sample seq, gup the page,
 * take mmu_lock, test, map the spte, unlock, drop the gup reference; on a retry it faults again (up
 * to `attempts` times). Thread B unmaps [0x0, 0x2000) (zap_page_range): range_start, clear the PTE
 * under the PTL, free the page (the TLB batch frees it before range_end), range_end. The spte holds
 * no reference on the page: only the notifier protocol keeps it from outliving the page.
 *
 * Variants `no-retry`, `seq-only`, `count-only` and `fixed` differ only in the test A makes under
 * mmu_lock: none, seq only, count only, both. Variants `per-page-*` keep A's full test and make B
 * reclaim instead (try_to_unmap_one after 2ec74c3ef2: clear the PTE under the PTL, invalidate_page,
 * then shrink_page_list's last put_page), with KVM's invalidate_page bumping seq inside mmu_lock
 * (`per-page-fixed`) or after dropping it (`per-page-seq-outside-lock`, what KVM's comment on that
 * callback warns against).
 *
 * Each part of the fault path's fix is shown needed, by a variant or a mutant (`mutants`):
 * - the count test (`seq-only`; `no-count-test` declares the rule's own invariant,
 *   no-spte-in-active-range) and the seq test (`count-only`);
 * - mmu_seq sampled before get_user_pages (`seq-after-gup`: an invalidation that ends between gup
 *   and the sample moves seq before it is read);
 * - the test and mmu_set_spte in one mmu_lock section (`test-and-map-apart`; fused into one step,
 *   `test-and-map-apart-fused`, the two sections are a model error: a fused step may not drop
 *   and retake a lock);
 * - kvm_release_pfn_clean dropping the gup reference (`no-release-pfn`: reference-leak when the
 *   fault returns; the page would never be freed, so no spte could outlive it).
 * Retrying is harmless to leave out: a fault that gives up maps nothing (the vCPU faults again,
 * which is a new fault here), so no safety property depends on it; `attempts` bounds it.
 *
 * Choices:
 * - Each notifier call is one step declared on `kvm->mmu_lock`: the SRCU section and the list loads
 *   of the walk are private (nobody here synchronizes SRCU or changes the list), and KVM's callback
 *   is one mmu_lock section (models/secondary-mmu.ts).
 * - A's whole mmu_lock section (lock, test, map, unlock) is one step: every other access to the
 *   count, seq and sptes is itself one mmu_lock section, so none can fall inside it.
 * - B's PTL section (lock, ptep_clear_flush, unlock) is one step; rmap and mapcount play no part.
 * - invalidate_page keeps the callback's own steps (the walk's private steps folded into them), so
 *   that the seq bump after the unlock is a step of its own.
 * - A fault whose gup finds no PTE gives up: the real one would fault a new page in, which is not
 *   this race. A retry is a new fault from the start, as when the vCPU re-enters the guest; the bound
 *   `attempts` only limits how often A retries, and any failing schedule needs none.
 */
import { named, observing } from '../models/kit/ghost';
import { fuseBefore, fused, fusedAs } from '../models/kit/fused';
import { touch } from '../models/kit/lifetime';
import { folioPut, newFolio, pinPage, type Folio } from '../models/mm/folio';
import {
  firstNotifier,
  mmuNotifierInvalidateRangeEnd,
  mmuNotifierInvalidateRangeStart,
  newMmuNotifierMm,
  nextNotifier,
  srcuReadSide,
  type MmuNotifierMm,
} from '../models/mm/mmu-notifier';
import { followPte, hex, newPageTable, ptepClearFlush, setPteAtSetup, type PageTable, type Pte } from '../models/mm/pte';
import {
  kvmMapSpte,
  kvmNotifierState,
  kvmReadSeq,
  newKvm,
  noSpteInActiveRange,
  smmuNoFreed,
  type Kvm,
  type KvmNotifierState,
  type KvmOptions,
} from '../models/mm/secondary-mmu';
import { spinLock, spinUnlock } from '../models/spinlock';
import { newSrcu } from '../models/srcu';
import { defineScenario, type Expectation, type Steps, type Variant } from '../src/index';

const ADDR = 0x1000;
const RANGE_START = 0x0;
const RANGE_END = 0x2000;

/** One mm with its VM, page table and page. */
interface Machine {
  readonly mm: MmuNotifierMm<Folio>;
  readonly kvm: Kvm;
  readonly pt: PageTable<Folio>;
  readonly page: Folio;
  /** How many times A may fault (parameter `attempts`). */
  readonly attempts: number;
}

/**
 * One machine per invalidator setup, since a VM's callbacks and a page's references are fixed when
 * the world is built, before the variant is known; each variant's threads use one machine.
 * Their objects share names; that only merges objects that no variant uses together.
 */
interface World {
  /** B unmaps through range_start/end; P has the mapping's reference only. */
  readonly range: Machine;
  /** B is reclaim through invalidate_page; P also has reclaim's isolation reference. */
  readonly perPage: Machine;
  /** As `perPage`, with a VM whose invalidate_page bumps seq after dropping mmu_lock. */
  readonly perPageSeqOutside: Machine;
}

type MachineName = keyof World;

// ---- A: the vCPU's page fault, with each era's test under mmu_lock ---------------------------

/** What the fault path tests under mmu_lock: true means "an invalidation interfered, retry". */
type RetryTest = (state: KvmNotifierState, mmuSeq: number) => boolean;

const noTest: RetryTest = () => false;
const seqOnly: RetryTest = (s, mmuSeq) => s.seq !== mmuSeq;
const countOnly: RetryTest = (s) => s.count !== 0;
/** mmu_notifier_retry(kvm, mmu_seq). */
const countAndSeq: RetryTest = (s, mmuSeq) => s.count !== 0 || s.seq !== mmuSeq;

/** The parts of the fault path's fix besides the test itself, which a mutant may get wrong. */
interface FaultParts {
  /** mmu_seq is sampled before get_user_pages (true), or after it. */
  readonly seqBeforeGup: boolean;
  /**
   * The test and the spte install are one mmu_lock section (`one`), two sections as two steps
   * (`two`), or two sections fused into one step (`two-fused`: what the run-time check of fused
   * steps rejects as a model error).
   */
  readonly sections: 'one' | 'two' | 'two-fused';
  /** kvm_release_pfn_clean() drops the gup reference once the spte is installed (or not). */
  readonly releasePfn: boolean;
}

const FIXED_PARTS: FaultParts = { seqBeforeGup: true, sections: 'one', releasePfn: true };

function kvmPageFault(retry: RetryTest, parts: FaultParts = FIXED_PARTS) {
  return function* (w: Machine): Steps {
    for (let attempt = 0; attempt < w.attempts; attempt++) {
      let mmuSeq = parts.seqBeforeGup ? yield* kvmReadSeq(w.kvm) : 0;
      const page = yield* getUserPage(w);
      if (page === null) return;
      if (!parts.seqBeforeGup) mmuSeq = yield* kvmReadSeq(w.kvm);
      const mapped =
        parts.sections === 'one'
          ? yield* fused(() => mapUnlessRetry(w, retry, mmuSeq, page))
          : parts.sections === 'two'
            ? (yield* fused(() => testRetry(w, retry, mmuSeq))) && (yield* fused(() => mapSpte(w, page)))
            : yield* fused(function* () {
                return (yield* testRetry(w, retry, mmuSeq)) && (yield* mapSpte(w, page));
              });
      if (parts.releasePfn) yield* folioPut(page, `kvm_release_pfn_clean(${page.name})`);
      if (mapped) return;
    }
  };
}

/** The test alone in an mmu_lock section: true when the fault may map. */
function* testRetry(w: Machine, retry: RetryTest, mmuSeq: number): Steps<boolean> {
  yield* spinLock(w.kvm.mmuLock);
  const state = yield* kvmNotifierState(w.kvm);
  yield* spinUnlock(w.kvm.mmuLock);
  return !retry(state, mmuSeq);
}

/** The spte install alone in an mmu_lock section. */
function* mapSpte(w: Machine, page: Folio): Steps<boolean> {
  yield* spinLock(w.kvm.mmuLock);
  const mapped = yield* kvmMapSpte(w.kvm, ADDR, page);
  yield* spinUnlock(w.kvm.mmuLock);
  return mapped;
}

/** get_user_pages(addr): the page the PTE maps, with a reference taken under the PTL. */
function getUserPage(w: Machine): Steps<Folio | null> {
  return followPte(w.pt, ADDR, (page, self) => pinPage(page, self, `get_user_pages(${hex(ADDR)}): get_page(${page.name})`));
}

/** spin_lock(mmu_lock); if (retry) goto out_unlock; map the spte; out_unlock: spin_unlock(mmu_lock). */
function* mapUnlessRetry(w: Machine, retry: RetryTest, mmuSeq: number, page: Folio): Steps<boolean> {
  yield* spinLock(w.kvm.mmuLock);
  const state = yield* kvmNotifierState(w.kvm);
  const mapped = !retry(state, mmuSeq) && (yield* kvmMapSpte(w.kvm, ADDR, page));
  yield* spinUnlock(w.kvm.mmuLock);
  return mapped;
}

// ---- B: zap_page_range() over [0x0, 0x2000) ---------------------------------------------------

function* zapPageRange(w: Machine): Steps {
  yield* kvmNotifierCall(w, () => mmuNotifierInvalidateRangeStart(w.mm, RANGE_START, RANGE_END));
  const old = yield* fused(() => clearPte(w.pt));
  if (old !== null) yield* folioPut(old.page, `free_pages_and_swap_cache(${old.page.name}) [tlb batch full]`);
  yield* kvmNotifierCall(w, () => mmuNotifierInvalidateRangeEnd(w.mm, RANGE_START, RANGE_END));
}

/** pte_offset_map_lock(); ptep_get_and_clear(); pte_unmap_unlock(). */
function* clearPte(pt: PageTable<Folio>): Steps<Pte<Folio>> {
  yield* spinLock(pt.ptl);
  const old = yield* ptepClearFlush(pt, ADDR);
  yield* spinUnlock(pt.ptl);
  return old;
}

// ---- B': try_to_unmap_one() (v3.7, after 2ec74c3ef2) and shrink_page_list()'s last put_page -----

function* tryToUnmapOne(w: Machine): Steps {
  const { pt, page } = w;
  // why the put is a step of its own (still under the PTL): A's get and put of P touch P too, and
  // a fused step may touch only one object another thread sees (the footprint audit found it)
  yield* fused(() => spinLock(pt.ptl), () => ptepClearFlush(pt, ADDR));
  yield* folioPut(page, `page_cache_release(${page.name}) [the mapping's reference]`);
  yield* spinUnlock(pt.ptl);
  yield* callbackSteps(w, () => w.kvm.notifier.ops.invalidatePage!(w.kvm.notifier, w.mm, ADDR));
  yield* folioPut(page, `put_page(${page.name}) [shrink_page_list: last reference]`);
}

/**
 * mmu_notifier_invalidate_page() with the walk's private steps folded into the callback's first
 * step (SRCU entry, first list load), so that the callback keeps its own steps (one VM here). The
 * walk's end (next list load, SRCU exit) is a step of its own: folded into a callback step that
 * writes KVM's state outside mmu_lock (the late seq bump), it would be a second shared object.
 */
function* callbackSteps(w: Machine, callback: () => Steps<void>): Steps<void> {
  const readSide = w.mm.readSide!;
  const mn = w.kvm.notifier;
  let token = 0;
  yield* fuseBefore(function* () {
    token = yield* readSide.lock();
    yield* firstNotifier(w.mm);
  }, callback);
  yield* fused(() => nextNotifier(mn), () => readSide.unlock(token));
}

/**
 * One notifier call as one step on kvm->mmu_lock (see Choices); it also writes the mm's
 * range-pairing books, which A's mmu_set_spte reads, and reads the notifier list.
 */
function kvmNotifierCall(w: Machine, call: () => Steps<void>): Steps<void> {
  return fusedAs({ object: w.kvm.mmuLock, access: 'write', alsoTouches: [touch(w.mm, 'write'), touch(w.mm.list, 'read')] }, call);
}

// ---- the variants --------------------------------------------------------------------------------

function newMachine(attempts: number, pageRefs: number, options: KvmOptions = {}): Machine {
  const mm = newMmuNotifierMm<Folio>('mm', srcuReadSide(newSrcu('srcu')));
  const kvm = newKvm(mm, 'kvm', options);
  const page = newFolio('P', { ref: pageRefs, mapcount: 1 });
  const pt = newPageTable<Folio>('pte');
  setPteAtSetup(pt, ADDR, page);
  return { mm, kvm, pt, page, attempts };
}

/** A variant whose threads and invariants use machine `m`. */
function variant(m: MachineName, summary: string, expect: Expectation, retry: RetryTest, invalidator: (w: Machine) => Steps, parts: FaultParts = FIXED_PARTS): Variant<World> {
  return {
    summary,
    expect,
    // why these: the spte map and its ghost books are changed under, and declared as, kvm->mmu_lock
    invariants: [
      observing(smmuNoFreed((w: World) => w[m].kvm), named('kvm', 'kvm->mmu_lock', 'ptl(pte)', 'P')),
      observing(noSpteInActiveRange((w: World) => w[m].kvm), named('kvm', 'kvm->mmu_lock')),
    ],
    threads: { fault: (w: World) => kvmPageFault(retry, parts)(w[m]), invalidate: (w: World) => invalidator(w[m]) },
  };
}

const SMMU_NO_FREED: Expectation = { violated: 'smmu-no-freed' };

type MutantName = 'no-count-test' | 'seq-after-gup' | 'test-and-map-apart' | 'test-and-map-apart-fused' | 'no-release-pfn';

/**
 * The fixed variant with one part of its fix removed (see the header; run by
 * test/scenarios/secondary-mmu-fault-vs-invalidate.test.ts). `test-and-map-apart-fused` is not a
 * kernel mutant but the way fused() used to hide `test-and-map-apart`: it is a model error now.
 */
export const mutants: Readonly<Record<MutantName, Variant<World>>> = {
  'no-count-test': variant('range', 'fixed without the mmu_notifier_count test: the fault maps inside the open range (mutant)', { violated: 'no-spte-in-active-range' }, seqOnly, zapPageRange),
  'seq-after-gup': variant('range', 'fixed with mmu_seq sampled after get_user_pages: a whole invalidation between gup and the sample goes unseen (mutant)', SMMU_NO_FREED, countAndSeq, zapPageRange, { ...FIXED_PARTS, seqBeforeGup: false }),
  'test-and-map-apart': variant('range', 'fixed with the retry test and the spte install in two mmu_lock sections (mutant)', SMMU_NO_FREED, countAndSeq, zapPageRange, { ...FIXED_PARTS, sections: 'two' }),
  'test-and-map-apart-fused': variant('range', 'the two sections of test-and-map-apart fused into one step (a model error)', SMMU_NO_FREED, countAndSeq, zapPageRange, { ...FIXED_PARTS, sections: 'two-fused' }),
  'no-release-pfn': variant('range', 'fixed without kvm_release_pfn_clean: the gup reference is never dropped (mutant)', { violated: 'reference-leak' }, countAndSeq, zapPageRange, { ...FIXED_PARTS, releasePfn: false }),
};

export default defineScenario({
  id: 'secondary-mmu-fault-vs-invalidate',
  title: 'KVM page fault vs invalidate_range_start/end: mmu_notifier_count and mmu_notifier_seq both needed',
  commits: ['cddb8a5c14 mmu-notifiers: core (the rule, and KVM\'s mmu_notifier_count / mmu_notifier_seq)'],
  params: { attempts: 2 },
  setup: ({ attempts }): World => ({
    range: newMachine(attempts, 1),
    perPage: newMachine(attempts, 2),
    perPageSeqOutside: newMachine(attempts, 2, { seqBumpOutsideLock: true }),
  }),
  variants: {
    'no-retry': variant(
      'range',
      'a client that zaps in its callbacks but maps whatever gup returned (the rule ignored)',
      SMMU_NO_FREED,
      noTest,
      zapPageRange,
    ),
    'seq-only': variant(
      'range',
      'tests mmu_notifier_seq only: a fault inside an open range sees no change (seq moves at end)',
      SMMU_NO_FREED,
      seqOnly,
      zapPageRange,
    ),
    'count-only': variant(
      'range',
      'tests mmu_notifier_count only: a whole invalidation between gup and the test goes unseen',
      SMMU_NO_FREED,
      countOnly,
      zapPageRange,
    ),
    fixed: variant('range', 'v2.6.27 KVM: mmu_notifier_retry() tests count and seq under mmu_lock', 'holds', countAndSeq, zapPageRange),
    'per-page-seq-outside-lock': variant(
      'perPageSeqOutside',
      'reclaim via invalidate_page, whose seq bump comes after spin_unlock(mmu_lock): a fault tests the old seq',
      SMMU_NO_FREED,
      countAndSeq,
      tryToUnmapOne,
    ),
    'per-page-fixed': variant(
      'perPage',
      'reclaim via invalidate_page, seq bumped inside mmu_lock as KVM does',
      'holds',
      countAndSeq,
      tryToUnmapOne,
    ),
  },
});

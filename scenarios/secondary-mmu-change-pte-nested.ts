/**
 * change_pte inside nested invalidations: KSM replaces a page while munmap invalidates the same
 * address, v3.7 on (races.md S6b, EXTENDED).
 *
 * Commits:
 * - 828502d300 "ksm: add mmu_notifier set_pte_at_notify()" (v2.6.32): KSM's replace_page() tells the
 *   secondary MMU the new PFN through ->change_pte, so KVM can map the KSM page without a fault.
 * - 6bdb913f0a "mm: wrap calls to set_pte_at_notify with invalidate_range_start and
 *   invalidate_range_end" (v3.7-rc1): every change_pte now sits inside a start/end bracket, and
 *   "clients implementing change_pte should not take action on it in case the number of outstanding
 *   invalidate_range_start calls is larger than one, otherwise they might miss a later
 *   invalidation."
 *
 * Thread A is KSM's replace_page(P → Q) at 0x1000 (range_start; under the PTL: pte_same test,
 * get_page(Q) and page_add_anon_rmap(Q), set_pte_at_notify, page_remove_rmap(P) and put_page(P);
 * range_end), then its callers' puts: cmp_and_merge_page drops the stable-tree lookup's reference on
 * Q, ksm_do_scan the scan's follow_page reference on P (mm/ksm.c). Thread B is munmap's zap of
 * [0x0, 0x2000) (range_start; clear the PTE and page_remove_rmap under the PTL; free the page it
 * mapped; range_end). The VM maps P at 0x1000 when they start; the spte holds no reference. The
 * variants differ only in what KVM's change_pte does with an address it has no spte for: `create`
 * maps it anyway (what 6bdb913f0a warns about), `create-unless-nested` maps it only
 * when its own start is the one outstanding (the rule), `rewrite` never creates one (3.x x86 KVM
 * only rewrites sptes it finds through its rmap, and A's own start already zapped them;
 * races.md marks this reading unverified).
 *
 * Each part is shown needed, by a variant or a mutant (`mutants`): the client's count test
 * (`buggy`); 6bdb913f0a's bracket around set_pte_at_notify (`unbracketed`: the client's own rule
 * then mistakes munmap's range for its caller's and maps Q inside it); replace_page's pte_same
 * re-check under the PTL (`no-pte-same`: replacing a PTE munmap already cleared removes P's rmap a
 * second time, and the mapping's reference with it). `shared-kpage` is `buggy` with Q also mapped
 * elsewhere, so that nothing frees it: the missed invalidation shows as an spte that maps what the
 * PTE no longer does (spte-matches-pte), the commit's own words.
 *
 * Choices:
 * - Each notifier call is one step declared on `kvm->mmu_lock` (the SRCU section and list loads
 *   are private: nobody here synchronizes SRCU or changes the list).
 * - The PTE and the pages' references under the PTL are ordered by the PTL: A's lock+test step and
 *   B's whole PTL section declare it. get_page(Q) with Q's rmap, and put_page(P) with P's, stay
 *   steps of their own. The reference get_page(Q) takes is the new PTE's (`keptBy`), so it is no
 *   leak of A's; P's and Q's other references are there when the threads start.
 * - `spte-matches-pte` states what "miss a later invalidation" means: once no invalidation is
 *   outstanding (count 0), every spte maps what the primary PTE maps.
 */
import { named, observing } from '../models/kit/ghost';
import { fused, fusedAs } from '../models/kit/fused';
import { touch } from '../models/kit/lifetime';
import { folioAddMapcount, folioGet, folioPut, newFolio, type Folio } from '../models/mm/folio';
import {
  mmuNotifierChangePte,
  mmuNotifierInvalidateRangeEnd,
  mmuNotifierInvalidateRangeStart,
  newMmuNotifierMm,
  srcuReadSide,
  type MmuNotifierMm,
} from '../models/mm/mmu-notifier';
import { newPageTable, pteOf, ptepClearFlush, ptepGet, setPteAt, setPteAtSetup, type PageTable, type Pte } from '../models/mm/pte';
import { mappedSptes, newKvm, setSpteAtSetup, smmuNoFreed, type Kvm, type KvmOptions } from '../models/mm/secondary-mmu';
import { spinLock, spinUnlock } from '../models/spinlock';
import { newSrcu } from '../models/srcu';
import { defineScenario, type Expectation, type Invariant, type Steps, type Variant } from '../src/index';

const ADDR = 0x1000;
const PAGE_SIZE = 0x1000;

/** What KVM's change_pte does with an address it has no spte for (one per variant). */
type ChangePteMode = NonNullable<KvmOptions['changePte']>;

/** One mm with its VM, page table and pages. */
interface Machine {
  readonly mm: MmuNotifierMm<Folio>;
  readonly kvm: Kvm;
  readonly pt: PageTable<Folio>;
  /** The anonymous page mapped at ADDR. */
  readonly page: Folio;
  /** The KSM page that replaces it. */
  readonly kpage: Folio;
}

/**
 * One machine per change_pte behaviour, since the VM's behaviour is fixed when it is built and a
 * world is built before the variant is known; each variant's threads use one, the others stay idle.
 * Their objects share names; that only merges objects that no variant uses together.
 */
type World = Readonly<Record<ChangePteMode | 'create-shared-kpage', Machine>>;

/** Which machine of the world a variant uses. */
type MachineName = keyof World;

// ---- A: replace_page() (mm/ksm.c, v3.7) and its callers' puts -----------------------------------

/** The parts of replace_page a mutant may leave out. */
interface ReplaceParts {
  /** if (!pte_same(*ptep, orig_pte)) goto out_mn; — under the PTL. */
  readonly pteSame: boolean;
  /** 6bdb913f0a: invalidate_range_start/end around the PTL section. */
  readonly bracket: boolean;
}

const REPLACE_PAGE: ReplaceParts = { pteSame: true, bracket: true };

function replacePage(parts: ReplaceParts) {
  return function* (w: Machine): Steps {
    const { mm, pt, page, kpage } = w;
    const mmunStart = ADDR;
    const mmunEnd = ADDR + PAGE_SIZE;
    if (parts.bracket) yield* notifierCall(w, () => mmuNotifierInvalidateRangeStart(mm, mmunStart, mmunEnd));
    const orig = yield* fused(() => spinLock(pt.ptl), () => ptepGet(pt, ADDR));
    if (parts.pteSame && (orig === null || orig.page !== page)) {
      yield* spinUnlock(pt.ptl); // !pte_same(): someone changed the PTE since KSM looked; give up
    } else {
      yield* fused(
        () => folioGet(kpage, `get_page(${kpage.name}) [kpage]`, { keptBy: 'the PTE set_pte_at_notify installs' }),
        () => folioAddMapcount(kpage, 1, `page_add_anon_rmap(${kpage.name})`),
      );
      // set_pte_at_notify(): change_pte first, then the primary PTE
      yield* notifierCall(w, () => mmuNotifierChangePte(mm, ADDR, kpage));
      yield* fused(() => ptepClearFlush(pt, ADDR), () => setPteAt(pt, ADDR, { page: kpage, writable: false }));
      yield* fusedAs(
        { object: pt.ptl, access: 'release' },
        () => folioAddMapcount(page, -1, `page_remove_rmap(${page.name})`),
        () => folioPut(page, `put_page(${page.name}) [old page: the mapping's reference]`),
        () => spinUnlock(pt.ptl),
      );
    }
    if (parts.bracket) yield* notifierCall(w, () => mmuNotifierInvalidateRangeEnd(mm, mmunStart, mmunEnd));
    yield* folioPut(kpage, `put_page(${kpage.name}) [cmp_and_merge_page: the stable tree lookup's reference]`);
    yield* folioPut(page, `put_page(${page.name}) [ksm_do_scan: follow_page's reference]`);
  };
}

// ---- B: zap_page_range() over [0x0, 0x2000) (munmap) --------------------------------------------

function* zapPageRange(w: Machine): Steps {
  yield* notifierCall(w, () => mmuNotifierInvalidateRangeStart(w.mm, 0x0, 0x2000));
  const old = yield* fused(() => clearPte(w.pt));
  if (old !== null) yield* folioPut(old.page, `free_pages_and_swap_cache(${old.page.name})`);
  yield* notifierCall(w, () => mmuNotifierInvalidateRangeEnd(w.mm, 0x0, 0x2000));
}

/** zap_pte_range(): pte_offset_map_lock(); ptep_get_and_clear(); page_remove_rmap(); pte_unmap_unlock(). */
function* clearPte(pt: PageTable<Folio>): Steps<Pte<Folio>> {
  yield* spinLock(pt.ptl);
  const old = yield* ptepClearFlush(pt, ADDR);
  if (old !== null) yield* folioAddMapcount(old.page, -1, `page_remove_rmap(${old.page.name})`);
  yield* spinUnlock(pt.ptl);
  return old;
}

/** One notifier call as one step on kvm->mmu_lock (see Choices), writing the mm's range books and reading the list. */
function notifierCall(w: Machine, call: () => Steps<void>): Steps<void> {
  return fusedAs({ object: w.kvm.mmuLock, access: 'write', alsoTouches: [touch(w.mm, 'write'), touch(w.mm.list, 'read')] }, call);
}

// ---- invariants ---------------------------------------------------------------------------------

function spteMatchesPte(mode: MachineName): Invariant<World> {
  return {
    id: 'spte-matches-pte',
    description: 'with no invalidation outstanding, every spte maps the page the primary PTE maps',
    // why these: kvm's count and sptes change under, and are declared as, kvm->mmu_lock; fused PTL
    // sections that change the PTE or put a page declare only ptl(pte)
    observes: named('kvm', 'kvm->mmu_lock', 'pte', 'ptl(pte)', 'P', 'Q'),
    check: (world) => {
      const { kvm, pt } = world[mode];
      if (kvm.count !== 0) return true;
      for (const [a, p] of mappedSptes(kvm)) {
        const pte = pteOf(pt, a);
        if (pte === null || pte.page !== p) {
          return `${kvm.name} spte[0x${a.toString(16)}] maps ${p.name} but the PTE maps ${pte === null ? 'nothing' : pte.page.name}`;
        }
      }
      return true;
    },
  };
}

function newMachine(changePte: ChangePteMode, kpageSharedElsewhere = false): Machine {
  const mm = newMmuNotifierMm<Folio>('mm', srcuReadSide(newSrcu('srcu')));
  const kvm = newKvm(mm, 'kvm', { changePte });
  // P: the mapping's reference and the one KSM's scan took (follow_page FOLL_GET); Q: the one the
  // stable-tree lookup took (get_ksm_page), and no mapping in this mm yet
  const page = newFolio('P', { ref: 2, mapcount: 1 });
  // (with `kpageSharedElsewhere`, Q is also mapped by another mm: that mapping's reference too)
  const kpage = kpageSharedElsewhere ? newFolio('Q', { ref: 2, mapcount: 1 }) : newFolio('Q', { ref: 1 });
  const pt = newPageTable<Folio>('pte');
  setPteAtSetup(pt, ADDR, page);
  setSpteAtSetup(kvm, ADDR, page);
  return { mm, kvm, pt, page, kpage };
}

/** The variant whose VM's change_pte behaves as `mode`. */
function variant(mode: MachineName, summary: string, expect: Expectation, parts: ReplaceParts = REPLACE_PAGE): Variant<World> {
  return {
    summary,
    expect,
    invariants: [observing(smmuNoFreed((w: World) => w[mode].kvm), named('kvm', 'kvm->mmu_lock', 'ptl(pte)', 'P', 'Q')), spteMatchesPte(mode)],
    threads: {
      ksm: (w: World) => replacePage(parts)(w[mode]),
      munmap: (w: World) => zapPageRange(w[mode]),
    },
  };
}

/**
 * The fixed variant with one part of the fix (or of replace_page's own safety) removed (see the
 * header; run by test/scenarios/secondary-mmu-change-pte-nested.test.ts).
 */
export const mutants: Readonly<Record<'no-pte-same' | 'unbracketed' | 'shared-kpage', Variant<World>>> = {
  'no-pte-same': variant(
    'create-unless-nested',
    'fixed, with replace_page not re-checking pte_same under the PTL: it replaces a PTE munmap already cleared (mutant)',
    { violated: 'bug-on' },
    { ...REPLACE_PAGE, pteSame: false },
  ),
  unbracketed: variant(
    'create-unless-nested',
    'fixed client, replace_page without 6bdb913f0a\'s invalidate_range_start/end around set_pte_at_notify (mutant)',
    { violated: 'smmu-no-freed' },
    { ...REPLACE_PAGE, bracket: false },
  ),
  'shared-kpage': variant(
    'create-shared-kpage',
    "buggy's client with Q also mapped by another mm: Q outlives munmap, and the spte keeps mapping it after munmap's invalidation ended",
    { violated: 'spte-matches-pte' },
  ),
};

export default defineScenario({
  id: 'secondary-mmu-change-pte-nested',
  title: 'change_pte inside nested invalidate_range_start/end: a client that maps from it misses the outer invalidation',
  commits: [
    '828502d300 ksm: add mmu_notifier set_pte_at_notify()',
    '6bdb913f0a mm: wrap calls to set_pte_at_notify with invalidate_range_start and invalidate_range_end',
  ],
  setup: (): World => ({
    create: newMachine('create'),
    'create-unless-nested': newMachine('create-unless-nested'),
    rewrite: newMachine('rewrite'),
    'create-shared-kpage': newMachine('create', true),
  }),
  variants: {
    buggy: variant('create', 'a client whose change_pte creates the spte even inside another invalidation', {
      violated: 'smmu-no-freed',
    }),
    fixed: variant(
      'create-unless-nested',
      "6bdb913f0a's rule: change_pte creates an spte only when its own range_start is the only one outstanding",
      'holds',
    ),
    'rewrite-only': variant('rewrite', '3.x x86 KVM: change_pte only rewrites sptes it finds, so it never creates one', 'holds'),
  },
});

/**
 * The PMD level and the PTE tables under it: a PMD entry is none, TABLE(pt) or HUGE(page); a PTE
 * table (pgtable_t, one struct page) has PTE slots, its own split PTL (pte_lockptr), and a life:
 * attached (a PMD points at it), detached (pmdp_collapse_flush took it out), deposited (kept in
 * the PMD's deposit list under a huge PMD, pgtable_trans_huge_deposit) or freed (pte_free).
 *
 * Kernel semantics kept:
 * - PMD writers hold pmd_lock; PTE writers hold the table's PTL (lockdep_assert_held → bug-on).
 *   Readers may read either level without a lock (the fault path's pmdp_get_lockless and
 *   orig_pte, gup-fast).
 * - Reading or writing a PTE of a freed table is a use after free.
 * - Writing a PTE into a table that no PMD points at is legal C but loses the write (or resurrects
 *   it when a deposited table is withdrawn on split); the table records such writes in the ghost
 *   `strayWrites` for INV-PT-ATTACHED.
 *
 * Choices:
 * - A PTE slot holds the page, its write permission and its young (accessed) bit; dirty and the
 *   rest of the PTE bits are left out until a scenario needs them.
 * - Ops on a table's slots declare the table as object; its PTL is a separate lock object; ops on a
 *   PMD entry or its deposit list declare the PMD, and also write the tables whose state they change
 *   (the one linked or deposited; for pmdp_collapse_flush, every table ever linked to the PMD,
 *   since which one it detaches is known only when it runs).
 */
import { bugOn, perform, type SharedObject, type Steps, type ThreadContext } from '../../src/index';
import type { Folio } from './folio';
import { assertLive, freeObject, mortal, touch, type Mortal, type Touch } from '../kit/lifetime';
import {
  newPmdLock,
  newPtl,
  pmdLock as lockPmdPtl,
  pmdUnlock as unlockPmdPtl,
  ptlLock,
  ptlLockNested,
  ptlUnlock,
  type PageTableLock,
} from './ptl';

/** A present PTE; `null` is pte_none(). `name` is how it reads in traces: `pte(page0, rw, young)`. */
export interface PresentPte {
  readonly name: string;
  readonly page: Folio;
  readonly writable: boolean;
  readonly young: boolean;
}
export type PteVal = PresentPte | null;

/** mk_pte(page, prot): a present PTE, writable and young unless said otherwise. */
export function mkPte(page: Folio, bits: { readonly writable?: boolean; readonly young?: boolean } = {}): PresentPte {
  const writable = bits.writable ?? true;
  const young = bits.young ?? true;
  return { name: `pte(${page.name}, ${writable ? 'rw' : 'ro'}${young ? ', young' : ''})`, page, writable, young };
}

export type PtState = 'attached' | 'detached' | 'deposited' | 'freed';

/** A PTE table (pgtable_t). */
export interface PteTable extends Mortal {
  state: PtState;
  /** The split page-table lock (ptlock_ptr(page)). */
  readonly ptl: PageTableLock;
  // invariant: slots only change in steps whose thread holds ptl (or at setup)
  readonly slots: PteVal[];
  /** Ghost: PTE writes made while the table was not attached, in kernel terms. */
  readonly strayWrites: string[];
}

/** A PMD entry's value; `name` is how it reads in traces: `none`, `TABLE(pt1)`, `HUGE(hpage)`. */
export type PmdVal =
  | { readonly kind: 'none'; readonly name: string }
  | { readonly kind: 'table'; readonly name: string; readonly pt: PteTable }
  | { readonly kind: 'huge'; readonly name: string; readonly page: Folio };

export const PMD_NONE: PmdVal = { kind: 'none', name: 'none' };

/** pmd_populate's value: the PMD points at a PTE table. */
export function pmdTable(pt: PteTable): PmdVal {
  return { kind: 'table', name: `TABLE(${pt.name})`, pt };
}

/** mk_huge_pmd(page): the PMD maps a huge page. */
export function pmdHuge(page: Folio): PmdVal {
  return { kind: 'huge', name: `HUGE(${page.name})`, page };
}

/** One PMD entry with its lock and the deposit list of page tables kept for a later split. */
export interface Pmd extends SharedObject {
  val: PmdVal;
  /** pmd_lock(mm, pmd): mm->page_table_lock or the split PMD lock. */
  readonly lock: PageTableLock;
  readonly deposited: PteTable[];
}

/** A PTE table with `slots` empty entries, detached until a PMD points at it. */
export function newPteTable(name: string, slots: number): PteTable {
  return {
    name,
    ...mortal(),
    state: 'detached',
    ptl: newPtl(name),
    slots: Array.from({ length: slots }, () => null),
    strayWrites: [],
  };
}

/** A PMD entry as it stands when the threads start; a table it points at becomes attached. */
export function newPmd(name: string, val: PmdVal = PMD_NONE): Pmd {
  if (val.kind === 'table') val.pt.state = 'attached';
  const pmd: Pmd = { name, val, lock: newPmdLock(name), deposited: [] };
  if (val.kind === 'table') noteLinked(pmd, val.pt);
  return pmd;
}

// Declarations only: the tables each PMD has pointed at or kept, as writes. Grows when a step
// links another one (that step writes the PMD, so it conflicts with every reader of the list).
const linkedTables = new WeakMap<Pmd, Touch[]>();

function linkedTo(pmd: Pmd): Touch[] {
  let t = linkedTables.get(pmd);
  if (t === undefined) linkedTables.set(pmd, (t = []));
  return t;
}

function noteLinked(pmd: Pmd, pt: PteTable): void {
  const t = linkedTo(pmd);
  if (!t.some((x) => x.object === pt)) t.push(touch(pt, 'write'));
}

/** `TABLE(pt1)`, `HUGE(hpage)`, `none`: how a PMD value reads in traces and messages. */
export function describePmd(v: PmdVal): string {
  return v.name;
}

function assertHeld(l: PageTableLock, self: ThreadContext, what: string): void {
  bugOn(l.owner !== self, `lockdep_assert_held(&${l.name}) failed in ${what}`);
}

// ---- PMD level --------------------------------------------------------------------------------

/** pmd_lock(mm, pmd). */
export function* pmdLock(pmd: Pmd): Steps<void> {
  yield* lockPmdPtl(pmd.lock);
}

export function* pmdUnlock(pmd: Pmd): Steps<void> {
  yield* unlockPmdPtl(pmd.lock);
}

/** pmdp_get_lockless / READ_ONCE(*pmd): one read, no lock needed. */
export function* pmdRead(pmd: Pmd, label = `pmdp_get_lockless(${pmd.name})`): Steps<PmdVal> {
  return yield* perform({ object: pmd, access: 'read', label, run: () => pmd.val });
}

/**
 * One write of the PMD entry under pmd_lock; `effect` updates the tables it links or unlinks, which
 * `tables` declares.
 */
function* pmdWrite<R>(pmd: Pmd, label: string, tables: readonly Touch[] | undefined, effect: (self: ThreadContext) => R): Steps<R> {
  return yield* perform({
    object: pmd,
    access: 'write',
    label,
    alsoTouches: tables,
    run: (self) => {
      assertHeld(pmd.lock, self, label);
      return effect(self);
    },
  });
}

/** pmdp_collapse_flush: clear the PMD (and flush the TLB); its table becomes detached. Returns the old value. */
export function* pmdpCollapseFlush(pmd: Pmd): Steps<PmdVal> {
  return yield* pmdWrite(pmd, `pmdp_collapse_flush(${pmd.name})`, linkedTo(pmd), () => {
    const old = pmd.val;
    if (old.kind === 'table') old.pt.state = 'detached';
    pmd.val = PMD_NONE;
    return old;
  });
}

/** pmd_populate: point the PMD at a table (collapse failure path, split). */
export function* pmdPopulate(pmd: Pmd, pt: PteTable): Steps<void> {
  yield* pmdWrite(pmd, `pmd_populate(${pmd.name}, ${pt.name})`, [touch(pt, 'write')], (self) => {
    assertLive(pt, self, `pmd_populate(${pmd.name}, ${pt.name})`);
    noteLinked(pmd, pt);
    pmd.val = pmdTable(pt);
    pt.state = 'attached';
  });
}

/** pgtable_trans_huge_deposit: keep a detached table for a later split of the huge PMD. */
export function* pgtableDeposit(pmd: Pmd, pt: PteTable): Steps<void> {
  const label = `pgtable_trans_huge_deposit(${pmd.name}, ${pt.name})`;
  yield* pmdWrite(pmd, label, [touch(pt, 'write')], (self) => {
    assertLive(pt, self, label);
    noteLinked(pmd, pt);
    pmd.deposited.push(pt);
    pt.state = 'deposited';
  });
}

/** set_pmd_at(…, mk_huge_pmd(page)): map a huge page with the PMD. */
export function* setHugePmd(pmd: Pmd, page: Folio): Steps<void> {
  yield* pmdWrite(pmd, `set_pmd_at(${pmd.name}, HUGE(${page.name}))`, undefined, () => {
    pmd.val = pmdHuge(page);
  });
}

/** pte_free: the table's struct page goes back to the allocator. It must not be attached. */
export function* pteFree(pt: PteTable): Steps<void> {
  const label = `pte_free(${pt.name})`;
  yield* perform<void>({
    object: pt,
    access: 'write',
    label,
    run: (self) => {
      bugOn(pt.state === 'attached', `${label}: ${pt.name} is still attached to a PMD`);
      freeObject(pt, self, label);
      pt.state = 'freed';
    },
  });
}

// ---- PTE level --------------------------------------------------------------------------------

/** spin_lock(pte_lockptr(mm, pmd)), as pte_offset_map_lock takes it. */
export function* pteLock(pt: PteTable): Steps<void> {
  yield* ptlLock(pt.ptl);
}

/** spin_lock_nested(ptl, SINGLE_DEPTH_NESTING): a second PTL while one is held. */
export function* pteLockNested(pt: PteTable): Steps<void> {
  yield* ptlLockNested(pt.ptl);
}

export function* pteUnlock(pt: PteTable): Steps<void> {
  yield* ptlUnlock(pt.ptl);
}

/** ptep_get: one read of a PTE, with or without the PTL. */
export function* pteRead(pt: PteTable, i: number, label = `ptep_get(${pt.name}[${i}])`): Steps<PteVal> {
  return yield* perform({
    object: pt,
    access: 'read',
    label,
    run: (self) => {
      assertLive(pt, self, label);
      return pt.slots[i] ?? null;
    },
  });
}

/**
 * One write step on a table under its PTL; `effect` changes slots and returns the step's result,
 * and `wrote` says whether it changed anything (a write to a table no PMD points at is recorded).
 */
function* pteTableWrite<R>(pt: PteTable, label: string, effect: () => R, wrote: (r: R) => boolean = () => true): Steps<R> {
  return yield* underPtl(pt, 'write', label, (self) => {
    const r = effect();
    if (pt.state !== 'attached' && wrote(r)) pt.strayWrites.push(`${label} by ${self.letter} while ${pt.name} is ${pt.state}`);
    return r;
  });
}

/**
 * One step on a table that must hold its PTL: the table must still be live and the PTL held by
 * the acting thread, whatever the step then does to the slots.
 */
function* underPtl<R>(pt: PteTable, access: 'read' | 'write', label: string, effect: (self: ThreadContext) => R): Steps<R> {
  return yield* perform({
    object: pt,
    access,
    label,
    run: (self) => {
      assertLive(pt, self, label);
      assertHeld(pt.ptl, self, label);
      return effect(self);
    },
  });
}

/** set_pte_at / pte_clear: one write of a PTE under the table's PTL. */
export function* pteWrite(pt: PteTable, i: number, val: PteVal, label = `set_pte_at(${pt.name}[${i}])`): Steps<void> {
  yield* pteTableWrite(pt, label, () => {
    pt.slots[i] = val;
  });
}

/** ptep_clear_flush: clear a PTE under the PTL (and flush the TLB); returns the old value. */
export function* ptepClearFlush(pt: PteTable, i: number, label = `ptep_clear_flush(${pt.name}[${i}])`): Steps<PteVal> {
  return yield* pteTableWrite(pt, label, () => {
    const old = pt.slots[i] ?? null;
    pt.slots[i] = null;
    return old;
  });
}

/**
 * The fault path's "if (!pte_none(ptep_get(pte))) goto release; set_pte_at(…)" under the PTL, one
 * step (nobody who takes the PTL can see between the test and the write). True when installed.
 */
export function* pteInstallIfNone(pt: PteTable, i: number, val: PresentPte, label = `set_pte_at(${pt.name}[${i}], ${val.page.name})`): Steps<boolean> {
  return yield* pteTableWrite(pt, label, () => {
    if (pt.slots[i] !== null && pt.slots[i] !== undefined) return false;
    pt.slots[i] = val;
    return true;
  }, (installed) => installed);
}

/**
 * ptep_clear_flush(src) then set_pte_at(dst) of the same page in one table, one step: both run under
 * the table's PTL, so no PTL-taking reader can see one without the other (move_present_pte when
 * src and dst share a PTE table, mremap's move_ptes).
 */
export function* movePte(pt: PteTable, from: number, to: number, label: string): Steps<PteVal> {
  return yield* pteTableWrite(pt, label, () => {
    const old = pt.slots[from] ?? null;
    pt.slots[from] = null;
    pt.slots[to] = old;
    return old;
  });
}

/**
 * folio_referenced_one's page_vma_mapped_walk + ptep_clear_flush_young under the PTL, one step:
 * whether the PTE maps `page` with the young bit set; the bit is cleared.
 */
export function* ptepTestAndClearYoung(pt: PteTable, i: number, page: Folio): Steps<boolean> {
  const label = `page_vma_mapped_walk + ptep_clear_flush_young(${pt.name}[${i}], ${page.name})`;
  return yield* underPtl(pt, 'write', label, () => {
    const pte = pt.slots[i] ?? null;
    if (pte === null || pte.page !== page || !pte.young) return false;
    pt.slots[i] = mkPte(pte.page, { writable: pte.writable, young: false });
    return true;
  });
}

/** Every slot, read in one step under the PTL (__collapse_huge_page_isolate's scan). */
export function* pteSnapshot(pt: PteTable, label = `__collapse_huge_page_isolate(${pt.name})`): Steps<readonly PteVal[]> {
  return yield* underPtl(pt, 'read', label, () => pt.slots.slice());
}

/**
 * Primary (CPU) page-table entries of one page table, under its split page-table lock
 * (`pte_lockptr(mm, pmd)`, USE_SPLIT_PTE_PTLOCKS): the level that mmu-notifier scenarios touch.
 * A PTE is `none` (null) or maps a page read-only or writable.
 *
 * Kernel semantics kept: writers (`set_pte_at`, `ptep_clear_flush`) must hold the table's PTL, as
 * every caller of them in mm/ does (checked like lockdep_assert_held); readers may read without it,
 * as gup-fast and the lockless `pte_none()` tests do. `ptep_clear_flush` returns the old entry and
 * stands for "clear, then flush the CPU TLB": no CPU TLB is modelled here (models/tlb.ts does that),
 * so the flush is part of the same step.
 *
 * Choices:
 * - The page type is a parameter: the PTE only holds a reference to whatever the scenario uses as
 *   its struct page (models/folio.ts), and never touches the page itself; rmap and refcount
 *   changes are the caller's steps, as in the kernel (`page_remove_rmap`, `put_page`).
 * - Every op on entries declares the table as its object (read or write); the PTL is a separate
 *   object (models/spinlock.ts), so lockless readers conflict with writers as they should.
 * - `followPte` stands for the locked lookup of `follow_page()` (pte_offset_map_lock, read,
 *   get_page, pte_unmap_unlock) as one step. It declares the PTL (it takes it) as its object, and
 *   also the table (it reads the entry) and the page the entry maps (the pin writes its count):
 *   which page that is depends on the entry, so the declaration is read when asked, and only a
 *   write of the table, which conflicts with the read, can change it.
 */
import { bugOn, perform, type SharedObject, type Steps, type ThreadContext } from '../../src/index';
import { touch, type Touch } from '../kit/lifetime';
import { newSpinlock, type Spinlock } from '../spinlock';

/** A present PTE: the page it maps and whether it is writable. `null` is pte_none(). */
export interface PresentPte<P> {
  readonly page: P;
  readonly writable: boolean;
}

export type Pte<P> = PresentPte<P> | null;

/** One page table (a PTE page) with its split PTL. */
export interface PageTable<P> extends SharedObject {
  /** The split page-table lock of this table. */
  readonly ptl: Spinlock;
  // invariant: only changed by steps whose thread holds ptl (or at setup)
  readonly entries: Map<number, Pte<P>>;
}

/** A page table named `name` (e.g. `pte(mm, 0x1000)`), its PTL named after it. */
export function newPageTable<P>(name: string): PageTable<P> {
  return { name, ptl: newSpinlock(`ptl(${name})`), entries: new Map() };
}

/** Installs a PTE while the world is built (not a step). */
export function setPteAtSetup<P>(pt: PageTable<P>, address: number, page: P, writable = true): void {
  pt.entries.set(address, { page, writable });
}

/** The entry at `address` without a step, for invariants and ghost checks. */
export function pteOf<P>(pt: PageTable<P>, address: number): Pte<P> {
  return pt.entries.get(address) ?? null;
}

function isSharedObject(x: unknown): x is SharedObject {
  return typeof x === 'object' && x !== null && typeof (x as { name?: unknown }).name === 'string';
}

/** `0x1000` as the kernel prints addresses. */
export function hex(address: number): string {
  return `0x${address.toString(16)}`;
}

function assertPtlHeld<P>(pt: PageTable<P>, self: ThreadContext, what: string): void {
  bugOn(pt.ptl.owner !== self, `lockdep_assert_held(&${pt.ptl.name}) failed in ${what}`);
}

/** `ptep_get(ptep)`: one read of the entry, with or without the PTL. */
export function* ptepGet<P>(pt: PageTable<P>, address: number): Steps<Pte<P>> {
  return yield* perform({
    object: pt,
    access: 'read',
    label: `ptep_get(${pt.name}, ${hex(address)})`,
    run: () => pteOf(pt, address),
  });
}

/** `set_pte_at(mm, addr, ptep, pte)`: install an entry; the PTL must be held. */
export function* setPteAt<P>(pt: PageTable<P>, address: number, pte: Pte<P>): Steps<void> {
  const label = `set_pte_at(${pt.name}, ${hex(address)})`;
  yield* perform<void>({
    object: pt,
    access: 'write',
    label,
    run: (self) => {
      assertPtlHeld(pt, self, label);
      pt.entries.set(address, pte);
    },
  });
}

/** `ptep_clear_flush(vma, addr, ptep)`: clear the entry and flush the CPU TLB; returns the old entry. */
export function* ptepClearFlush<P>(pt: PageTable<P>, address: number): Steps<Pte<P>> {
  const label = `ptep_clear_flush(vma, ${hex(address)}, ${pt.name})`;
  return yield* perform({
    object: pt,
    access: 'write',
    label,
    run: (self) => {
      assertPtlHeld(pt, self, label);
      const old = pteOf(pt, address);
      pt.entries.set(address, null);
      return old;
    },
  });
}

/**
 * `follow_page(vma, addr, FOLL_GET)` as get_user_pages uses it: under the PTL, read the entry and
 * take a reference on the page it maps (`pin` runs inside the same step). Returns the page, or null
 * when the PTE is none (the caller would then fault the page in; scenarios treat it as "no page").
 * The PTL must be free: a thread holding it would spin on itself.
 */
export function* followPte<P>(pt: PageTable<P>, address: number, pin: (page: P, self: ThreadContext) => void): Steps<P | null> {
  const label = `follow_page(${hex(address)}): pte_offset_map_lock(${pt.name}) + get_page()`;
  const readsTable: readonly Touch[] = [touch(pt, 'read')];
  // why the last answer is kept: the getter is asked after every step of this op and must not allocate
  let pinned: unknown = null;
  let pinnedTouches: readonly Touch[] = readsTable;
  return yield* perform({
    object: pt.ptl,
    access: 'acquire',
    label,
    get alsoTouches(): readonly Touch[] {
      const page = pteOf(pt, address)?.page ?? null;
      if (page === null || !isSharedObject(page)) return readsTable;
      if (page !== pinned) {
        pinned = page;
        pinnedTouches = [readsTable[0]!, touch(page, 'write')];
      }
      return pinnedTouches;
    },
    enabled: () => pt.ptl.owner === null,
    enabledAt: (owner) => owner === 0,
    waitsFor: () => `${pt.ptl.name} held by ${pt.ptl.owner ? `${pt.ptl.owner.letter} (${pt.ptl.owner.name})` : 'nobody'}`,
    run: (self) => {
      const pte = pteOf(pt, address);
      if (pte === null) return null;
      pin(pte.page, self);
      return pte.page;
    },
  });
}

/**
 * struct page / struct folio: the reference count, the mapcount, the flags (PG_referenced,
 * PG_dirty, and for the 2.6.38 THP code PG_head / PG_tail with page->first_page), the folio lock
 * (PG_locked, a sleeping bit lock), ->mapping / ->index, and the word 2.6.38 shares between
 * page->private, ptl, slab and first_page.
 *
 * Kernel semantics kept:
 * - The page is freed at the step that drops `ref` to 0 (put_page_testzero + free in one step);
 *   from then on any access — a get, a flag, the mapping — is a use after free, and a put is a
 *   refcount bug (the struct page itself stays, with a count of 0).
 * - get_page() on a live page whose count is 0 is a refcount bug (VM_BUG_ON in the kernel).
 * - get_page_unless_zero() is legal on a freed page and fails: the memmap is never freed, so
 *   speculative references (the THP put_page tail path, the lockless page cache) rely on it.
 * - A freed page can be handed out again (`allocPageReusing`: the page allocator gives the pfn to
 *   the next allocation). The `struct page` is the same object, live again with a count of 1 and
 *   clean flags, so a pointer kept from before meets a different page: get_page_unless_zero() then
 *   succeeds, and a put or a flag write through it lands on the new owner's page.
 * - The last put of a compound head still marked PG_head goes to the compound destructor
 *   (__put_compound_page → free_compound_page): head and tails are freed as one, and a tail still
 *   holding references is a bad page. A head whose PG_head the split cleared is freed alone.
 * - bad_page(): freeing or handing out a page whose flags word still has a bit lock set
 *   (PG_compound_lock is in PAGE_FLAGS_CHECK_AT_FREE and _AT_PREP) is reported as `bug-on`.
 * - Non-atomic flag ops (__SetPageUptodate) are a load and a store of the whole flags word, two
 *   steps: a store can undo a concurrent atomic bit op, bit locks in the word included.
 * - folio_lock() sleeps while another task holds PG_locked; folio_unlock() by a task that does not
 *   hold it is reported. Holding it is not atomic context.
 * - Reference balance: a reference a thread takes (get_page, get_user_pages' pin, a successful
 *   get_page_unless_zero) is its own until it puts it (put_page, or an atomic_sub of the count);
 *   a thread that returns still holding one is `reference-leak` (src/checks/obligations.ts). A put
 *   drops the thread's own most recent reference on the page if it holds one, else a reference
 *   that was there when the threads started or that someone handed over. References that outlive
 *   the thread by design are declared where they are taken (`keptBy`: the PTE that takes over the
 *   reference get_page took for it) and are nobody's obligation; so are the references the world
 *   starts with (the mappings', the caller's) and the one an allocation hands its new owner.
 *
 * Choices:
 * - Every op on the page's count, mapcount, flags or mapping declares the page as its object (one
 *   object per page): concurrent atomic bit operations on different bits are then conservatively
 *   dependent, which costs executions but never hides one. PG_locked is a separate object,
 *   `<page>->PG_locked`, so that the lock's acquire/release semantics are its own; the lock ops
 *   also declare a read of the page (they check it is still live).
 * - Only bit locks registered with `pageBitLock` live in the modelled flags word; PG_locked is its
 *   own object (`lockBit`) and a non-atomic store does not touch it.
 * - The 2.6.38 union word (include/linux/mm_types.h: `union { struct { private; mapping; }; ptl;
 *   slab; first_page; }`, first_page and private in the same word) is its own object,
 *   `<page>->private`, holding what its last writer stored and as what: a tail's first_page
 *   (prep_compound_page), or a private value (set_page_private: a swp_entry_t, 0 from
 *   prep_new_page). `readFirstPage` loads it and `setPagePrivate` stores it (each also checks that
 *   the page is live); `addToSwapCache` and `allocPageReusing` store it within their steps.
 *   Reading first_page where a private value was stored gives a pointer that is not a struct page
 *   (NULL if the value is 0): every page op through it is an `oops`, as the load or atomic at that
 *   address is in the kernel. Freeing a page leaves the word as it was (free_hot_cold_page's
 *   migratetype in private is not modelled: a load of a freed page's word is a use after free).
 */
import { closeObligation, hbAcquire, hbAtomic, KernelFault, oops, openObligation, perform, refcountPutOfFreed, type SharedObject, type Steps, type ThreadContext } from '../../src/index';
import { newBitSpinlock, storeBit, type BitSpinlock } from '../bit-spinlock';
import { assertLive, freeObject, liveCheck, mortal, reviveObject, touch, type Mortal, type Touch } from '../kit/lifetime';
import { describeOwner, lockAcquired, lockReleased, ownerKey, unlockNotHeld, type LockObject } from '../kit/lock-tracking';
import { mightSleep, withSleep, wouldSleepInAtomic } from '../kit/might-sleep';

/** Page flags the scenarios read and write. PG_locked lives in `Folio.lockBit`. */
export type PageFlag = 'referenced' | 'dirty' | 'head' | 'tail' | 'lru' | 'anon-exclusive' | 'uptodate' | 'swapcache';

/** What folio->mapping points at: an anon_vma (low bit PAGE_MAPPING_ANON) or an address_space. */
export interface FolioMapping extends SharedObject {
  /** Whether this is an anon_vma (PageAnon) rather than a file's address_space. */
  readonly anon: boolean;
}

/** PG_locked as a lock object: owner tracked so a bad unlock names the culprit. */
export interface FolioLockBit extends LockObject {
  // invariant: owner is the thread whose folio_lock/folio_trylock succeeded last without an unlock
  owner: ThreadContext | null;
}

/** What the union word holds, as its last writer stored it. */
export type PageWordContents =
  /** prep_compound_page: a tail's page->first_page. */
  | { readonly as: 'first_page'; readonly page: Folio }
  /** set_page_private: a value that means something only to its writer (`what`: `swp_entry_t`). */
  | { readonly as: 'private'; readonly value: number; readonly what: string };

/** page->private / ptl / slab / first_page of 2.6.38: one word, one object of its own. */
export interface PageUnionWord extends SharedObject {
  contents: PageWordContents;
}

export interface Folio extends Mortal {
  /** page->_count (folio->_refcount). */
  ref: number;
  /** Number of page-table mappings (page_mapcount; the kernel stores it biased by -1). */
  mapcount: number;
  /** The flag bits that are set. */
  readonly flags: Set<PageFlag>;
  /** folio->mapping: anon_vma, address_space, or NULL. */
  mapping: FolioMapping | null;
  /** folio->index: page offset in the mapping (for anon: linear index in the VMA). */
  index: number;
  /** The word page->private shares with first_page (2.6.38); a tail's holds its head. */
  readonly privateWord: PageUnionWord;
  /** PG_locked. */
  readonly lockBit: FolioLockBit;
  /** The tail pages of a compound head (prep_compound_page); empty for any other page. */
  readonly tails: readonly Folio[];
  /** Bit spinlocks in page->flags (PG_compound_lock), registered by `pageBitLock`. */
  readonly bitLocks: BitSpinlock[];
  /** Ghost: how many times the page was handed out again after a free. */
  generation: number;
  /**
   * Set only on what `readFirstPage` returns for a word that holds no page pointer: why this
   * pointer is not a struct page. Every page op through it oopses.
   */
  readonly notAPage?: string;
}

export interface NewFolioOptions {
  /** Initial reference count (default 1). */
  readonly ref?: number;
  /** Initial mapcount (default 0). */
  readonly mapcount?: number;
  readonly flags?: readonly PageFlag[];
  readonly mapping?: FolioMapping | null;
  readonly index?: number;
}

/** A live page as it stands when the threads start (allocation is not part of the race). */
export function newFolio(name: string, opts: NewFolioOptions = {}): Folio {
  return {
    name,
    ...mortal(),
    ref: opts.ref ?? 1,
    mapcount: opts.mapcount ?? 0,
    flags: new Set(opts.flags ?? []),
    mapping: opts.mapping ?? null,
    index: opts.index ?? 0,
    privateWord: { name: `${name}->private`, contents: { as: 'private', value: 0, what: 'private' } },
    lockBit: { name: `${name}->PG_locked`, lockClass: `${name}->PG_locked`, owner: null, stateKey: ownerKey },
    tails: [],
    bitLocks: [],
    generation: 0,
  };
}

/** A bit spinlock in `f`'s flags word (compound_lock: PG_compound_lock of a THP head). */
export function pageBitLock(f: Folio, bit: string): BitSpinlock {
  const l = newBitSpinlock(f, bit);
  f.bitLocks.push(l);
  flagWordTouches.delete(f);
  return l;
}

// why cached: the declarations of the flags word's bit locks, built once per page and access
const flagWordTouches = new WeakMap<Folio, { readonly read: readonly Touch[]; readonly write: readonly Touch[] }>();

function flagWord(f: Folio): { readonly read: readonly Touch[]; readonly write: readonly Touch[] } {
  let t = flagWordTouches.get(f);
  if (t === undefined) {
    t = { read: f.bitLocks.map((l) => touch(l, 'read')), write: f.bitLocks.map((l) => touch(l, 'write')) };
    flagWordTouches.set(f, t);
  }
  return t;
}

/**
 * A compound page (prep_compound_page): the head gets PG_head, each tail PG_tail and
 * first_page = head. Tail counts start at 0 (2.6.38: a tail's _count holds only GUP pins).
 */
export function newCompoundPage(
  name: string,
  tails: number,
  head: NewFolioOptions = {},
): { readonly head: Folio; readonly tails: readonly Folio[] } {
  const h = newFolio(name, { ...head, flags: [...(head.flags ?? []), 'head'] });
  const ts: Folio[] = [];
  for (let i = 1; i <= tails; i++) ts.push(newFolio(`${name}[${i}]`, { ref: 0, flags: ['tail'] }));
  const compound: Folio = { ...h, tails: ts };
  for (const t of ts) t.privateWord.contents = { as: 'first_page', page: compound };
  return { head: compound, tails: ts };
}

/** The access goes through a pointer that is not a struct page: the load or atomic faults. */
function followPage(f: Folio): void {
  if (f.notAPage !== undefined) oops(`unable to handle kernel paging request: ${f.notAPage}`, `${f.name}: no struct page`);
}

function refcountBug(f: Folio, message: string): never {
  throw new KernelFault('refcount', message, `${f.name}->_count = ${f.ref}`);
}

/**
 * One step on the page itself: the access is checked against the page's lifetime, and — the count,
 * mapcount, flags and mapping being atomics or READ_ONCE/WRITE_ONCE fields — it orders like an
 * atomic (sequentially consistent, races.md §0).
 */
function* pageStep<R>(f: Folio, access: 'read' | 'write', label: string, body: (self: ThreadContext) => R, alsoTouches?: readonly Touch[]): Steps<R> {
  return yield* perform({
    object: f,
    access,
    label,
    alsoTouches,
    run: (self) => {
      followPage(f);
      assertLive(f, self, label);
      const r = body(self);
      if (access === 'read') hbAcquire(self, f);
      else hbAtomic(self, f);
      return r;
    },
  });
}

// ---- reference count --------------------------------------------------------------------------

/** Where a reference taken by a thread goes when it is not the thread's to put. */
export interface TakeReference {
  /**
   * What keeps the reference after the thread (`the PTE replace_page installs`): it may outlive
   * the thread, so returning without putting it is no leak.
   */
  readonly keptBy?: string;
}

/** get_page / folio_get: the caller already holds a reference, so the count must not be 0. */
export function* folioGet(f: Folio, label = `get_page(${f.name})`, how: TakeReference = {}): Steps<void> {
  yield* pageStep(f, 'write', label, (self) => {
    if (f.ref <= 0) refcountBug(f, `${label}: increment from zero (VM_BUG_ON_PAGE(page_ref_zero_or_close_to_overflow))`);
    f.ref++;
    tookReference(self, f, label, how);
  });
}

/**
 * get_page() inside another step's run (follow_page(FOLL_GET) under the PTL, the pin of
 * get_user_pages): the page must be live with a count above 0; the reference is the thread's.
 */
export function pinPage(f: Folio, self: ThreadContext, label = `get_page(${f.name})`, how: TakeReference = {}): void {
  followPage(f);
  assertLive(f, self, label);
  if (f.ref <= 0) refcountBug(f, `${label}: increment from zero (VM_BUG_ON_PAGE(page_ref_zero_or_close_to_overflow))`);
  f.ref++;
  tookReference(self, f, label, how);
}

function tookReference(self: ThreadContext, f: Folio, label: string, how: TakeReference): void {
  if (how.keptBy === undefined) openObligation(self, 'reference-leak', f, '', `${label} (a reference on ${f.name})`);
}

function droppedReference(self: ThreadContext, f: Folio): void {
  closeObligation(self, 'reference-leak', f, '');
}

/** put_page / folio_put: drop one reference; the page is freed at 0. Returns whether it was freed. */
export function* folioPut(f: Folio, label = `put_page(${f.name})`): Steps<boolean> {
  return yield* perform({
    object: f,
    access: 'write',
    label,
    alsoTouches: compoundTouches(f),
    run: (self) => {
      followPage(f);
      // why refcount, not use-after-free: the memmap is never freed; the kernel sees a count of 0
      if (f.life === 'freed') refcountPutOfFreed(self, f, label, f.freedAt);
      if (f.ref <= 0) refcountBug(f, `${label}: put of a page whose count is already 0`);
      f.ref--;
      droppedReference(self, f);
      hbAtomic(self, f);
      if (f.ref > 0) return false;
      freePage(f, self, label);
      return true;
    },
  });
}

// why cached: a head's put declares its tails (the destructor frees them), once per head
const tailTouches = new WeakMap<Folio, readonly Touch[]>();

function compoundTouches(f: Folio): readonly Touch[] | undefined {
  if (f.tails.length === 0) return undefined;
  let t = tailTouches.get(f);
  if (t === undefined) tailTouches.set(f, (t = f.tails.map((p) => touch(p, 'write'))));
  return t;
}

function badPage(f: Folio, label: string, reason: string, state: string): never {
  throw new KernelFault('bug-on', `${label}: BUG: Bad page state: ${f.name} ${reason}`, state);
}

/** free_pages_check() of the flags word: no bit lock may still be set. */
function checkFlagWord(f: Folio, label: string): void {
  for (const l of f.bitLocks) if (l.set) badPage(f, label, `has ${l.bit} set`, `${l.name} = 1`);
}

/**
 * The page's count reached 0: __put_single_page, or, for a head still marked PG_head, the
 * compound destructor, which frees the tails with it (each must be unused: free_pages_check).
 */
function freePage(f: Folio, self: ThreadContext, label: string): void {
  checkFlagWord(f, label);
  if (f.flags.has('head')) {
    for (const t of f.tails) {
      if (t.ref !== 0 || t.mapcount !== 0) badPage(t, `${label} → free_compound_page(${f.name})`, `is a tail still in use`, `${t.name}->_count = ${t.ref}, mapcount ${t.mapcount}`);
      freeObject(t, self, `${label} → free_compound_page(${f.name})`);
    }
  }
  freeObject(f, self, label);
}

/** get_page_unless_zero / folio_try_get: take a reference unless the count is 0 (or the page freed). */
export function* folioGetUnlessZero(f: Folio, label = `get_page_unless_zero(${f.name})`, how: TakeReference = {}): Steps<boolean> {
  return yield* perform({
    object: f,
    access: 'write',
    label,
    run: (self) => {
      followPage(f);
      // why no assertLive: the memmap outlives the page, so reading a freed page's count is legal
      hbAtomic(self, f);
      if (f.life === 'freed' || f.ref === 0) return false;
      f.ref++;
      tookReference(self, f, label, how);
      return true;
    },
  });
}

/** page_count / folio_ref_count: one atomic read. */
export function* pageCount(f: Folio, label = `page_count(${f.name})`): Steps<number> {
  return yield* pageStep(f, 'read', label, () => f.ref);
}

/**
 * atomic_add / atomic_sub on page->_count without a zero test (the split's refcount transfer, the
 * tail's atomic_dec). The count must not go below 0.
 */
export function* pageRefAdd(f: Folio, delta: number, label: string): Steps<void> {
  yield* pageStep(f, 'write', label, (self) => {
    if (f.ref + delta < 0) refcountBug(f, `${label}: ${f.name}->_count underflows (${f.ref} - ${-delta})`);
    f.ref += delta;
    // why only drops: an add moves references between pages (the split's transfer), it takes none
    for (let i = delta; i < 0; i++) droppedReference(self, f);
  });
}

// why cached: an allocation writes the flags word's bit locks and the union word, once per page
const allocTouchesCache = new WeakMap<Folio, readonly Touch[]>();

function allocTouches(f: Folio): readonly Touch[] {
  let t = allocTouchesCache.get(f);
  if (t === undefined) allocTouchesCache.set(f, (t = [...flagWord(f).write, touch(f.privateWord, 'write')]));
  return t;
}

/**
 * alloc_page() on the CPU whose free list `f` went to: if `f` is free it is handed out again
 * (check_new_page, then set_page_refcounted: count 1, flags, mapping and mapcount clean) and the
 * step returns true; if it is still in use the allocation gets some other page, which nothing
 * else here can reach, and the step returns false.
 */
export function* allocPageReusing(f: Folio, label = `alloc_page() → ${f.name}?`): Steps<boolean> {
  return yield* perform({
    object: f,
    access: 'write',
    label,
    alsoTouches: allocTouches(f),
    run: (self) => {
      if (f.life === 'live') return false;
      checkFlagWord(f, `${label}: check_new_page`);
      reviveObject(f);
      f.ref = 1;
      f.mapcount = 0;
      f.flags.clear();
      f.mapping = null;
      f.index = 0;
      f.privateWord.contents = { as: 'private', value: 0, what: 'private' }; // prep_new_page: set_page_private(page, 0)
      f.generation++;
      hbAtomic(self, f);
      return true;
    },
  });
}

/**
 * __SetPageX / __ClearPageX: the non-atomic form, for a page nobody else should be able to see. A
 * load of page->flags, then a store of the whole word with the bit changed; the store writes every
 * other bit back as loaded, bit locks included.
 */
export function* setFlagNonAtomic(f: Folio, flag: PageFlag, on = true, label = `__${on ? 'Set' : 'Clear'}Page${pascal(flag)}(${f.name})`): Steps<void> {
  const word = flagWord(f);
  const loaded = yield* perform({
    object: f,
    access: 'read',
    label: `${label}: load ${f.name}->flags`,
    alsoTouches: word.read,
    run: (self) => {
      followPage(f);
      assertLive(f, self, label);
      hbAcquire(self, f);
      return { flags: new Set(f.flags), bits: f.bitLocks.map((l) => l.set) };
    },
  });
  yield* pageStep(f, 'write', `${label}: store ${f.name}->flags`, () => {
    f.flags.clear();
    for (const x of loaded.flags) f.flags.add(x);
    if (on) f.flags.add(flag);
    else f.flags.delete(flag);
    f.bitLocks.forEach((l, i) => storeBit(l, loaded.bits[i]!));
  }, word.write);
}

// ---- mapcount, flags, mapping -----------------------------------------------------------------

/** page_add_anon_rmap / page_remove_rmap: mapcount += delta (never below 0). */
export function* folioAddMapcount(f: Folio, delta: number, label: string): Steps<void> {
  yield* pageStep(f, 'write', label, () => {
    if (f.mapcount + delta < 0) throw new KernelFault('bug-on', `${label}: ${f.name} mapcount goes negative`, `${f.name}->_mapcount = ${f.mapcount - 1}`);
    f.mapcount += delta;
  });
}

/** folio_mapped / page_mapped: mapcount > 0. */
export function* folioMapped(f: Folio, label = `folio_mapped(${f.name})`): Steps<boolean> {
  return yield* pageStep(f, 'read', label, () => f.mapcount > 0);
}

/** PageX / folio_test_X: one atomic bit read. */
export function* testFlag(f: Folio, flag: PageFlag, label = `Page${pascal(flag)}(${f.name})`): Steps<boolean> {
  return yield* pageStep(f, 'read', label, () => f.flags.has(flag));
}

/** SetPageX / ClearPageX: one atomic bit write; writing a freed page's flags is a use after free. */
export function* setFlag(f: Folio, flag: PageFlag, on = true, label = `${on ? 'Set' : 'Clear'}Page${pascal(flag)}(${f.name})`): Steps<void> {
  yield* pageStep(f, 'write', label, () => {
    if (on) f.flags.add(flag);
    else f.flags.delete(flag);
  });
}

/** TestClearPageX / folio_test_clear_X: atomic test-and-clear; returns the old bit. */
export function* testClearFlag(f: Folio, flag: PageFlag, label = `folio_test_clear_${flag}(${f.name})`): Steps<boolean> {
  return yield* pageStep(f, 'write', label, () => f.flags.delete(flag));
}

// ---- the union word: private / first_page (2.6.38) -------------------------------------------

/**
 * page->first_page: one load of the union word, taken as a struct page pointer. It is the head
 * while the word holds what prep_compound_page stored; once someone stored a private value there
 * (the split made the tail an ordinary page, and its next user called set_page_private), it is
 * that value taken for an address, and whatever the caller does through it oopses.
 */
export function* readFirstPage(f: Folio, label = `${f.name}->first_page`): Steps<Folio> {
  return yield* perform({
    object: f.privateWord,
    access: 'read',
    label,
    alsoTouches: liveCheck(f),
    run: (self) => {
      followPage(f);
      assertLive(f, self, label);
      hbAcquire(self, f.privateWord);
      const c = f.privateWord.contents;
      return c.as === 'first_page' ? c.page : notAPage(f, c.value, c.what);
    },
  });
}

/**
 * set_page_private(page, value): one store of the union word; `what` says what the value is to
 * its writer (`swp_entry_t`). On a tail page that overwrites first_page, which is why 2.6.38
 * clears PG_tail (smp_wmb) before a tail can have another user.
 */
export function* setPagePrivate(f: Folio, value: number, what: string, label = `set_page_private(${f.name}, ${hex(value)})`): Steps<void> {
  yield* perform<void>({
    object: f.privateWord,
    access: 'write',
    label,
    alsoTouches: liveCheck(f),
    run: (self) => {
      followPage(f);
      assertLive(f, self, label);
      f.privateWord.contents = { as: 'private', value, what };
      hbAtomic(self, f.privateWord);
    },
  });
}

/**
 * __add_to_swap_cache() of 2.6.38 (mm/swap_state.c): the swap cache's reference (page_cache_get),
 * PG_swapcache and set_page_private(page, entry.val), as one step; the radix-tree insert is left
 * out. The reference is the swap cache's: it outlives the thread and is nobody's obligation. The
 * kernel's caller holds the page lock (VM_BUG_ON(!PageLocked)); that is not checked here, so a
 * scenario that leaves trylock_page out says why.
 */
export function* addToSwapCache(f: Folio, entry: number, label = `add_to_swap_cache(${f.name}, ${hex(entry)})`): Steps<void> {
  yield* perform<void>({
    object: f,
    access: 'write',
    label,
    alsoTouches: swapCacheTouches(f),
    run: (self) => {
      followPage(f);
      assertLive(f, self, label);
      if (f.flags.has('swapcache')) throw new KernelFault('bug-on', `${label}: VM_BUG_ON(PageSwapCache(page))`, `${f.name}->flags has PG_swapcache`);
      pinPage(f, self, `${label}: page_cache_get(page)`, { keptBy: 'the swap cache' });
      f.flags.add('swapcache');
      f.privateWord.contents = { as: 'private', value: entry, what: 'swp_entry_t' };
      hbAtomic(self, f);
      hbAtomic(self, f.privateWord);
    },
  });
}

// why cached: the declaration of the union word's store, once per page
const swapCacheTouchesCache = new WeakMap<Folio, readonly Touch[]>();

function swapCacheTouches(f: Folio): readonly Touch[] {
  let t = swapCacheTouchesCache.get(f);
  if (t === undefined) swapCacheTouchesCache.set(f, (t = [touch(f.privateWord, 'write')]));
  return t;
}

// why cached: one pointer object per page and value, so a name stands for one object in a world
const wildPointers = new WeakMap<Folio, Map<number, Folio>>();

/** The "page" at the address a private value makes when it is read as a struct page pointer. */
function notAPage(from: Folio, value: number, what: string): Folio {
  let byValue = wildPointers.get(from);
  if (byValue === undefined) wildPointers.set(from, (byValue = new Map()));
  let p = byValue.get(value);
  if (p === undefined) {
    const why = value === 0
      ? `NULL pointer dereference: ${from.name}->first_page is NULL (${from.name}->private = 0)`
      : `${hex(value)} is not a struct page: ${from.name}->first_page holds ${from.name}->private = ${hex(value)} (${what})`;
    p = { ...newFolio(`(struct page *)${hex(value)}`), notAPage: why };
    byValue.set(value, p);
  }
  return p;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** What one read of folio->mapping sees, with the index that goes with it. */
export interface MappingSnapshot {
  /** How the result reads in a trace: `src_anon_vma, index 0`. */
  readonly name: string;
  readonly mapping: FolioMapping | null;
  readonly index: number;
}

/**
 * READ_ONCE(folio->mapping), one step, with folio->index: the only writer of either
 * (folio_move_anon_rmap and its caller's index update, `folioSetMapping`) writes both in one step,
 * so reading them together shows nothing a reader of one and then the other could not see.
 * folio_mapped() is a read of its own (`folioMapped`), as in the kernel.
 */
export function* folioReadMapping(f: Folio, label = `READ_ONCE(${f.name}->mapping)`): Steps<MappingSnapshot> {
  return yield* pageStep(f, 'read', label, () => ({
    name: `${f.mapping?.name ?? 'NULL'}, index ${f.index}`,
    mapping: f.mapping,
    index: f.index,
  }));
}

/** WRITE_ONCE(folio->mapping, m); folio->index = index (folio_move_anon_rmap and its caller). */
export function* folioSetMapping(f: Folio, mapping: FolioMapping | null, index: number, label: string): Steps<void> {
  yield* pageStep(f, 'write', label, () => {
    f.mapping = mapping;
    f.index = index;
  });
}

// ---- PG_locked --------------------------------------------------------------------------------

/** folio_lock: sleeps until PG_locked is clear, then sets it. Taking it twice sleeps forever. */
export function* folioLock(f: Folio, label = `folio_lock(${f.name})`): Steps<void> {
  const bit = f.lockBit;
  yield* perform<void>({
    object: bit,
    access: 'acquire',
    label,
    alsoTouches: withSleep(liveCheck(f)),
    // why: a thread in atomic context must run (and fault in might_sleep) rather than wait
    enabled: (self) => bit.owner === null || wouldSleepInAtomic(self),
    enabledAt: (owner, waiter) => owner === 0 || wouldSleepInAtomic(waiter),
    waitsFor: (self) => `${bit.name} held by ${describeOwner(bit.owner, self)}`,
    run: (self) => {
      mightSleep(self, label);
      followPage(f);
      assertLive(f, self, label);
      bit.owner = self;
      lockAcquired(self, bit, label, { atomic: false });
    },
  });
}

/** folio_trylock: sets PG_locked if clear; never sleeps. */
export function* folioTrylock(f: Folio, label = `folio_trylock(${f.name})`): Steps<boolean> {
  const bit = f.lockBit;
  return yield* perform({
    object: bit,
    access: 'acquire',
    label,
    alsoTouches: liveCheck(f),
    run: (self) => {
      followPage(f);
      assertLive(f, self, label);
      if (bit.owner !== null) return false;
      bit.owner = self;
      lockAcquired(self, bit, label, { atomic: false, trylock: true });
      return true;
    },
  });
}

/** folio_unlock: clears PG_locked and wakes waiters; the caller must hold it. */
export function* folioUnlock(f: Folio, label = `folio_unlock(${f.name})`): Steps<void> {
  const bit = f.lockBit;
  yield* perform<void>({
    object: bit,
    access: 'release',
    label,
    alsoTouches: liveCheck(f),
    run: (self) => {
      followPage(f);
      assertLive(f, self, label);
      if (bit.owner !== self) {
        unlockNotHeld(self, bit, label, `is held by ${describeOwner(bit.owner, self)}`, `${bit.name}.owner = ${bit.owner?.letter ?? 'none'}`);
      }
      bit.owner = null;
      lockReleased(self, bit);
    },
  });
}

function pascal(flag: PageFlag): string {
  return flag
    .split('-')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

/**
 * struct anon_vma: the reverse map of anonymous folios. Every anon_vma belongs to a tree whose
 * root's rwsem protects the whole tree (anon_vma_lock_read/write take `anon_vma->root->rwsem`);
 * `refcount` pins the structure (inc-not-zero from an RCU reader, put frees at 0); `vmas` stands
 * for the interval tree of anon_vma_chains (the VMAs whose pages may point here).
 *
 * folio_lock_anon_vma_read() follows mm/rmap.c (v6.8): under rcu_read_lock it reads
 * folio->mapping, checks the folio is mapped, reads anon_vma->root and tries the root's rwsem for
 * read; if that fails and the caller's rmap_walk_control asks for `try_lock` (folio_referenced
 * from reclaim) it gives up and reports the lock contended; otherwise (page_idle, DAMON) it pins
 * the anon_vma (atomic_inc_not_zero), leaves the RCU section and sleeps in anon_vma_lock_read,
 * then drops the pin. With `recheck` (880a99b60d46 "mm/rmap: support move to different root
 * anon_vma in folio_move_anon_rmap()") both locking paths re-read folio->mapping after locking
 * and retry when it changed.
 *
 * Choices:
 * - Only a root has an rwsem; `rwsem` of a non-root anon_vma is its root's, named after the root,
 *   so labels read `down_read(&av1->rwsem)` for `anon_vma->root->rwsem` of av1's tree.
 * - anon_vma->root never changes in an anon_vma's life, so reading it is a `read` step on the
 *   anon_vma and nothing writes it.
 * - READ_ONCE(folio->mapping) and each folio_mapped() test are separate reads of the folio, as in
 *   the kernel.
 * - `anon_vma` structs are SLAB_TYPESAFE_BY_RCU in the kernel: a freed one can be handed out again
 *   at once, with no grace period (`anonVmaAllocReusing`), so a pointer read under RCU may meet
 *   a live anon_vma of another tree; the rwsem, set up by the slab constructor, keeps its state.
 *   While it is free, any access is a use after free, which is stricter than the kernel (an RCU
 *   reader may read a free anon_vma's root and try its rwsem); no scenario here frees one under
 *   such a reader.
 */
import { perform, ScenarioError, type SharedObject, type Steps } from '../../src/index';
import { folioMapped, folioReadMapping, type Folio, type FolioMapping } from './folio';
import { assertLive, freeObject, kmemCacheAllocReusing, mortal, touch, type Mortal } from '../kit/lifetime';
import { rcuReadLock, rcuReadUnlock, type Rcu } from '../rcu';
import { newRefcount, refcountGetUnlessZero, refcountPutAndTest, type Refcount } from '../refcount';
import { downRead, downReadTrylock, downWrite, newRwsem, upRead, upWrite, type Rwsem } from '../rwsem';

export interface AnonVma<V extends SharedObject = SharedObject> extends FolioMapping, Mortal {
  readonly anon: true;
  /** anon_vma->root: itself for a root. */
  readonly root: AnonVma<V>;
  /** The root's rwsem (anon_vma->root->rwsem). */
  readonly rwsem: Rwsem;
  /** anon_vma->refcount. */
  readonly refcount: Refcount;
  /** The VMAs reachable from this anon_vma's interval tree. */
  readonly vmas: V[];
}

export interface NewAnonVmaOptions<V extends SharedObject> {
  /** The root of the tree this anon_vma joins (after fork); default: it is its own root. */
  readonly root?: AnonVma<V>;
  /** Initial refcount (default 1: the VMAs' reference). */
  readonly refcount?: number;
  readonly vmas?: readonly V[];
  /** rwsem option: textbook writer preference instead of Linux's order (models/rwsem.ts). */
  readonly strictRwsem?: boolean;
}

/** An anon_vma as it stands when the threads start. */
export function newAnonVma<V extends SharedObject = SharedObject>(name: string, opts: NewAnonVmaOptions<V> = {}): AnonVma<V> {
  const av = { name, anon: true, ...mortal(), vmas: [...(opts.vmas ?? [])] } as Omit<AnonVma<V>, 'root' | 'rwsem' | 'refcount'> & {
    root: AnonVma<V>;
    rwsem: Rwsem;
    refcount: Refcount;
  };
  av.refcount = newRefcount(`${name}->refcount`, opts.refcount ?? 1, { container: av, typeSafe: true });
  if (opts.root) {
    av.root = opts.root;
    av.rwsem = opts.root.rwsem;
  } else {
    av.root = av;
    av.rwsem = newRwsem(`${name}->rwsem`, { lockClass: 'anon_vma->rwsem', strict: opts.strictRwsem ?? false });
  }
  return av;
}

/** Whether a folio mapping is an anon_vma (PageAnon: the PAGE_MAPPING_ANON bit). */
export function isAnonVma(m: FolioMapping | null): m is AnonVma {
  return m !== null && m.anon;
}

/** READ_ONCE(anon_vma->root). */
export function* anonVmaRoot<V extends SharedObject>(av: AnonVma<V>): Steps<AnonVma<V>> {
  const label = `READ_ONCE(${av.name}->root)`;
  return yield* perform({
    object: av,
    access: 'read',
    label,
    run: (self) => {
      assertLive(av, self, label);
      return av.root;
    },
  });
}

/** anon_vma_lock_read: down_read(&anon_vma->root->rwsem); may sleep. */
export function* anonVmaLockRead(av: AnonVma<SharedObject>): Steps<void> {
  yield* downRead(av.rwsem);
}

export function* anonVmaUnlockRead(av: AnonVma<SharedObject>): Steps<void> {
  yield* upRead(av.rwsem);
}

/** anon_vma_lock_write: down_write(&anon_vma->root->rwsem); may sleep. */
export function* anonVmaLockWrite(av: AnonVma<SharedObject>): Steps<void> {
  yield* downWrite(av.rwsem);
}

export function* anonVmaUnlockWrite(av: AnonVma<SharedObject>): Steps<void> {
  yield* upWrite(av.rwsem);
}

/** atomic_inc_not_zero(&anon_vma->refcount): pin an anon_vma found under RCU. */
export function* anonVmaGetUnlessZero(av: AnonVma<SharedObject>): Steps<boolean> {
  return yield* refcountGetUnlessZero(av.refcount);
}

/** atomic_dec_and_test(&anon_vma->refcount): true when this put dropped the last reference. */
export function* anonVmaPutTestZero(av: AnonVma<SharedObject>): Steps<boolean> {
  return yield* refcountPutAndTest(av.refcount);
}

/** __put_anon_vma: free an anon_vma whose count reached 0. */
export function* anonVmaFree(av: AnonVma<SharedObject>): Steps<void> {
  const label = `anon_vma_free(${av.name})`;
  yield* perform<void>({ object: av, access: 'write', label, run: (self) => freeObject(av, self, label) });
}

/**
 * anon_vma_alloc() in anon_vma_prepare(): if `av` is free the slab hands it out again as a new
 * root anon_vma with refcount 1 mapping `vmas`; returns whether it did. Only a root can come back
 * (a child would need a new root and rwsem, which no scenario here needs).
 */
export function* anonVmaAllocReusing<V extends SharedObject>(av: AnonVma<V>, vmas: readonly V[], label = `anon_vma_alloc() → ${av.name}?`): Steps<boolean> {
  if (av.root !== av) throw new ScenarioError(`anonVmaAllocReusing(${av.name}): only a root anon_vma can be handed out again in this model`);
  return yield* kmemCacheAllocReusing(
    av,
    (a) => {
      a.refcount.count = 1;
      a.refcount.zeroAt = null;
      a.vmas.length = 0;
      a.vmas.push(...vmas);
    },
    label,
    [touch(av.refcount, 'write')],
  );
}

/** put_anon_vma: drop a reference and free the anon_vma at 0. */
export function* putAnonVma(av: AnonVma<SharedObject>): Steps<void> {
  if (yield* anonVmaPutTestZero(av)) yield* anonVmaFree(av);
}

export interface LockAnonVmaReadOptions {
  /**
   * Re-read folio->mapping after taking the root rwsem and retry if it moved (880a99b60d46): in
   * both locking paths (`true`), or per path (the trylock path and the sleeping one), to show each
   * is needed.
   */
  readonly recheck: boolean | { readonly afterTrylock: boolean; readonly afterSleep: boolean };
  /**
   * rwc->try_lock (folio_referenced from reclaim): when down_read_trylock fails, return
   * `'contended'` (rwc->contended = true) instead of sleeping on the rwsem.
   */
  readonly tryLock?: boolean;
}

/**
 * folio_lock_anon_vma_read(folio, rwc): the folio's anon_vma with its root rwsem held for read, or
 * null (not anon, not mapped, or the anon_vma is going away), or, with `tryLock`, `'contended'`.
 * The caller unlocks with anonVmaUnlockRead(result). The folio lock is not held: that is the
 * point of S8.
 */
export function folioLockAnonVmaRead(folio: Folio, rcu: Rcu, opts: LockAnonVmaReadOptions & { readonly tryLock: true }): Steps<AnonVma | null | 'contended'>;
export function folioLockAnonVmaRead(folio: Folio, rcu: Rcu, opts: LockAnonVmaReadOptions & { readonly tryLock?: false }): Steps<AnonVma | null>;
export function* folioLockAnonVmaRead(folio: Folio, rcu: Rcu, opts: LockAnonVmaReadOptions): Steps<AnonVma | null | 'contended'> {
  const recheckAfterTrylock = typeof opts.recheck === 'boolean' ? opts.recheck : opts.recheck.afterTrylock;
  const recheckAfterSleep = typeof opts.recheck === 'boolean' ? opts.recheck : opts.recheck.afterSleep;
  for (;;) {
    yield* rcuReadLock(rcu);
    const { mapping } = yield* folioReadMapping(folio);
    if (!isAnonVma(mapping) || !(yield* folioMapped(folio))) {
      yield* rcuReadUnlock(rcu);
      return null;
    }
    const av = mapping;
    const root = yield* anonVmaRoot(av);
    if (yield* downReadTrylock(root.rwsem)) {
      // 880a99b60d46: folio_move_anon_rmap() may have changed the anon_vma; we hold no folio lock
      if (recheckAfterTrylock && (yield* folioReadMapping(folio)).mapping !== av) {
        yield* upRead(root.rwsem);
        yield* rcuReadUnlock(rcu);
        continue;
      }
      // "If the folio is still mapped, then this anon_vma is still its anon_vma"
      const mapped = yield* folioMapped(folio);
      if (!mapped) yield* upRead(root.rwsem);
      yield* rcuReadUnlock(rcu);
      return mapped ? av : null;
    }
    if (opts.tryLock === true) {
      // rwc->contended = true: folio_referenced returns -1 and reclaim keeps the folio
      yield* rcuReadUnlock(rcu);
      return 'contended';
    }
    // trylock failed, we got to sleep: pin the anon_vma so it survives outside the RCU section
    if (!(yield* anonVmaGetUnlessZero(av))) {
      yield* rcuReadUnlock(rcu);
      return null;
    }
    if (!(yield* folioMapped(folio))) {
      yield* rcuReadUnlock(rcu);
      yield* putAnonVma(av);
      return null;
    }
    yield* rcuReadUnlock(rcu);
    yield* anonVmaLockRead(av);
    if (recheckAfterSleep && (yield* folioReadMapping(folio)).mapping !== av) {
      yield* anonVmaUnlockRead(av);
      yield* putAnonVma(av);
      continue;
    }
    // we held the last reference: unlock, then free it and bail (can't use put_anon_vma: the
    // free would take the rwsem we hold)
    if (yield* anonVmaPutTestZero(av)) {
      yield* anonVmaUnlockRead(av);
      yield* anonVmaFree(av);
      return null;
    }
    return av;
  }
}

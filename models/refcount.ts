/**
 * refcount_t. get (refcount_inc), putAndTest (refcount_dec_and_test: true when this put dropped the
 * last reference, and the caller then frees), getUnlessZero (refcount_inc_not_zero: the lookup pin
 * that fails once the object is dying), put (refcount_dec: must not drop the last reference).
 *
 * Misuse reported by the `refcount` check (src/checks/refcount.ts): a put below zero, an increment
 * from zero, any put on an object already freed; a get on a freed object is a use after free.
 * Each op is a fully ordered atomic for happens-before (the kernel's dec_and_test orders the free
 * after every earlier put). When the counter belongs to an object with a lifetime, pass it as
 * `container` (each op then also declares a read of it, the liveness check). Holders named in the
 * calls go to the ghost `holders` set, for invariants only.
 */
import { hbAtomic, perform, refcountIncrementOnZero, refcountPutOfFreed, refcountUnderflow, type SharedObject, type Site, siteOf, type Steps, type ThreadContext } from '../src/index';
import { HolderSet } from './kit/ghost';
import { assertLive, liveCheck, type Mortal } from './kit/lifetime';

export interface RefcountOptions {
  /** The object the counter lives in: puts after its free are reported, gets are use after free. */
  readonly container?: Mortal;
  /** Ghost: names of the holders of the initial references. */
  readonly holders?: readonly string[];
  /**
   * The container's memory is type-stable (SLAB_TYPESAFE_BY_RCU): refcount_inc_not_zero after its
   * free is legal and fails, the count being 0, instead of a use after free.
   */
  readonly typeSafe?: boolean;
}

export interface Refcount extends SharedObject {
  /** The count (refcount_read). */
  count: number;
  readonly container: Mortal | null;
  readonly typeSafe: boolean;
  /** Where the count last reached zero, for reports. */
  zeroAt: Site | null;
  /** Ghost: who holds the references, when the calls name holders. Read only by invariants. */
  readonly holders: HolderSet;
}

export function newRefcount(name: string, initial = 1, options: RefcountOptions = {}): Refcount {
  const holders = new HolderSet();
  for (const h of options.holders ?? []) holders.add(h);
  return { name, count: initial, container: options.container ?? null, typeSafe: options.typeSafe ?? false, zeroAt: null, holders };
}

function checkContainer(r: Refcount, self: ThreadContext, label: string, isPut: boolean): void {
  const c = r.container;
  if (c === null || c.life === 'live') return;
  if (isPut) refcountPutOfFreed(self, c, label, c.freedAt);
  assertLive(c, self, label);
}

/** One atomic op on the counter; `apply` gets the count before it and returns the result. */
function* refcountOp<R>(r: Refcount, label: string, isPut: boolean, apply: (self: ThreadContext) => R): Steps<R> {
  return yield* perform<R>({
    object: r,
    access: 'write',
    label,
    alsoTouches: liveCheck(r.container),
    run: (self) => {
      checkContainer(r, self, label, isPut);
      hbAtomic(self, r);
      return apply(self);
    },
  });
}

function dropOne(r: Refcount, self: ThreadContext, label: string, holder: string | undefined): number {
  if (r.count <= 0) refcountUnderflow(self, r, label, r.zeroAt);
  r.count--;
  if (holder !== undefined) r.holders.remove(holder);
  if (r.count === 0) r.zeroAt = siteOf(self, label);
  return r.count;
}

/** refcount_inc: a new reference; incrementing from zero resurrects a dying object. */
export function* refcountGet(r: Refcount, holder?: string): Steps<void> {
  const label = `refcount_inc(&${r.name})`;
  yield* refcountOp(r, label, false, (self) => {
    if (r.count === 0) refcountIncrementOnZero(self, r, label, r.zeroAt);
    r.count++;
    if (holder !== undefined) r.holders.add(holder);
  });
}

/** refcount_inc_not_zero: take a reference unless the count already reached zero. */
export function* refcountGetUnlessZero(r: Refcount, holder?: string): Steps<boolean> {
  const label = `refcount_inc_not_zero(&${r.name})`;
  if (r.typeSafe) {
    return yield* perform({
      object: r,
      access: 'write',
      label,
      alsoTouches: liveCheck(r.container),
      run: (self) => {
        hbAtomic(self, r);
        if (r.count === 0 || r.container?.life === 'freed') return false;
        r.count++;
        if (holder !== undefined) r.holders.add(holder);
        return true;
      },
    });
  }
  return yield* refcountOp(r, label, false, () => {
    if (r.count === 0) return false;
    r.count++;
    if (holder !== undefined) r.holders.add(holder);
    return true;
  });
}

/** refcount_dec_and_test: drop a reference; true when it was the last (the caller frees). */
export function* refcountPutAndTest(r: Refcount, holder?: string): Steps<boolean> {
  const label = `refcount_dec_and_test(&${r.name})`;
  return yield* refcountOp(r, label, true, (self) => dropOne(r, self, label, holder) === 0);
}

/** refcount_dec: drop a reference that must not be the last (the kernel WARNs when it is). */
export function* refcountPut(r: Refcount, holder?: string): Steps<void> {
  const label = `refcount_dec(&${r.name})`;
  yield* refcountOp(r, label, true, (self) => {
    if (r.count === 1) refcountUnderflow(self, r, `${label} drops the last reference (leak)`, r.zeroAt);
    dropOne(r, self, label, holder);
  });
}

/** refcount_read: one racy load. */
export function* refcountRead(r: Refcount): Steps<number> {
  return yield* perform({ object: r, access: 'read', label: `refcount_read(&${r.name})`, run: () => r.count });
}

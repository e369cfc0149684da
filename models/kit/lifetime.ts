/**
 * Objects with a lifetime (live → freed): notifiers, anon_vmas, page tables, pages, subscriptions.
 * Mix the fields in with `...mortal()`, check every access with `assertLive` inside an op's run,
 * and free with `freeObject` (or the `kfree` step). Use after free and double free are reported by
 * src/checks/use-after-free.ts with both sides: the access and the free.
 */
import { type Access, assertLive, freeObject, type Mortal, type Op, perform, type SharedObject, type Steps, type ThreadContext } from '../../src/index';
import { opAlsoTouching } from './also-touching';

export { assertLive, freeObject, type Mortal };

/**
 * One extra object an op's run touches (an entry of `Op.alsoTouches`). Partial-order reduction is
 * sound only if every object a step reads or writes is declared: as the op's object or here.
 *
 * Not declared anywhere, on purpose: a `lockdep_assert_held`-style test that the acting thread
 * holds a lock. Its outcome cannot depend on other threads' order: while the thread holds the lock
 * nobody else can change the owner, and while it does not, no other thread can make it the owner.
 */
export interface Touch {
  readonly object: SharedObject;
  readonly access: Access;
}

/** `{ object, access }` as an `alsoTouches` entry. */
export function touch(object: SharedObject, access: Access): Touch {
  return { object, access };
}

// why cached: ops built per call would otherwise allocate a declaration per step
const liveChecks = new WeakMap<Mortal, readonly Touch[]>();

/**
 * The declaration of a liveness check of `container` (assertLive in a run): a read of the
 * container, which its free writes. Cached per container; `null` (no container) declares nothing.
 */
export function liveCheck(container: Mortal | null): readonly Touch[] | undefined {
  if (container === null) return undefined;
  let t = liveChecks.get(container);
  if (t === undefined) liveChecks.set(container, (t = [touch(container, 'read')]));
  return t;
}

/** The lifetime fields of a new, live object: `{ name, ...mortal(), … }`. */
export function mortal(): { life: 'live' | 'freed'; freedAt: null } {
  return { life: 'live', freedAt: null };
}

/** A bare object with a lifetime and nothing else (a kmalloc'd struct whose fields do not matter). */
export function newMortal(name: string): Mortal {
  return { name, ...mortal() };
}

/**
 * Hands a freed object out again, as the kernel's allocators do with type-stable memory: a
 * `struct page` (the memmap is never freed, the page allocator reuses the pfn), an object of a
 * SLAB_TYPESAFE_BY_RCU cache. A pointer kept from the old life then meets a live, different object,
 * and its accesses are no longer use after free: whatever they do to the new owner's state is what
 * the kernel would see. For the allocation step's run only; the caller resets the object's fields.
 */
export function reviveObject(obj: Mortal): void {
  obj.life = 'live';
  obj.freedAt = null;
}

/** Whether `obj` has been freed (for invariants and for models deciding what a reader finds). */
export function isFreed(obj: Mortal): boolean {
  return obj.life === 'freed';
}

/** kfree(obj): one step that frees it; freeing twice is a double free. */
export function* kfree(obj: Mortal, label = `kfree(${obj.name})`): Steps<void> {
  yield* perform<void>({ object: obj, access: 'write', label, run: (self) => freeObject(obj, self, label) });
}

/**
 * kmem_cache_alloc() from the cache `obj` was freed to: if `obj` is free it is handed out again —
 * `init` sets its fields as the allocation's caller does — and the step returns true; if it is
 * still in use the allocation gets another object that nothing else here can reach, and the step
 * returns false. `touches` declares whatever else `init` writes (a counter object inside `obj`).
 */
export function* kmemCacheAllocReusing<T extends Mortal>(obj: T, init: (obj: T) => void, label = `kmem_cache_alloc() → ${obj.name}?`, touches?: readonly Touch[]): Steps<boolean> {
  return yield* perform({
    object: obj,
    access: 'write',
    label,
    alsoTouches: touches,
    run: () => {
      if (obj.life === 'live') return false;
      reviveObject(obj);
      init(obj);
      return true;
    },
  });
}

/** One step that dereferences `obj` (reads one of its fields); faults if it was freed. */
export function* derefStep(obj: Mortal, label: string): Steps<void> {
  yield* perform<void>({ object: obj, access: 'read', label, run: (self) => assertLive(obj, self, label) });
}

/**
 * `op` that first dereferences `obj`, in the same step: `spin_lock(&p->lock)` loads `p` and touches
 * its memory. Faults with use-after-free, naming `what` (default the op's label), if `obj` was freed;
 * declares the read of `obj` its free conflicts with.
 */
export function derefThen<R>(obj: Mortal, op: Op<R>, what?: string): Op<R> {
  const declared = opAlsoTouching(op, liveCheck(obj)!) as Op<R>;
  return {
    object: declared.object,
    access: declared.access,
    alsoTouches: declared.alsoTouches,
    get label() {
      return declared.label;
    },
    ...(declared.enabled ? { enabled: declared.enabled } : {}),
    ...(declared.enabledAt ? { enabledAt: declared.enabledAt } : {}),
    ...(declared.waitsFor ? { waitsFor: declared.waitsFor } : {}),
    run: (self: ThreadContext) => {
      assertLive(obj, self, what ?? op.label);
      return op.run(self);
    },
  };
}

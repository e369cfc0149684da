/**
 * Objects with a lifetime (live → freed): notifiers, anon_vmas, page tables, pages, subscriptions.
 * Mix the fields in with `...mortal()`, check every access with `assertLive` inside an op's run,
 * and free with `freeObject` (or the `kfree` step). Use after free and double free are reported by
 * src/checks/use-after-free.ts with both sides: the access and the free.
 */
import { assertLive, freeObject, type Mortal } from '../src/checks/use-after-free';
import { perform, type Steps } from '../src/runtime/op';

export { assertLive, freeObject, type Mortal };

/** The lifetime fields of a new, live object: `{ name, ...mortal(), … }`. */
export function mortal(): { life: 'live' | 'freed'; freedAt: null } {
  return { life: 'live', freedAt: null };
}

/** A bare object with a lifetime and nothing else (a kmalloc'd struct whose fields do not matter). */
export function newMortal(name: string): Mortal {
  return { name, ...mortal() };
}

/** Whether `obj` has been freed (for invariants and for models deciding what a reader finds). */
export function isFreed(obj: Mortal): boolean {
  return obj.life === 'freed';
}

/** kfree(obj): one step that frees it; freeing twice is a double free. */
export function* kfree(obj: Mortal, label = `kfree(${obj.name})`): Steps<void> {
  yield* perform<void>({ object: obj, access: 'write', label, run: (self) => freeObject(obj, self, label) });
}

/** One step that dereferences `obj` (reads one of its fields); faults if it was freed. */
export function* derefStep(obj: Mortal, label: string): Steps<void> {
  yield* perform<void>({ object: obj, access: 'read', label, run: (self) => assertLive(obj, self, label) });
}

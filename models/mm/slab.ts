/**
 * Slab objects (what kmalloc and kmem_cache_alloc hand out) as objects with a lifetime, and the
 * balance kmemleak checks: when the work is done, every object allocated is either freed or still
 * reachable from something that owns it.
 *
 * - An object is a slot the scenario builds in `setup()`, one per allocation site that can be live
 *   at once (`mmu_notifier_mm (kvm)`): it starts never allocated, `kmalloc(zone, gfp, label, obj)`
 *   makes it live, `kfreeToZone(zone, label, obj)` frees it (models/mm/allocator.ts). A pointer to
 *   it is then the object itself, so a use after its kfree is `use-after-free`
 *   (src/checks/use-after-free.ts) and a second kfree a double free.
 * - `slabBalance` is a final-state invariant: an object allocated and neither freed nor reachable
 *   from an owner the scenario names is a leak; an owner still pointing at a freed object is a
 *   dangling pointer. Why at the end of the execution and not of a thread: an allocation is often
 *   handed to another owner (mm->mmu_notifier_mm), and only the end state says whether anyone kept it.
 *
 * Misuse is a model error (exit 2), not a finding: allocating into an object that is still live
 * (two live allocations need two objects), naming an owner's object that the invariant does not
 * follow or that was never allocated. A kfree of an object never allocated is the kernel's invalid
 * free, reported as `use-after-free` like a double free.
 */
import { describeSite, freeObject, type Invariant, KernelFault, type Mortal, ScenarioError, type Site, siteOf, type ThreadContext } from '../../src/index';
import { reviveObject } from '../kit/lifetime';

/** One slab object: free memory of its cache until allocated, then live until freed. */
export interface SlabObject extends Mortal {
  /** The allocation that made it live in this execution; null while it was never allocated. */
  allocatedAt: Site | null;
}

const AT_SETUP: Site = { thread: 'setup()', threadId: -1, step: 0, label: 'an allocation before the threads start' };

/** A slab object not allocated yet (its memory is free), or with `live`, one allocated before the threads start. */
export function newSlabObject(name: string, options: { readonly live?: boolean } = {}): SlabObject {
  return options.live === true ? { name, life: 'live', freedAt: null, allocatedAt: AT_SETUP } : { name, life: 'freed', freedAt: null, allocatedAt: null };
}

/** Inside an allocation step's run: `obj` is what the allocation `label` returned. */
export function allocateSlabObject(obj: SlabObject, self: ThreadContext, label: string): void {
  if (obj.life === 'live') {
    const by = obj.allocatedAt === null ? 'setup' : describeSite(obj.allocatedAt);
    throw new ScenarioError(`${label} by ${siteOf(self, label).thread} at step ${self.step} allocates into ${obj.name}, still in use since ${by}: give each live allocation its own slab object`);
  }
  reviveObject(obj);
  obj.allocatedAt = siteOf(self, label);
}

/** Inside a kfree step's run: frees `obj`; an object never allocated is an invalid free. */
export function freeSlabObject(obj: SlabObject, self: ThreadContext, label: string): void {
  if (obj.allocatedAt === null) {
    throw new KernelFault(
      'use-after-free',
      `invalid free: ${label} by ${siteOf(self, label).thread} at step ${self.step} frees ${obj.name}, which no allocation returned`,
      `${obj.name} never allocated`,
    );
  }
  freeObject(obj, self, label);
}

/** An owner's pointer the balance accepts as keeping an object: `mm->mmu_notifier_mm` → obj. */
export interface SlabOwner {
  /** The pointer in kernel terms (`mm->mmu_notifier_mm`). */
  readonly by: string;
  /** What it points at now; null when it points at nothing the invariant follows. */
  readonly object: SlabObject | null;
}

/**
 * kmemleak's rule at the end of the execution, as a final-state invariant (`finalState: […]`):
 * every object of `objectsOf` that was allocated is freed, or is what some owner of `ownersOf`
 * points at; and no owner points at a freed object.
 */
export function slabBalance<W>(objectsOf: (w: W) => readonly SlabObject[], ownersOf: (w: W) => readonly SlabOwner[]): Invariant<W> {
  return {
    id: 'slab-balance',
    description: 'when every thread is done, each slab object allocated is freed or kept by an owner, and no owner points at freed memory',
    check: (w) => {
      const objects = objectsOf(w);
      const kept = new Map<SlabObject, string>();
      for (const o of ownersOf(w)) {
        if (o.object === null) continue;
        if (!objects.includes(o.object)) throw new ScenarioError(`slab-balance: ${o.by} points at ${o.object.name}, which is not among the objects it follows`);
        if (o.object.allocatedAt === null) throw new ScenarioError(`slab-balance: ${o.by} points at ${o.object.name}, which was never allocated`);
        if (o.object.life === 'freed') {
          const free = o.object.freedAt === null ? 'an unknown site' : describeSite(o.object.freedAt);
          return `${o.by} still points at ${o.object.name}, freed by ${free}`;
        }
        kept.set(o.object, o.by);
      }
      const leaked = objects.filter((x) => x.allocatedAt !== null && x.life === 'live' && !kept.has(x));
      if (leaked.length === 0) return true;
      const owners = ownersOf(w).map((o) => o.by).join(', ') || 'no owner';
      return leaked.map((x) => `${x.name}, allocated by ${describeSite(x.allocatedAt!)}, is neither freed nor kept by ${owners}: leaked`).join('; ');
    },
  };
}

import { describe, expect, it } from 'vitest';
import { GFP_ATOMIC, GFP_KERNEL, kfreeToZone, kmalloc, newZone, type Zone } from '../../../models/mm/allocator';
import { newSlabObject, slabBalance, type SlabObject, type SlabOwner } from '../../../models/mm/slab';
import { derefStep, derefThen } from '../../../models/kit/lifetime';
import { newSpinlock, spinUnlock, type Spinlock } from '../../../models/spinlock';
import { perform, type Steps } from '../../../src/index';
import { exploreProgram, firedChecks, program, runSerial } from '../../helpers/program';

interface W {
  zone: Zone;
  x: SlabObject;
  y: SlabObject;
  lock: Spinlock;
  /** The owner's pointer slab-balance accepts (`owner->p`). */
  owner: { name: string; p: SlabObject | null };
}

function world(freePages = 2, live = false): W {
  return { zone: newZone('zone', { freePages }), x: newSlabObject('x', { live }), y: newSlabObject('y'), lock: newSpinlock('x->lock'), owner: { name: 'owner', p: null } };
}

const balance = slabBalance<W>((w) => [w.x, w.y], (w): SlabOwner[] => [{ by: 'owner->p', object: w.owner.p }]);

function* publish(w: W, obj: SlabObject | null): Steps<void> {
  yield* perform<void>({ object: w.owner, access: 'write', label: `owner->p = ${obj?.name ?? 'NULL'}`, run: () => void (w.owner.p = obj) });
}

function finalChecks(body: (w: W) => Steps<void>, setup: () => W = () => world()): string[] {
  return firedChecks(runSerial(program<W>({ setup, finalState: [balance], threads: { a: body } })));
}

describe('slab objects and slab-balance', () => {
  it('kmalloc makes the object live, kfree frees it: balanced, and a use in between is fine', () => {
    const fired = finalChecks(function* (w) {
      yield* kmalloc(w.zone, GFP_KERNEL, 'kmalloc(x)', w.x);
      yield* derefStep(w.x, 'x->field');
      yield* kfreeToZone(w.zone, 'kfree(x)', w.x);
    });
    expect(fired).toEqual([]);
  });

  it('an allocation neither freed nor kept is a leak, named with its allocation site', () => {
    const t = runSerial(program<W>({ setup: () => world(), finalState: [balance], threads: { a: function* (w) { yield* kmalloc(w.zone, GFP_KERNEL, 'kmalloc(x)', w.x); } } }));
    expect(firedChecks(t)).toEqual(['slab-balance']);
    expect(t.violations[0]!.message).toBe('final state: x, allocated by A (a) at step 1 in kmalloc(x), is neither freed nor kept by owner->p: leaked');
  });

  it('an allocation an owner points at is kept, not leaked', () => {
    const fired = finalChecks(function* (w) {
      yield* kmalloc(w.zone, GFP_KERNEL, 'kmalloc(x)', w.x);
      yield* publish(w, w.x);
    });
    expect(fired).toEqual([]);
  });

  it('an owner still pointing at a freed object is a dangling pointer', () => {
    const t = runSerial(
      program<W>({
        setup: () => world(),
        finalState: [balance],
        threads: {
          a: function* (w) {
            yield* kmalloc(w.zone, GFP_KERNEL, 'kmalloc(x)', w.x);
            yield* publish(w, w.x);
            yield* kfreeToZone(w.zone, 'kfree(x)', w.x);
          },
        },
      }),
    );
    expect(firedChecks(t)).toEqual(['slab-balance']);
    expect(t.violations[0]!.message).toBe('final state: owner->p still points at x, freed by A (a) at step 3 in kfree(x)');
  });

  it('a failed allocation leaves the object unallocated, and nothing to free', () => {
    const fired = finalChecks(function* (w) {
      expect(yield* kmalloc(w.zone, GFP_ATOMIC, 'kmalloc(x, GFP_ATOMIC)', w.x)).toBe(false);
    }, () => world(0));
    expect(fired).toEqual([]);
  });

  it('a second kfree is a double free; a kfree of what no allocation returned is an invalid free', () => {
    const twice = runSerial(
      program<W>({
        setup: () => world(),
        threads: {
          a: function* (w) {
            yield* kmalloc(w.zone, GFP_KERNEL, 'kmalloc(x)', w.x);
            yield* kfreeToZone(w.zone, 'kfree(x)', w.x);
            yield* kfreeToZone(w.zone, 'kfree(x) again', w.x);
          },
        },
      }),
    );
    expect(firedChecks(twice)).toEqual(['use-after-free']);
    expect(twice.violations[0]!.message).toMatch(/double free: kfree\(x\) again by A \(a\) at step 3 frees x, already freed by A \(a\) at step 2 in kfree\(x\)/);
    const invalid = runSerial(program<W>({ setup: () => world(), threads: { a: function* (w) { yield* kfreeToZone(w.zone, 'kfree(y)', w.y); } } }));
    expect(firedChecks(invalid)).toEqual(['use-after-free']);
    expect(invalid.violations[0]!.message).toMatch(/invalid free: kfree\(y\) by A \(a\) at step 1 frees y, which no allocation returned$/);
  });

  it('a use after the kfree in another thread is found by dfs: the dereference declares the read the free conflicts with', () => {
    // why user first: the first schedule runs the lock before the free, and dfs must reverse them
    const p = program<W>({
      setup: () => world(2, true),
      threads: {
        user: function* (w) {
          yield* perform(derefThen(w.x, w.lock.ops.lock));
          yield* spinUnlock(w.lock);
        },
        freer: function* (w) {
          yield* kfreeToZone(w.zone, 'kfree(x)', w.x);
        },
      },
    });
    expect(firedChecks(runSerial(p))).toEqual([]);
    const v = exploreProgram(p, { limits: { auditExecutions: 100 } });
    expect(v.kind).toBe('violated');
    if (v.kind !== 'violated') return;
    expect(v.violations[0]!.message).toMatch(/use-after-free: spin_lock\(&x->lock\) by A \(user\) at step \d+ touches x, freed by B \(freer\) at step \d+ in kfree\(x\)/);
  });

  describe('misuse is a model error, not a finding', () => {
    it('allocating into an object that is still live', () => {
      const p = program<W>({
        setup: () => world(),
        threads: {
          a: function* (w) {
            yield* kmalloc(w.zone, GFP_KERNEL, 'kmalloc(x)', w.x);
            yield* kmalloc(w.zone, GFP_KERNEL, 'kmalloc(x) again', w.x);
          },
        },
      });
      expect(() => runSerial(p)).toThrow(/kmalloc\(x\) again by A \(a\) at step 2 allocates into x, still in use since A \(a\) at step 1 in kmalloc\(x\): give each live allocation its own slab object/);
    });

    it('an owner pointing at an object the balance does not follow, or at one never allocated', () => {
      const stranger = newSlabObject('stranger', { live: true });
      const strangers = slabBalance<W>((w) => [w.x], () => [{ by: 'owner->p', object: stranger }]);
      const p1 = program<W>({ setup: () => world(), finalState: [strangers], threads: { a: function* (w) { yield* publish(w, null); } } });
      expect(() => runSerial(p1)).toThrow(/final-state invariant slab-balance threw: slab-balance: owner->p points at stranger, which is not among the objects it follows/);
      const never = slabBalance<W>((w) => [w.x, w.y], (w) => [{ by: 'owner->p', object: w.y }]);
      const p2 = program<W>({ setup: () => world(), finalState: [never], threads: { a: function* (w) { yield* publish(w, null); } } });
      expect(() => runSerial(p2)).toThrow(/slab-balance: owner->p points at y, which was never allocated/);
    });
  });
});

import { describe, expect, it } from 'vitest';
import { foundViolation } from '../helpers/detectors';
import { kfree, newMortal, type Mortal } from '../../models/kit/lifetime';
import { kfreeRcu, newRcu, rcuReadLock, rcuReadUnlock, type Rcu } from '../../models/rcu';
import { newPlainField, readOnce, writeOnce, type PlainField } from '../../models/plain-field';
import { newRefcount, refcountGet, refcountGetUnlessZero, refcountPut, refcountPutAndTest, refcountRead, type Refcount } from '../../models/refcount';
import { exploreProgram, firedChecks, program, runSchedule, runSerial } from '../helpers/program';

interface W {
  obj: Mortal;
  ref: Refcount;
  got: boolean[];
}
const world = (initial = 1) => (): W => {
  const obj = newMortal('anon_vma');
  return { obj, ref: newRefcount('anon_vma->refcount', initial, { container: obj, holders: ['mapping'] }), got: [] };
};

/** put; free at zero — the usual release pattern. */
function* put(w: W, holder: string) {
  if (yield* refcountPutAndTest(w.ref, holder)) yield* kfree(w.obj, 'anon_vma_free(anon_vma)');
}

describe('refcount', () => {
  it('get and put-and-test: only the last put sees zero, holders are tracked in ghost state', () => {
    const seen: boolean[] = [];
    const p = program<W>({
      setup: world(),
      threads: {
        a: function* (w) {
          yield* refcountGet(w.ref, 'walker');
          expect(w.ref.holders.describe()).toBe('mapping, walker');
          seen.push(yield* refcountPutAndTest(w.ref, 'walker'));
          seen.push(yield* refcountPutAndTest(w.ref, 'mapping'));
          expect(w.ref.holders.size).toBe(0);
        },
      },
    });
    expect(runSerial(p).violations).toEqual([]);
    expect(seen.slice(-2)).toEqual([false, true]);
  });

  it('get_unless_zero under RCU pins a live object and fails on a dying one', () => {
    interface RW extends W {
      rcu: Rcu;
      slot: PlainField<Mortal | null>;
    }
    const p = program<RW>({
      setup: () => {
        const w = world()();
        return { ...w, rcu: newRcu(), slot: newPlainField<Mortal | null>('slot', w.obj) };
      },
      threads: {
        lookup: function* (w) {
          yield* rcuReadLock(w.rcu);
          const found = yield* readOnce(w.slot, 'rcu_dereference(slot)');
          const ok = found !== null && (yield* refcountGetUnlessZero(w.ref, 'lookup'));
          w.got.push(ok);
          yield* rcuReadUnlock(w.rcu);
          if (ok && (yield* refcountPutAndTest(w.ref, 'lookup'))) yield* kfreeRcu(w.rcu, w.obj);
        },
        owner: function* (w) {
          yield* writeOnce(w.slot, null, 'rcu_assign_pointer(slot, NULL)');
          if (yield* refcountPutAndTest(w.ref, 'mapping')) yield* kfreeRcu(w.rcu, w.obj);
        },
      },
    });
    // Whatever the order, nobody resurrects, touches after free or double-frees the object.
    expect(exploreProgram(p).kind).toBe('holds');
    // The reader found it before it was unpublished, but the count had reached zero: the pin fails.
    const failed = runSchedule(p, 'A A B B B A A');
    expect(failed.violations).toEqual([]);
    expect(failed.steps[5]).toMatchObject({ label: 'refcount_inc_not_zero(&anon_vma->refcount)', result: 'false' });
  });

  it('get_unless_zero without RCU touches the freed object: use-after-free', () => {
    const p = program<W>({
      setup: world(),
      threads: {
        lookup: function* (w) { yield* refcountGetUnlessZero(w.ref, 'lookup'); },
        owner: function* (w) { yield* put(w, 'mapping'); },
      },
    });
    expect(firedChecks(runSchedule(p, 'B B A'))).toEqual(['use-after-free']);
  });

  it('a plain get racing with the last put increments from zero: refcount', () => {
    const p = program<W>({
      setup: world(),
      threads: { owner: function* (w) { yield* refcountPutAndTest(w.ref, 'mapping'); }, getter: function* (w) { yield* refcountGet(w.ref); } },
    });
    const t = runSchedule(p, 'A B');
    expect(firedChecks(t)).toEqual(['refcount']);
    expect(t.violations[0]!.message).toMatch(/addition on 0.*refcount_inc\(&anon_vma->refcount\) by B \(getter\).*reached 0 by A \(owner\) at step 1/);
  });

  it('underflow: one put too many names where it reached zero', () => {
    const p = program<W>({
      setup: world(),
      threads: { a: function* (w) { yield* refcountPutAndTest(w.ref); }, b: function* (w) { yield* refcountPutAndTest(w.ref); } },
    });
    const t = runSchedule(p, 'A B');
    expect(firedChecks(t)).toEqual(['refcount']);
    expect(t.violations[0]!.message).toMatch(/underflow.*by B \(b\) at step 2.*already reached 0 by A \(a\) at step 1/);
  });

  it('a put on a freed object is refcount; a get on one is use-after-free', () => {
    const freed = function* (w: W) { yield* kfree(w.obj); };
    const putter = program<W>({ setup: world(2), threads: { a: freed, b: function* (w) { yield* refcountPutAndTest(w.ref); } } });
    const t = runSchedule(putter, 'A B');
    expect(firedChecks(t)).toEqual(['refcount']);
    expect(t.violations[0]!.message).toMatch(/put on freed object.*freed by A \(a\) at step 1/);
    const getter = program<W>({ setup: world(2), threads: { a: freed, b: function* (w) { yield* refcountGet(w.ref); } } });
    expect(firedChecks(runSchedule(getter, 'A B'))).toEqual(['use-after-free']);
  });

  it('refcount_dec must not drop the last reference; refcount_read is one load', () => {
    const p = program<W>({ setup: world(), threads: { a: function* (w) { expect(yield* refcountRead(w.ref)).toBe(1); yield* refcountPut(w.ref); } } });
    expect(firedChecks(runSerial(p))).toEqual(['refcount']);
  });
});

describe('refcount: partial-order reduction sees the container', () => {
  it('dfs finds a get placed after the free of the object the counter lives in', () => {
    const p = program<{ obj: Mortal; ref: Refcount }>({
      setup: () => {
        const obj = newMortal('av');
        return { obj, ref: newRefcount('av->refcount', 1, { container: obj }) };
      },
      threads: { a: function* (w) { yield* refcountGet(w.ref); }, b: function* (w) { yield* kfree(w.obj); } },
    });
    expect(foundViolation(p, 'use-after-free')).toBeDefined();
  });

  it('inc_not_zero after the container\'s free: a use after free, unless the memory is type-stable, where it fails', () => {
    const freed = (typeSafe: boolean) => (): W => {
      const obj = newMortal('anon_vma');
      return { obj, ref: newRefcount('anon_vma->refcount', 1, { container: obj, typeSafe }), got: [] };
    };
    const threads = {
      a: function* (w: W) {
        yield* put(w, 'mapping');
        w.got.push(yield* refcountGetUnlessZero(w.ref));
      },
    };
    expect(firedChecks(runSerial(program<W>({ setup: freed(false), threads })))).toEqual(['use-after-free']);
    const got: boolean[][] = [];
    const t = runSerial(program<W>({ setup: () => { const w = freed(true)(); got.push(w.got); return w; }, threads }));
    expect(firedChecks(t)).toEqual([]);
    expect(got.at(-1)).toEqual([false]);
  });
});

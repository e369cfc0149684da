import { describe, expect, it } from 'vitest';
import { complete, newCompletion, waitForCompletion, type Completion } from '../../../models/completion';
import { atomicRead, atomicSet, newAtomic, type AtomicValue } from '../../../models/plain-field';
import { newPlainField, readField, readOnce, writeField, writeOnce, type PlainField } from '../../../models/plain-field';
import { downRead, newRwsem, upRead, type Rwsem } from '../../../models/rwsem';
import { newSpinlock, spinLock, spinUnlock, type Spinlock } from '../../../models/spinlock';
import { newSrcu, srcuReadLock, srcuReadUnlock, synchronizeSrcu, type Srcu } from '../../../models/srcu';
import { newRcu, rcuReadLock, rcuReadUnlock, synchronizeRcu, type Rcu } from '../../../models/rcu';
import type { Steps } from '../../../src/runtime/op';
import { checksFiredAnywhere, foundViolation } from '../../helpers/detectors';
import { program, runSchedule } from '../../helpers/program';

interface W {
  f: PlainField<number>;
  l: Spinlock;
  l2: Spinlock;
  s: Rwsem;
  srcu: Srcu;
  rcu: Rcu;
  done: Completion;
  flag: AtomicValue;
}
const world = (): W => ({
  f: newPlainField('kvm->mmu_notifier_count', 0),
  l: newSpinlock('kvm->mmu_lock'),
  l2: newSpinlock('other_lock'),
  s: newRwsem('s'),
  srcu: newSrcu('srcu'),
  rcu: newRcu(),
  done: newCompletion('done'),
  flag: newAtomic('flag'),
});

type Body = (w: W) => Steps;
const both = (a: Body, b: Body) => program<W>({ setup: world, threads: { a, b } });

function* incUnder(w: W, lock: Spinlock): Steps {
  yield* spinLock(lock);
  const v = yield* readField(w.f);
  yield* writeField(w.f, v + 1);
  yield* spinUnlock(lock);
}

describe('data-race', () => {
  it('fires on unordered plain writes, naming both accesses', () => {
    const v = foundViolation(both((w) => writeField(w.f, 1), (w) => writeField(w.f, 2)), 'data-race');
    expect(v).toMatchObject({ fatal: false, state: 'kvm->mmu_notifier_count' });
    expect(v!.message).toBe(
      'data race on kvm->mmu_notifier_count: B (b) writes at step 2 (kvm->mmu_notifier_count = 2) and ' +
        'A (a) writes at step 1 (kvm->mmu_notifier_count = 1), not ordered by any lock, grace period or atomic',
    );
  });

  it('fires on a plain read against a write, in either order', () => {
    const p = both(function* (w) { yield* readField(w.f); }, (w) => writeField(w.f, 1));
    expect(runSchedule(p, 'A B').violations.map((v) => v.check)).toEqual(['data-race']);
    expect(runSchedule(p, 'B A').violations.map((v) => v.check)).toEqual(['data-race']);
  });

  it('does not fire when one lock orders the accesses; does with two different locks', () => {
    expect(checksFiredAnywhere(both((w) => incUnder(w, w.l), (w) => incUnder(w, w.l)))).toEqual(new Set());
    expect(foundViolation(both((w) => incUnder(w, w.l), (w) => incUnder(w, w.l2)), 'data-race')).toBeDefined();
  });

  it('two readers never race; marked accesses race only with plain ones', () => {
    const readUnderRead = function* (w: W): Steps {
      yield* downRead(w.s);
      yield* readField(w.f);
      yield* upRead(w.s);
    };
    expect(checksFiredAnywhere(both(readUnderRead, readUnderRead))).toEqual(new Set());
    expect(checksFiredAnywhere(both((w) => writeOnce(w.f, 1), function* (w) { yield* readOnce(w.f); }))).toEqual(new Set());
    expect(foundViolation(both((w) => writeOnce(w.f, 1), function* (w) { yield* readField(w.f); }), 'data-race')).toBeDefined();
  });

  it('a completion orders the completer’s writes before the waiter', () => {
    const producer = function* (w: W): Steps {
      yield* writeField(w.f, 1);
      yield* complete(w.done);
    };
    const consumer = function* (w: W): Steps {
      yield* waitForCompletion(w.done);
      yield* readField(w.f);
    };
    expect(checksFiredAnywhere(both(producer, consumer))).toEqual(new Set());
  });

  it('an atomic flag orders message passing; a plain flag would not', () => {
    const producer = function* (w: W): Steps {
      yield* writeField(w.f, 1);
      yield* atomicSet(w.flag, 1);
    };
    const consumer = function* (w: W): Steps {
      if ((yield* atomicRead(w.flag)) === 1) yield* readField(w.f);
    };
    expect(checksFiredAnywhere(both(producer, consumer))).toEqual(new Set());
  });

  for (const domain of ['srcu', 'rcu'] as const) {
    it(`a ${domain} grace period orders a reader's accesses before the updater's later write`, () => {
      const reader = function* (w: W): Steps {
        if (domain === 'srcu') {
          const i = yield* srcuReadLock(w.srcu);
          yield* readField(w.f);
          yield* srcuReadUnlock(w.srcu, i);
        } else {
          yield* rcuReadLock(w.rcu);
          yield* readField(w.f);
          yield* rcuReadUnlock(w.rcu);
        }
      };
      const updater = function* (w: W): Steps {
        if (domain === 'srcu') yield* synchronizeSrcu(w.srcu);
        else yield* synchronizeRcu(w.rcu);
        yield* writeField(w.f, 1);
      };
      const noSync = function* (w: W): Steps {
        yield* writeField(w.f, 1);
      };
      // A reader the grace period waited for is ordered before the write that follows it.
      expect(runSchedule(both(reader, updater), 'A A B A B B').violations).toEqual([]);
      // One that had already left when it began is, too.
      expect(runSchedule(both(reader, updater), 'A A A B B').violations).toEqual([]);
      // One that entered after it began is ordered after its start only: its read races with the
      // write (the updater should have unpublished what it writes), as without any grace period.
      expect(runSchedule(both(reader, updater), 'B A A B A').violations.map((v) => v.check)).toEqual(['data-race']);
      expect(foundViolation(both(reader, noSync), 'data-race')).toBeDefined();
    });
  }
});

describe('data-race: RCU publish, unpublish, synchronize, reuse', () => {
  interface PW {
    rcu: Rcu;
    slot: PlainField<PlainField<number> | null>;
    obj: PlainField<number>;
  }
  const pworld = (): PW => {
    const obj = newPlainField('obj->data', 7);
    return { rcu: newRcu(), slot: newPlainField<PlainField<number> | null>('gp', obj), obj };
  };
  const reader = function* (w: PW): Steps {
    yield* rcuReadLock(w.rcu);
    const p = yield* readOnce(w.slot, 'rcu_dereference(gp)');
    if (p !== null) yield* readField(p);
    yield* rcuReadUnlock(w.rcu);
  };
  const updater = (sync: boolean) =>
    function* (w: PW): Steps {
      yield* writeOnce(w.slot, null, 'rcu_assign_pointer(gp, NULL)');
      if (sync) yield* synchronizeRcu(w.rcu);
      yield* writeField(w.obj, 0);
    };

  it('a reader’s plain read of the object before synchronize_rcu returns never races the reuse, on any schedule', () => {
    expect(checksFiredAnywhere(program<PW>({ setup: pworld, threads: { reader, updater: updater(true) } }))).toEqual(new Set());
  });

  it('without synchronize_rcu the reuse races the reader', () => {
    expect(foundViolation(program<PW>({ setup: pworld, threads: { reader, updater: updater(false) } }), 'data-race')).toBeDefined();
  });
});

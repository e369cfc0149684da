import { describe, expect, it } from 'vitest';
import { synchronizeRcu } from '../../../models/rcu';
import { newPlainField, readOnce, writeOnce, type PlainField } from '../../../models/plain-field';
import { derefStep, kfree, newMortal, type Mortal } from '../../../models/kit/lifetime';
import { foundViolation } from '../../helpers/detectors';
import { inAtomic, mightSleepStep, wouldSleepInAtomic } from '../../../models/kit/might-sleep';
import { newRcu, rcuReadLock, rcuReadUnlock, type Rcu } from '../../../models/rcu';
import { newSpinlock, spinLock, spinUnlock, type Spinlock } from '../../../models/spinlock';
import { perform, type SharedObject } from '../../../src/runtime/op';
import { keepLastWorld } from '../../helpers/last-world';
import { firedChecks, program, runSerial } from '../../helpers/program';

interface W {
  l: Spinlock;
  rcu: Rcu;
  probe: SharedObject;
  seen: string[];
}

describe('might_sleep', () => {
  it('a standalone may-sleep step is fine outside atomic context and a bug inside', () => {
    const kept = keepLastWorld((): W => ({ l: newSpinlock('l'), rcu: newRcu('rcu', { sleepIsQuiescent: true }), probe: { name: 'probe' }, seen: [] }));
    const p = program<W>({
      setup: kept.setup,
      threads: {
        a: function* (w) {
          const look = () =>
            perform<void>({ object: w.probe, access: 'read', label: 'probe', run: (self) => void w.seen.push(`${inAtomic(self)}/${wouldSleepInAtomic(self)}`) });
          yield* mightSleepStep('cond_resched()');
          yield* look();
          yield* rcuReadLock(w.rcu); // atomic, but sleeping there is only a quiescent state
          yield* look();
          yield* rcuReadUnlock(w.rcu);
          yield* spinLock(w.l);
          yield* look();
          yield* mightSleepStep('cond_resched()');
          yield* spinUnlock(w.l);
        },
      },
    });
    const t = runSerial(p);
    expect(firedChecks(t)).toEqual(['sleep-in-atomic']);
    expect(t.violations[0]!.message).toMatch(/cond_resched\(\).*atomic since step 6 \(spin_lock\(&l\)\)/);
    expect(kept.last().seen).toEqual(['false/false', 'true/false', 'true/true']);
  });
});

describe('mightSleepStep under sleepIsQuiescent: partial-order reduction sees the ended section', () => {
  it('dfs finds the grace period that starts before the sleep and ends because of it', () => {
    interface Q {
      r: Rcu;
      obj: Mortal;
      ptr: PlainField<Mortal | null>;
    }
    const p = program<Q>({
      setup: () => {
        const obj = newMortal('obj');
        return { r: newRcu('rcu', { sleepIsQuiescent: true }), obj, ptr: newPlainField<Mortal | null>('gp', obj) };
      },
      threads: {
        reader: function* (w) {
          yield* rcuReadLock(w.r);
          const o = yield* readOnce(w.ptr);
          yield* mightSleepStep('msleep(1)');
          if (o !== null) yield* derefStep(o, 'o->field');
          yield* rcuReadUnlock(w.r);
        },
        updater: function* (w) {
          yield* writeOnce(w.ptr, null);
          yield* synchronizeRcu(w.r);
          yield* kfree(w.obj);
        },
      },
    });
    expect(foundViolation(p, 'use-after-free')?.message).toMatch(/o->field/);
  });
});

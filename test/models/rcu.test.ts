import { describe, expect, it } from 'vitest';
import { derefStep, newMortal, type Mortal } from '../../models/kit/lifetime';
import { mightSleepStep } from '../../models/kit/might-sleep';
import { mutexLock, mutexUnlock, newMutex, type Mutex } from '../../models/mutex';
import { callRcu, kfreeRcu, newRcu, rcuReadLock, rcuReadUnlock, synchronizeRcu, type Rcu } from '../../models/rcu';
import { newPlainField, readOnce, writeOnce, type PlainField } from '../../models/plain-field';
import { keepLastWorld } from '../helpers/last-world';
import { foundViolation } from '../helpers/detectors';
import { exploreProgram, firedChecks, program, runSchedule, runSerial } from '../helpers/program';

interface W {
  r: Rcu;
  m: Mutex;
  obj: Mortal;
  readerInside: boolean;
  syncReturnedWhileReaderInside: boolean;
  callbackRan: boolean;
  callbackEarly: boolean;
  published: PlainField<Mortal | null>;
}
const world = (sleepIsQuiescent = false) => (): W => {
  const obj = newMortal('obj');
  return {
  r: newRcu('rcu', { sleepIsQuiescent }),
  m: newMutex('m'),
  obj,
  readerInside: false,
  syncReturnedWhileReaderInside: false,
  callbackRan: false,
  callbackEarly: false,
  published: newPlainField<Mortal | null>('gp', obj),
  };
};

function* reader(w: W) {
  yield* rcuReadLock(w.r);
  w.readerInside = true;
  yield* derefStep(w.obj, 'rcu_dereference(obj)->field');
  yield* rcuReadUnlock(w.r);
  w.readerInside = false;
}

describe('rcu', () => {
  it('synchronize_rcu waits for a reader that entered before it, not for later ones', () => {
    const p = program<W>({
      setup: world(),
      threads: {
        reader,
        updater: function* (w) {
          yield* synchronizeRcu(w.r);
          if (w.readerInside) w.syncReturnedWhileReaderInside = true;
        },
      },
      invariants: [{ id: 'grace-period', description: '', check: (w) => !w.syncReturnedWhileReaderInside || 'returned early' }],
    });
    expect(exploreProgram(p).kind).toBe('holds');
    expect(() => runSchedule(p, 'A B B')).toThrow(/B, which cannot run here/);
    // B's snapshot came before A entered: B returns while A is inside, and that is legal.
    const t = runSchedule(p, 'B A A A');
    expect(t.steps.map((s) => s.label)).toEqual([
      'synchronize_rcu()',
      'rcu_read_lock()',
      'rcu_dereference(obj)->field',
      'rcu_read_unlock()',
    ]);
    expect(runSchedule(p, 'A B A A B').steps[4]!.label).toBe('synchronize_rcu() waits for readers');
  });

  it('nested sections: the grace period waits for the outermost unlock', () => {
    const p = program<W>({
      setup: world(),
      threads: {
        reader: function* (w) {
          yield* rcuReadLock(w.r);
          yield* rcuReadLock(w.r);
          yield* rcuReadUnlock(w.r);
          yield* rcuReadUnlock(w.r);
        },
        updater: function* (w) {
          yield* synchronizeRcu(w.r);
        },
      },
    });
    expect(() => runSchedule(p, 'A B A B')).toThrow(/B, which cannot run here/);
    expect(() => runSchedule(p, 'A B A A B')).toThrow(/B, which cannot run here/);
    expect(runSchedule(p, 'A B A A A B').status).toBe('complete');
  });

  it('rcu_read_lock is atomic: sleeping inside is a bug that names the section', () => {
    const p = program<W>({
      setup: world(),
      threads: { a: function* (w) { yield* rcuReadLock(w.r); yield* mutexLock(w.m); yield* mutexUnlock(w.m); yield* rcuReadUnlock(w.r); } },
    });
    const t = runSchedule(p, 'A2');
    expect(firedChecks(t)).toEqual(['sleep-in-atomic']);
    expect(t.violations[0]!.message).toMatch(/mutex_lock\(&m\).*atomic since step 1 \(rcu_read_lock\(\)\)/);
  });

  it('synchronize_rcu inside a read section sleeps in atomic context', () => {
    const p = program<W>({ setup: world(), threads: { a: function* (w) { yield* rcuReadLock(w.r); yield* synchronizeRcu(w.r); } } });
    expect(firedChecks(runSerial(p))).toEqual(['sleep-in-atomic']);
  });

  it('rcu_read_unlock without a section is unlock-not-held; returning inside one is a lock leak', () => {
    expect(firedChecks(runSerial(program<W>({ setup: world(), threads: { a: function* (w) { yield* rcuReadUnlock(w.r); } } })))).toEqual([
      'unlock-not-held',
    ]);
    expect(firedChecks(runSerial(program<W>({ setup: world(), threads: { a: function* (w) { yield* rcuReadLock(w.r); } } })))).toEqual([
      'lock-leak',
    ]);
  });

  it('kfree_rcu after unpublishing: readers inside never see the object freed', () => {
    const kept = keepLastWorld(world());
    const p = program<W>({
      setup: kept.setup,
      threads: {
        reader: function* (w) {
          yield* rcuReadLock(w.r);
          const o = yield* readOnce(w.published, 'rcu_dereference(gp)');
          if (o) yield* derefStep(o, 'gp->field');
          yield* rcuReadUnlock(w.r);
        },
        updater: function* (w) {
          yield* writeOnce(w.published, null, 'rcu_assign_pointer(gp, NULL)');
          yield* kfreeRcu(w.r, w.obj);
        },
      },
    });
    expect(exploreProgram(p).kind).toBe('holds');
    // The reader got the pointer first: the free waits for its unlock, and runs inside that step.
    const t = runSchedule(p, 'A A B B A A');
    expect(t.violations).toEqual([]);
    expect(kept.last().obj.life).toBe('freed');
  });

  it('a dereference outside the section after kfree_rcu is a use after free naming both sides', () => {
    const p = program<W>({
      setup: world(),
      threads: {
        reader: function* (w) {
          yield* rcuReadLock(w.r);
          yield* rcuReadUnlock(w.r);
          yield* derefStep(w.obj, 'obj->field (no longer protected)');
        },
        freer: function* (w) { yield* kfreeRcu(w.r, w.obj); },
      },
    });
    const v = foundViolation(p, 'use-after-free');
    expect(v?.message).toMatch(/obj->field \(no longer protected\) by A \(reader\).*freed by .*kfree_rcu\(obj\) after a grace period \(queued by B \(freer\) at step \d+/);
  });

  it('call_rcu runs its callback once the sections running at the call have ended', () => {
    const kept = keepLastWorld(world());
    const p = program<W>({
      setup: kept.setup,
      threads: {
        reader: function* (w) {
          yield* rcuReadLock(w.r);
          w.readerInside = true;
          yield* rcuReadUnlock(w.r);
          w.readerInside = false;
        },
        caller: function* (w) {
          const insideAtCall = w.readerInside;
          yield* callRcu(w.r, 'cb(obj)', () => {
            if (insideAtCall && w.readerInside) w.callbackEarly = true;
            w.callbackRan = true;
          });
        },
      },
      invariants: [{ id: 'cb-after-gp', description: '', check: (w) => !w.callbackEarly || 'callback ran inside the grace period' }],
    });
    expect(exploreProgram(p).kind).toBe('holds');
    const t = runSchedule(p, 'A B A');
    expect(t.steps.map((x) => x.label)).toEqual(['rcu_read_lock()', 'call_rcu(cb(obj))', 'rcu_read_unlock()']);
    expect(kept.last().callbackRan).toBe(true);
  });

  it('sleepIsQuiescent: a sleeping reader is not reported, but ends the grace period under its feet', () => {
    const sleeper = function* (w: W) {
      yield* rcuReadLock(w.r);
      yield* mightSleepStep('msleep(1)');
      yield* derefStep(w.obj, 'obj->field after the sleep');
      yield* rcuReadUnlock(w.r);
    };
    const freer = function* (w: W) { yield* kfreeRcu(w.r, w.obj); };
    const quiescent = program<W>({ setup: world(true), threads: { sleeper, freer } });
    expect(firedChecks(runSchedule(quiescent, 'A B A A'))).toEqual(['use-after-free']);
    const strict = program<W>({ setup: world(false), threads: { sleeper, freer } });
    expect(firedChecks(runSchedule(strict, 'A B A'))).toEqual(['sleep-in-atomic']);
  });
});

describe('rcu callbacks: partial-order reduction sees what they free', () => {
  it('dfs finds a lockless dereference placed after the rcu_read_unlock whose grace period freed the object', () => {
    // why kfree_rcu inside the reader: the callback is then always queued, and only the unlock frees
    const p = program<{ r: Rcu; obj: Mortal }>({
      setup: () => ({ r: newRcu('rcu'), obj: newMortal('obj') }),
      threads: {
        lockless: function* (w) { yield* derefStep(w.obj, 'obj->field'); },
        reader: function* (w) {
          yield* rcuReadLock(w.r);
          yield* kfreeRcu(w.r, w.obj);
          yield* rcuReadUnlock(w.r);
        },
      },
    });
    expect(foundViolation(p, 'use-after-free')?.message).toMatch(/obj->field/);
  });
});

import { describe, expect, it } from 'vitest';
import { mutexLock, mutexTrylock, mutexUnlock, newMutex, type Mutex } from '../../../models/mutex';
import { downRead, downWrite, downWriteNestLock, newRwsem, upRead, upWrite, type Rwsem } from '../../../models/rwsem';
import { newSpinlock, spinLock, spinTrylock, spinUnlock, type Spinlock } from '../../../models/spinlock';
import type { Steps } from '../../../src/runtime/op';
import { checksFiredAnywhere } from '../../helpers/detectors';
import { firedChecks, program, runSchedule, runSerial } from '../../helpers/program';

interface W {
  x: Mutex;
  y: Mutex;
  z: Spinlock;
  av1: Rwsem;
  av2: Rwsem;
  all: Mutex;
}
const world = (): W => ({
  x: newMutex('x'),
  y: newMutex('y'),
  z: newSpinlock('z'),
  av1: newRwsem('av1->rwsem', { lockClass: 'anon_vma->rwsem' }),
  av2: newRwsem('av2->rwsem', { lockClass: 'anon_vma->rwsem' }),
  all: newMutex('mm_all_locks_mutex'),
});

function* xThenY(w: W): Steps {
  yield* mutexLock(w.x);
  yield* mutexLock(w.y);
  yield* mutexUnlock(w.y);
  yield* mutexUnlock(w.x);
}

function* yThenX(w: W): Steps {
  yield* mutexLock(w.y);
  yield* mutexLock(w.x);
  yield* mutexUnlock(w.x);
  yield* mutexUnlock(w.y);
}

describe('lockdep (lock-order)', () => {
  it('reports ABBA on a schedule that did not deadlock, with both acquisition sites', () => {
    const p = program<W>({ setup: world, threads: { a: xThenY, b: yThenX } });
    const t = runSchedule(p, 'A A A A B B B B');
    expect(t.status).toBe('violated');
    expect(firedChecks(t)).toEqual(['lock-order']);
    expect(t.violations[0]).toMatchObject({
      step: 6,
      fatal: false,
      state: 'y → x → y',
      message:
        'possible circular locking dependency y → x → y: ' +
        'x taken while holding y (B (b) at step 6 in mutex_lock(&x); y taken by B (b) at step 5 in mutex_lock(&y)); ' +
        'y taken while holding x (A (a) at step 2 in mutex_lock(&y); x taken by A (a) at step 1 in mutex_lock(&x))',
    });
  });

  it('the schedule that does deadlock spells the wait-for cycle out', () => {
    const t = runSchedule(program<W>({ setup: world, threads: { a: xThenY, b: yThenX } }), 'A B');
    expect(firedChecks(t)).toEqual(['deadlock']);
    expect(t.violations[0]!.message).toBe(
      'no thread can run: A (a) blocked in mutex_lock(&y) waiting for y held by B (b); B (b) blocked in mutex_lock(&x) waiting for x held by A (a)',
    );
  });

  it('a trylock inversion is not a cycle: no lock-order and no deadlock on any schedule', () => {
    const tryInverse = function* (w: W): Steps {
      yield* mutexLock(w.y);
      if (yield* mutexTrylock(w.x)) yield* mutexUnlock(w.x);
      yield* mutexUnlock(w.y);
    };
    expect(checksFiredAnywhere(program<W>({ setup: world, threads: { a: xThenY, b: tryInverse } }))).toEqual(new Set());
  });

  it('a lock taken by trylock still orders what is taken under it', () => {
    const outer = function* (w: W): Steps {
      if (!(yield* mutexTrylock(w.y))) return;
      yield* mutexLock(w.x);
      yield* mutexUnlock(w.x);
      yield* mutexUnlock(w.y);
    };
    expect(firedChecks(runSerial(program<W>({ setup: world, threads: { a: xThenY, b: outer } })))).toEqual(['lock-order']);
  });

  it('a three-lock cycle across three threads is found, each edge with its site', () => {
    const order = (first: keyof W, second: keyof W) =>
      function* (w: W): Steps {
        const a = w[first] as Mutex;
        const b = w[second] as Mutex;
        yield* mutexLock(a);
        yield* mutexLock(b);
        yield* mutexUnlock(b);
        yield* mutexUnlock(a);
      };
    const p = program<W>({ setup: world, threads: { a: order('x', 'y'), b: order('y', 'all'), c: order('all', 'x') } });
    const t = runSerial(p);
    expect(firedChecks(t)).toEqual(['lock-order']);
    expect(t.violations[0]!.state).toBe('mm_all_locks_mutex → x → y → mm_all_locks_mutex');
  });

  it('two locks of one class nested is recursive locking, unless under their nest lock', () => {
    const nested = function* (w: W): Steps {
      yield* downWrite(w.av1);
      yield* downWrite(w.av2);
      yield* upWrite(w.av2);
      yield* upWrite(w.av1);
    };
    const t = runSerial(program<W>({ setup: world, threads: { a: nested } }));
    expect(firedChecks(t)).toEqual(['lock-order']);
    expect(t.violations[0]!.message).toMatch(/recursive locking of class anon_vma->rwsem: A \(a\) at step 2 in down_write\(&av2->rwsem\) while already holding av1->rwsem/);
    const takeAllLocks = function* (w: W): Steps {
      yield* mutexLock(w.all);
      yield* downWriteNestLock(w.av1, w.all);
      yield* downWriteNestLock(w.av2, w.all);
      yield* upWrite(w.av2);
      yield* upWrite(w.av1);
      yield* mutexUnlock(w.all);
    };
    expect(runSerial(program<W>({ setup: world, threads: { a: takeAllLocks } })).violations).toEqual([]);
  });

  it('read acquisitions order like writes (rwsem readers are not recursive)', () => {
    const readThenX = function* (w: W): Steps {
      yield* downRead(w.av1);
      yield* mutexLock(w.x);
      yield* mutexUnlock(w.x);
      yield* upRead(w.av1);
    };
    const xThenWrite = function* (w: W): Steps {
      yield* mutexLock(w.x);
      yield* downWrite(w.av1);
      yield* upWrite(w.av1);
      yield* mutexUnlock(w.x);
    };
    const t = runSerial(program<W>({ setup: world, threads: { a: readThenX, b: xThenWrite } }));
    expect(t.violations.map((v) => v.state)).toEqual(['x → anon_vma->rwsem → x']);
  });

  it('a spinlock under a sleeping lock is fine; a trylock of a sleeping lock under a spinlock adds no edge', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) { yield* mutexLock(w.x); yield* spinLock(w.z); yield* spinUnlock(w.z); yield* mutexUnlock(w.x); },
        b: function* (w) {
          yield* spinLock(w.z);
          if (yield* mutexTrylock(w.x)) yield* mutexUnlock(w.x);
          yield* spinUnlock(w.z);
        },
      },
    });
    expect(checksFiredAnywhere(p)).toEqual(new Set());
  });

  it('each cycle is reported once per execution', () => {
    const twice = program<W>({ setup: world, threads: { a: xThenY, b: function* (w) { yield* yThenX(w); yield* yThenX(w); } } });
    expect(firedChecks(runSerial(twice))).toEqual(['lock-order']);
  });

  it('spin_trylock of a held lock fails without an edge', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) { yield* spinLock(w.z); yield* spinUnlock(w.z); },
        b: function* (w) { if (yield* spinTrylock(w.z)) yield* spinUnlock(w.z); },
      },
    });
    expect(checksFiredAnywhere(p)).toEqual(new Set());
  });
});

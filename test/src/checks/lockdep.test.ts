import { describe, expect, it } from 'vitest';
import { mutexLock, mutexTrylock, mutexUnlock, newMutex, type Mutex } from '../../../models/mutex';
import { downRead, downWrite, downWriteNestLock, newRwsem, upRead, upWrite, type Rwsem } from '../../../models/rwsem';
import { hardirq, softirq } from '../../../models/irq';
import {
  newSpinlock,
  spinLock,
  spinLockBh,
  spinLockIrq,
  spinLockIrqsave,
  spinTrylock,
  spinUnlock,
  spinUnlockBh,
  spinUnlockIrq,
  spinUnlockIrqrestore,
  type Spinlock,
} from '../../../models/spinlock';
import type { Steps } from '../../../src/runtime/op';
import type { ThreadBody } from '../../../src/runtime/scenario';
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

  it('a nest-lock acquisition of a class already held adds no dependency, as in the kernel (validate_chain)', () => {
    // av1, then x, then av2 nested: the kernel's lockdep records av1 → x only, never x → av2
    const interleaved = function* (w: W): Steps {
      yield* mutexLock(w.all);
      yield* downWriteNestLock(w.av1, w.all);
      yield* mutexLock(w.x);
      yield* downWriteNestLock(w.av2, w.all);
      yield* upWrite(w.av2);
      yield* mutexUnlock(w.x);
      yield* upWrite(w.av1);
      yield* mutexUnlock(w.all);
    };
    expect(runSerial(program<W>({ setup: world, threads: { a: interleaved } })).violations).toEqual([]);
    // the first lock of the class still adds its edges: x → anon_vma against anon_vma → x
    const xFirst = function* (w: W): Steps {
      yield* mutexLock(w.all);
      yield* mutexLock(w.x);
      yield* downWriteNestLock(w.av1, w.all);
      yield* upWrite(w.av1);
      yield* mutexUnlock(w.x);
      yield* mutexUnlock(w.all);
    };
    const t = runSerial(program<W>({ setup: world, threads: { a: interleaved, b: xFirst } }));
    expect(t.violations.map((v) => v.state)).toEqual(['x → anon_vma->rwsem → x']);
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

describe('lockdep (irq-lock-inversion)', () => {
  interface IW {
    l: Spinlock;
    m: Spinlock;
  }
  const irqWorld = (): IW => ({ l: newSpinlock('dev->lock'), m: newSpinlock('q->lock') });
  const irqProgram = (threads: Record<string, ThreadBody<IW>>) => program<IW>({ setup: irqWorld, threads });

  /** The interrupt handler: takes dev->lock in hardirq context. */
  const handler: ThreadBody<IW> = (w) => hardirq('dev_irq', (function* () { yield* spinLock(w.l); yield* spinUnlock(w.l); })());
  const plainTaker: ThreadBody<IW> = function* (w) { yield* spinLock(w.l); yield* spinUnlock(w.l); };
  const irqsaveTaker: ThreadBody<IW> = function* (w) {
    const f = yield* spinLockIrqsave(w.l);
    yield* spinUnlockIrqrestore(w.l, f);
  };

  it('fires for the classic case: a lock taken in hardirq and with IRQs on in process context, naming both sites', () => {
    const t = runSerial(irqProgram({ irq: handler, proc: plainTaker }));
    expect(firedChecks(t)).toEqual(['irq-lock-inversion']);
    expect(t.violations[0]).toMatchObject({
      fatal: false,
      step: 5,
      state: 'dev->lock: IN-HARDIRQ and HARDIRQ-ON',
      message:
        'inconsistent {IN-HARDIRQ} -> {HARDIRQ-ON} usage of lock class dev->lock: taken in hardirq context by A (irq) at step 2 ' +
        'in spin_lock(&dev->lock), and taken with hardirqs enabled by B (proc) at step 5 in spin_lock(&dev->lock); ' +
        'a hardirq arriving on the CPU that holds it spins on it forever',
    });
  });

  it('fires whichever use comes first', () => {
    const t = runSchedule(irqProgram({ irq: handler, proc: plainTaker }), 'B B A A A A');
    expect(firedChecks(t)).toEqual(['irq-lock-inversion']);
    expect(t.violations[0]!.step).toBe(4);
  });

  it('does not fire when the process-context taker uses spin_lock_irqsave or spin_lock_irq, on any schedule', () => {
    expect(checksFiredAnywhere(irqProgram({ irq: handler, proc: irqsaveTaker }))).toEqual(new Set());
    const irqTaker: ThreadBody<IW> = function* (w) { yield* spinLockIrq(w.l); yield* spinUnlockIrq(w.l); };
    expect(checksFiredAnywhere(irqProgram({ irq: handler, proc: irqTaker }))).toEqual(new Set());
  });

  it('spin_lock_bh does not make a hardirq lock safe, but does make a softirq lock safe', () => {
    const bhTaker: ThreadBody<IW> = function* (w) { yield* spinLockBh(w.l); yield* spinUnlockBh(w.l); };
    expect(firedChecks(runSerial(irqProgram({ irq: handler, proc: bhTaker })))).toEqual(['irq-lock-inversion']);
    const timer: ThreadBody<IW> = (w) => softirq('timer', (function* () { yield* spinLock(w.l); yield* spinUnlock(w.l); })());
    expect(checksFiredAnywhere(irqProgram({ timer, proc: bhTaker }))).toEqual(new Set());
    const t = runSerial(irqProgram({ timer, proc: plainTaker }));
    expect(firedChecks(t)).toEqual(['irq-lock-inversion']);
    expect(t.violations[0]!.state).toBe('dev->lock: IN-SOFTIRQ and SOFTIRQ-ON');
  });

  it('a trylock in the handler marks the class as used in hardirq context too, as lockdep does', () => {
    const tryHandler: ThreadBody<IW> = (w) =>
      hardirq('dev_irq', (function* () { if (yield* spinTrylock(w.l)) yield* spinUnlock(w.l); })());
    expect(firedChecks(runSerial(irqProgram({ irq: tryHandler, proc: plainTaker })))).toEqual(['irq-lock-inversion']);
  });

  it('HARDIRQ-safe -> HARDIRQ-unsafe through the lock order: names the path and both marks', () => {
    // dev->lock is hardirq-safe; q->lock is taken under it, and elsewhere with IRQs on.
    const nests: ThreadBody<IW> = function* (w) {
      const f = yield* spinLockIrqsave(w.l);
      yield* spinLock(w.m);
      yield* spinUnlock(w.m);
      yield* spinUnlockIrqrestore(w.l, f);
    };
    const qPlain: ThreadBody<IW> = function* (w) { yield* spinLock(w.m); yield* spinUnlock(w.m); };
    const t = runSerial(irqProgram({ irq: handler, nests, q: qPlain }));
    expect(firedChecks(t)).toEqual(['irq-lock-inversion']);
    expect(t.violations[0]!.state).toBe('dev->lock → q->lock');
    expect(t.violations[0]!.message).toBe(
      'HARDIRQ-safe -> HARDIRQ-unsafe lock order dev->lock → q->lock: dev->lock is taken in hardirq context by A (irq) at step 2 ' +
        'in spin_lock(&dev->lock); q->lock is taken with hardirqs enabled by C (q) at step 9 in spin_lock(&q->lock); ' +
        'q->lock taken while holding dev->lock (B (nests) at step 6 in spin_lock(&q->lock); dev->lock taken by B (nests) at step 5 ' +
        'in spin_lock_irqsave(&dev->lock)). A hardirq that takes dev->lock on a CPU holding q->lock, while another CPU holds ' +
        'dev->lock and waits for q->lock, deadlocks both',
    );
    // The edge completing the path can come last, too.
    expect(firedChecks(runSchedule(irqProgram({ irq: handler, nests, q: qPlain }), 'C C A A A A B B B B'))).toEqual(['irq-lock-inversion']);
    // Taking q->lock with IRQs off everywhere removes the hazard.
    const qIrqsave: ThreadBody<IW> = function* (w) {
      const f = yield* spinLockIrqsave(w.m);
      yield* spinUnlockIrqrestore(w.m, f);
    };
    expect(checksFiredAnywhere(irqProgram({ irq: handler, nests, q: qIrqsave }))).toEqual(new Set());
  });

  it('each inversion is reported once per execution', () => {
    const twice: ThreadBody<IW> = function* (w, self) { yield* plainTaker(w, self); yield* plainTaker(w, self); };
    expect(firedChecks(runSerial(irqProgram({ irq: handler, proc: twice })))).toEqual(['irq-lock-inversion']);
  });
});

describe('lockdep: must not fire', () => {
  it('two threads taking x then y, on every schedule: no lock-order, no deadlock', () => {
    expect(checksFiredAnywhere(program<W>({ setup: world, threads: { a: xThenY, b: xThenY } }))).toEqual(new Set());
  });

  it('locks taken one after the other (not nested) in both orders add no edge', () => {
    const xAlone = function* (w: W): Steps { yield* mutexLock(w.x); yield* mutexUnlock(w.x); yield* mutexLock(w.y); yield* mutexUnlock(w.y); };
    const yAlone = function* (w: W): Steps { yield* mutexLock(w.y); yield* mutexUnlock(w.y); yield* mutexLock(w.x); yield* mutexUnlock(w.x); };
    expect(checksFiredAnywhere(program<W>({ setup: world, threads: { a: xAlone, b: yAlone } }))).toEqual(new Set());
  });
});

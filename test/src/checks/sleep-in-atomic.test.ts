import { describe, expect, it } from 'vitest';
import { hardirq, localIrqRestore, localIrqSave } from '../../../models/irq';
import { mightSleepStep } from '../../../models/kit/might-sleep';
import { mutexLock, mutexUnlock, newMutex, type Mutex } from '../../../models/mutex';
import { newRcu, rcuReadLock, rcuReadUnlock, type Rcu } from '../../../models/rcu';
import { downRead, newRwsem, upRead, type Rwsem } from '../../../models/rwsem';
import { newSpinlock, spinLock, spinLockIrqsave, spinUnlock, spinUnlockIrqrestore, type Spinlock } from '../../../models/spinlock';
import { newSrcu, srcuReadLock, srcuReadUnlock, synchronizeSrcu, type Srcu } from '../../../models/srcu';
import type { Steps } from '../../../src/runtime/op';
import { firedChecks, program, runSerial } from '../../helpers/program';

interface W {
  l: Spinlock;
  l2: Spinlock;
  m: Mutex;
  s: Rwsem;
  rcu: Rcu;
  srcu: Srcu;
}
const world = (): W => ({ l: newSpinlock('l'), l2: newSpinlock('l2'), m: newMutex('m'), s: newRwsem('s'), rcu: newRcu(), srcu: newSrcu('srcu') });

const sleep = () => mightSleepStep('msleep(10)');

function run(body: (w: W) => Steps) {
  return runSerial(program<W>({ setup: world, threads: { a: body } }));
}

describe('sleep-in-atomic', () => {
  it('fires under a spinlock, naming the sleeping call and where the atomic section began', () => {
    const t = run(function* (w) { yield* spinLock(w.l); yield* spinLock(w.l2); yield* sleep(); });
    expect(firedChecks(t)).toEqual(['sleep-in-atomic']);
    expect(t.violations[0]).toMatchObject({
      step: 3,
      fatal: true,
      message: 'msleep(10): sleeping function called from invalid context: msleep(10) by A (a), atomic since step 1 (spin_lock(&l)), also holding spin_lock(&l2)',
    });
  });

  it('fires with IRQs off: spin_lock_irqsave, local_irq_save, hardirq context', () => {
    const irqsave = run(function* (w) { const f = yield* spinLockIrqsave(w.l); yield* sleep(); yield* spinUnlockIrqrestore(w.l, f); });
    expect(irqsave.violations[0]!.message).toMatch(/atomic since step 1 \(spin_lock_irqsave\(&l\): IRQs off\), also holding spin_lock_irqsave\(&l\)$/);
    const irqOff = run(function* () { yield* localIrqSave(); yield* sleep(); yield* localIrqRestore(); });
    expect(irqOff.violations[0]!.message).toMatch(/local_irq_save\(flags\)/);
    const irq = run(function* () { yield* hardirq('timer', sleep()); });
    expect(irq.violations[0]!.message).toMatch(/in hardirq timer/);
  });

  it('fires inside rcu_read_lock, but not inside srcu_read_lock', () => {
    expect(firedChecks(run(function* (w) { yield* rcuReadLock(w.rcu); yield* sleep(); yield* rcuReadUnlock(w.rcu); }))).toEqual(['sleep-in-atomic']);
    expect(firedChecks(run(function* (w) { const i = yield* srcuReadLock(w.srcu); yield* sleep(); yield* srcuReadUnlock(w.srcu, i); }))).toEqual([]);
  });

  it('does not fire under sleeping locks or after the atomic section ended', () => {
    expect(
      run(function* (w) {
        yield* mutexLock(w.m);
        yield* downRead(w.s);
        yield* sleep();
        yield* upRead(w.s);
        yield* mutexUnlock(w.m);
        yield* spinLock(w.l);
        yield* spinUnlock(w.l);
        yield* localIrqSave();
        yield* localIrqRestore();
        yield* sleep();
      }).violations,
    ).toEqual([]);
  });

  it('sleeping primitives check it themselves: synchronize_srcu under a spinlock', () => {
    const t = run(function* (w) { yield* spinLock(w.l); yield* synchronizeSrcu(w.srcu); yield* spinUnlock(w.l); });
    expect(t.violations[0]!.message).toMatch(/^synchronize_srcu\(&srcu\): sleeping function called from invalid context/);
  });

  it('local_irq_restore without a save is unlock-not-held', () => {
    expect(firedChecks(run(function* () { yield* localIrqRestore(); }))).toEqual(['unlock-not-held']);
  });
});

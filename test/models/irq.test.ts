import { describe, expect, it } from 'vitest';
import {
  hardirq,
  irqsDisabled,
  localBhDisable,
  localBhEnable,
  localIrqDisable,
  localIrqEnable,
  localIrqRestore,
  localIrqSave,
  softirq,
} from '../../models/irq';
import { mightSleepStep } from '../../models/kit/might-sleep';
import { perform, type Op, type SharedObject, type Steps } from '../../src/runtime/op';
import { firedChecks, program, runSerial } from '../helpers/program';

const dev: SharedObject = { name: 'dev' };

describe('irq context', () => {
  it('hardirq brackets its body with entry and exit steps and returns its result', () => {
    let got = 0;
    const p = program<object>({
      setup: () => ({}),
      threads: {
        irq: function* () {
          got = yield* hardirq('dev_irq', perform({ object: dev, access: 'write', label: 'ack', run: () => 7 }));
        },
      },
    });
    const t = runSerial(p);
    expect(t.steps.map((s) => s.label)).toEqual(['irq entry: dev_irq', 'ack', 'irq exit: dev_irq']);
    expect(got).toBe(7);
  });

  it('sleeping in hardirq or with IRQs off is a bug; a save without restore is a leak', () => {
    const sleepy = program<object>({ setup: () => ({}), threads: { irq: () => hardirq('dev_irq', mightSleepStep('mutex_lock(&dev->lock)')) } });
    expect(firedChecks(runSerial(sleepy))).toEqual(['sleep-in-atomic']);
    const leak = program<object>({ setup: () => ({}), threads: { a: () => localIrqSave() } });
    expect(firedChecks(runSerial(leak))).toEqual(['lock-leak']);
    const balanced = program<object>({ setup: () => ({}), threads: { a: function* () { yield* localIrqSave(); yield* localIrqRestore(); } } });
    expect(runSerial(balanced).violations).toEqual([]);
  });
});

describe('irq state: disable / enable, softirq context', () => {
  const run = (body: () => Steps) => runSerial(program<object>({ setup: () => ({}), threads: { a: body } }));

  it('local_irq_disable / local_irq_enable and local_bh_disable / local_bh_enable balance', () => {
    const seen: boolean[] = [];
    const t = runSerial(
      program<object>({
        setup: () => ({}),
        threads: {
          a: function* (_w, self) {
            yield* localIrqDisable();
            seen.push(irqsDisabled(self));
            yield* localIrqEnable();
            seen.push(irqsDisabled(self));
            yield* localBhDisable();
            yield* localBhDisable();
            yield* localBhEnable();
            yield* localBhEnable();
            seen.push(self.held.length === 0);
          },
        },
      }),
    );
    expect(t.violations).toEqual([]);
    expect(seen.slice(-3)).toEqual([true, false, true]);
  });

  it('hardirq context has IRQs off; softirq context has them on', () => {
    const seen: boolean[] = [];
    const probe: Op<void> = { object: dev, access: 'read', label: 'probe', run: (self) => void seen.push(irqsDisabled(self)) };
    run(function* () { yield* hardirq('dev', perform(probe)); yield* softirq('timer', perform(probe)); });
    expect(seen.slice(-2)).toEqual([true, false]);
  });

  it('sleeping in softirq context is a bug', () => {
    expect(run(() => softirq('tasklet', mightSleepStep('msleep(1)'))).violations[0]!.message).toMatch(/atomic since step 1 \(in softirq tasklet\)/);
  });

  it('local_irq_enable with IRQs on is unlock-not-held; inside a handler or a save it is bug-on', () => {
    expect(firedChecks(run(() => localIrqEnable()))).toEqual(['unlock-not-held']);
    const inHandler = run(() => hardirq('dev', localIrqEnable()));
    expect(firedChecks(inHandler)).toEqual(['bug-on']);
    expect(inHandler.violations[0]!.message).toMatch(/enabled interrupts inside a hardirq handler/);
    const underSave = run(function* () { yield* localIrqSave(); yield* localIrqDisable(); yield* localIrqEnable(); });
    expect(firedChecks(underSave)).toEqual(['bug-on']);
    expect(underSave.violations[0]!.message).toMatch(/begun at step 1 \(local_irq_save\(flags\)\)/);
  });

  it('local_bh_enable: unbalanced is unlock-not-held; in hardirq or with IRQs off it is bug-on', () => {
    expect(firedChecks(run(() => localBhEnable()))).toEqual(['unlock-not-held']);
    expect(firedChecks(run(function* () { yield* localBhDisable(); yield* hardirq('dev', localBhEnable()); }))).toEqual(['bug-on']);
    expect(firedChecks(run(function* () { yield* localBhDisable(); yield* localIrqSave(); yield* localBhEnable(); }))).toEqual(['bug-on']);
  });
});

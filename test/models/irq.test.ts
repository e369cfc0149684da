import { describe, expect, it } from 'vitest';
import { hardirq, localIrqRestore, localIrqSave } from '../../models/irq';
import { mightSleepStep } from '../../models/might-sleep';
import { perform, type SharedObject } from '../../src/runtime/op';
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

import { describe, expect, it } from 'vitest';
import { HARDIRQS_OFF, hardirqsEnabled, IN_HARDIRQ, IN_SOFTIRQ, irqStateBits, SOFTIRQS_OFF, softirqsEnabled, type IrqStateObject } from '../../../src/checks/irq-state';
import { fakeThreads } from '../../helpers/fake-thread';

const of = (irqState: IrqStateObject['irqState']): IrqStateObject => ({ name: irqState, irqState });

describe('irq state', () => {
  it('process context with nothing held: both enabled', () => {
    const { threads: [a] } = fakeThreads(1);
    a!.held.push({ object: { name: 'mutex' }, label: 'mutex_lock(&m)', step: 1, atomic: false });
    expect(irqStateBits(a!)).toBe(0);
    expect([hardirqsEnabled(0), softirqsEnabled(0)]).toEqual([true, true]);
  });

  it('hardirq context implies hardirqs off; softirq context implies softirqs off but hardirqs on', () => {
    const { threads: [a, b] } = fakeThreads(2);
    a!.held.push({ object: of('hardirq'), label: 'in hardirq', step: 1, atomic: true });
    expect(irqStateBits(a!)).toBe(IN_HARDIRQ | HARDIRQS_OFF);
    b!.held.push({ object: of('softirq'), label: 'in softirq', step: 1, atomic: true });
    const bits = irqStateBits(b!);
    expect(bits).toBe(IN_SOFTIRQ | SOFTIRQS_OFF);
    expect([hardirqsEnabled(bits), softirqsEnabled(bits)]).toEqual([true, false]);
  });

  it('softirqs count as enabled only while hardirqs are on too', () => {
    expect(softirqsEnabled(HARDIRQS_OFF)).toBe(false);
    expect(softirqsEnabled(SOFTIRQS_OFF)).toBe(false);
    expect(hardirqsEnabled(SOFTIRQS_OFF)).toBe(true);
  });
});

/**
 * A thread's interrupt state as lockdep's IRQ-safety rules see it: in hardirq or softirq context,
 * hardirqs or softirqs disabled. Models mark it by holding objects that declare an `irqState`
 * (models/irq.ts), so the state lives in the thread's `held` list like every other atomic section
 * and detectors read it without importing a model.
 */
import type { SharedObject, ThreadContext } from '../runtime/op';

/** What holding an object of this kind says about the CPU running the thread. */
export type IrqStateKind = 'hardirq' | 'softirq' | 'hardirqs-off' | 'softirqs-off';

/** An object whose holding changes the interrupt state (IRQs off, BH off, IRQ context). */
export interface IrqStateObject extends SharedObject {
  readonly irqState: IrqStateKind;
}

/** Bits of `irqStateBits`. */
export const IN_HARDIRQ = 1;
export const IN_SOFTIRQ = 2;
export const HARDIRQS_OFF = 4;
export const SOFTIRQS_OFF = 8;

const BIT: Readonly<Record<IrqStateKind, number>> = {
  hardirq: IN_HARDIRQ,
  softirq: IN_SOFTIRQ,
  'hardirqs-off': HARDIRQS_OFF,
  'softirqs-off': SOFTIRQS_OFF,
};

/** The kind of `o` when it is an interrupt-state object. */
export function irqStateKindOf(o: SharedObject): IrqStateKind | undefined {
  return (o as Partial<IrqStateObject>).irqState;
}

/**
 * The running thread's interrupt state as a bit set (no allocation: lockdep reads it on every lock
 * acquisition). Hardirq context implies hardirqs off, and softirq context softirqs off.
 */
export function irqStateBits(self: ThreadContext): number {
  let bits = 0;
  for (const h of self.held) {
    const kind = irqStateKindOf(h.object);
    if (kind !== undefined) bits |= BIT[kind];
  }
  if (bits & IN_HARDIRQ) bits |= HARDIRQS_OFF;
  if (bits & IN_SOFTIRQ) bits |= SOFTIRQS_OFF;
  return bits;
}

/** Hardirqs are on: an interrupt may arrive between any two steps. */
export function hardirqsEnabled(bits: number): boolean {
  return (bits & HARDIRQS_OFF) === 0;
}

/**
 * Softirqs can run: as lockdep's `softirqs_enabled`, only counted while hardirqs are on too (a
 * softirq runs on irq exit, which cannot happen while hardirqs are off).
 */
export function softirqsEnabled(bits: number): boolean {
  return (bits & (HARDIRQS_OFF | SOFTIRQS_OFF)) === 0;
}

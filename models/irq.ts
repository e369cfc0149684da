/**
 * Interrupt context and IRQ-off sections. `hardirq` runs a body as an interrupt handler would:
 * atomic throughout, so a may-sleep step inside is a bug. `localIrqSave` / `localIrqRestore`
 * disable and restore local interrupts around a section, which makes it atomic as well.
 */
import { perform, type SharedObject, type Steps } from '../src/runtime/op';
import { hold, release } from './held';
import { unlockNotHeld } from './lock-tracking';

// why one object for all CPUs: IRQ state is per thread (per CPU) and lives in the thread's `held`
// list; the object only names what is held, and its ops commute (they read the thread's own state).
const IRQS: SharedObject = { name: 'local IRQs' };
const HARDIRQ: SharedObject = { name: 'hardirq context' };

/** Runs `body` in hardirq context (an external event: a device interrupt, an IPI). */
export function* hardirq<T>(label: string, body: Steps<T>): Steps<T> {
  yield* perform<void>({ object: HARDIRQ, access: 'read', label: `irq entry: ${label}`, run: (self) => hold(self, HARDIRQ, `in hardirq ${label}`, true) });
  const result = yield* body;
  yield* perform<void>({ object: HARDIRQ, access: 'read', label: `irq exit: ${label}`, run: (self) => void release(self, HARDIRQ) });
  return result;
}

/** local_irq_save(flags): IRQs off on this CPU until the matching restore. */
export function* localIrqSave(): Steps<void> {
  yield* perform<void>({ object: IRQS, access: 'read', label: 'local_irq_save(flags)', run: (self) => hold(self, IRQS, 'local_irq_save(flags)', true) });
}

/** local_irq_restore(flags): IRQs back on; without a matching save, a bug. */
export function* localIrqRestore(): Steps<void> {
  yield* perform<void>({
    object: IRQS,
    access: 'read',
    label: 'local_irq_restore(flags)',
    run: (self) => {
      if (!release(self, IRQS)) unlockNotHeld(self, IRQS, 'local_irq_restore(flags)', 'were not disabled by local_irq_save');
    },
  });
}

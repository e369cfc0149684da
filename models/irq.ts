/**
 * Interrupt context and IRQ-off / BH-off sections.
 * - `hardirq` runs a body as an interrupt handler would, `softirq` as a softirq (or tasklet) would:
 *   atomic throughout, so a may-sleep step inside is a bug, and lockdep notes which lock classes
 *   are taken there.
 * - `localIrqSave` / `localIrqRestore` and `localIrqDisable` / `localIrqEnable` turn hardirqs off
 *   and back on; `localBhDisable` / `localBhEnable` do the same for softirqs. The spinlock variants
 *   (`spin_lock_irqsave`, `_irq`, `_bh`) call the run-level helpers below inside their own step.
 *
 * Kernel semantics kept: restoring or enabling what was never disabled is a bad unlock;
 * `local_irq_enable` / `spin_unlock_irq` inside an outer IRQs-off section (a local_irq_save, an
 * irqsave lock, a hardirq handler) turns IRQs on under code that relies on them being off — the
 * kernel WARNs "handler enabled interrupts" for the handler case — and is `bug-on`;
 * `local_bh_enable` with IRQs off or in hardirq context is the kernel's
 * `WARN_ON_ONCE(in_irq() || irqs_disabled())` in `__local_bh_enable_ip`, also `bug-on`.
 *
 * The state is a nesting of holdings in the thread's `held` list (one per disable), which matches
 * the kernel's saved-flags and preempt-count behaviour for properly nested code; the detectors read
 * it through src/checks/irq-state.ts.
 */
import { bugOn, HARDIRQS_OFF, IN_HARDIRQ, irqStateBits, irqStateKindOf, type IrqStateObject, type Op, perform, type Steps, type ThreadContext } from '../src/index';
import { hold, release } from './kit/held';
import { unlockNotHeld } from './kit/lock-tracking';

// why one object of each kind for all CPUs: IRQ state is per thread (per CPU) and lives in the
// thread's `held` list; the objects only name what is held, and their steps read only the thread's
// own state, so they commute with everything (`read` on an object no other op writes).
const IRQS: IrqStateObject = { name: 'local IRQs', irqState: 'hardirqs-off' };
const BH: IrqStateObject = { name: 'local softirqs', irqState: 'softirqs-off' };
const HARDIRQ: IrqStateObject = { name: 'hardirq context', irqState: 'hardirq' };
const SOFTIRQ: IrqStateObject = { name: 'softirq context', irqState: 'softirq' };

/** Whether the running thread has hardirqs off (or runs in hardirq context). */
export function irqsDisabled(self: ThreadContext): boolean {
  return (irqStateBits(self) & HARDIRQS_OFF) !== 0;
}

/** Inside an op's run: hardirqs off until the matching `restoreIrqs` / `enableIrqs`. */
export function disableIrqs(self: ThreadContext, label: string): void {
  hold(self, IRQS, label, true);
}

/** Inside an op's run: local_irq_restore(flags) — undo the most recent disable. */
export function restoreIrqs(self: ThreadContext, label: string): void {
  if (!release(self, IRQS)) unlockNotHeld(self, IRQS, label, 'were not disabled by a matching save');
}

/**
 * Inside an op's run: local_irq_enable() — IRQs on, unconditionally. Enabling them where they were
 * not disabled, or inside an outer IRQs-off section, is a bug (see the file comment).
 */
export function enableIrqs(self: ThreadContext, label: string): void {
  if (!release(self, IRQS)) {
    bugOn((irqStateBits(self) & IN_HARDIRQ) !== 0, `${label} by ${self.letter} (${self.name}) enabled interrupts inside a hardirq handler`);
    unlockNotHeld(self, IRQS, label, 'were already enabled');
  }
  const outer = self.held.find((h) => {
    const kind = irqStateKindOf(h.object);
    return kind === 'hardirqs-off' || kind === 'hardirq';
  });
  bugOn(
    outer !== undefined,
    `${label} by ${self.letter} (${self.name}) turned IRQs on inside an IRQs-off section begun at step ${outer?.step} (${outer?.label})`,
    `${self.letter}: IRQs on, expected off since ${outer?.label}`,
  );
}

/** Inside an op's run: local_bh_disable(). */
export function disableBh(self: ThreadContext, label: string): void {
  hold(self, BH, label, true);
}

/** Inside an op's run: local_bh_enable(). Unbalanced, in hardirq or with IRQs off, a bug. */
export function enableBh(self: ThreadContext, label: string): void {
  const bits = irqStateBits(self);
  bugOn(
    (bits & HARDIRQS_OFF) !== 0,
    `${label} by ${self.letter} (${self.name}) with IRQs off or in hardirq context: WARN_ON_ONCE(in_irq() || irqs_disabled())`,
  );
  if (!release(self, BH)) unlockNotHeld(self, BH, label, 'were not disabled (softirq count underflow)');
}

/** Runs `body` in hardirq context (an external event: a device interrupt, an IPI). */
export function* hardirq<T>(label: string, body: Steps<T>): Steps<T> {
  return yield* inContext(HARDIRQ, 'irq', `in hardirq ${label}`, label, body);
}

/** Runs `body` as a softirq handler (a timer, a tasklet, RCU callbacks): IRQs on, BH off. */
export function* softirq<T>(label: string, body: Steps<T>): Steps<T> {
  return yield* inContext(SOFTIRQ, 'softirq', `in softirq ${label}`, label, body);
}

function* inContext<T>(ctx: IrqStateObject, kind: string, heldLabel: string, label: string, body: Steps<T>): Steps<T> {
  yield* perform<void>({ object: ctx, access: 'read', label: `${kind} entry: ${label}`, run: (self) => hold(self, ctx, heldLabel, true) });
  const result = yield* body;
  yield* perform<void>({ object: ctx, access: 'read', label: `${kind} exit: ${label}`, run: (self) => void release(self, ctx) });
  return result;
}

// why module constants: these ops capture nothing per call, so each is allocated once.
const LOCAL_IRQ_SAVE = irqOp(IRQS, 'local_irq_save(flags)', disableIrqs);
const LOCAL_IRQ_RESTORE = irqOp(IRQS, 'local_irq_restore(flags)', restoreIrqs);
const LOCAL_IRQ_DISABLE = irqOp(IRQS, 'local_irq_disable()', disableIrqs);
const LOCAL_IRQ_ENABLE = irqOp(IRQS, 'local_irq_enable()', enableIrqs);
const LOCAL_BH_DISABLE = irqOp(BH, 'local_bh_disable()', disableBh);
const LOCAL_BH_ENABLE = irqOp(BH, 'local_bh_enable()', enableBh);

function irqOp(object: IrqStateObject, label: string, run: (self: ThreadContext, label: string) => void): Op<void> {
  return { object, access: 'read', label, run: (self) => run(self, label) };
}

/** local_irq_save(flags): IRQs off on this CPU until the matching restore. */
export function* localIrqSave(): Steps<void> {
  yield* perform(LOCAL_IRQ_SAVE);
}

/** local_irq_restore(flags): back to the state before the matching save; without one, a bug. */
export function* localIrqRestore(): Steps<void> {
  yield* perform(LOCAL_IRQ_RESTORE);
}

/** local_irq_disable(). */
export function* localIrqDisable(): Steps<void> {
  yield* perform(LOCAL_IRQ_DISABLE);
}

/** local_irq_enable(): IRQs on, whatever the nesting. */
export function* localIrqEnable(): Steps<void> {
  yield* perform(LOCAL_IRQ_ENABLE);
}

/** local_bh_disable(): softirqs off on this CPU (nests). */
export function* localBhDisable(): Steps<void> {
  yield* perform(LOCAL_BH_DISABLE);
}

/** local_bh_enable(): undo one local_bh_disable. */
export function* localBhEnable(): Steps<void> {
  yield* perform(LOCAL_BH_ENABLE);
}

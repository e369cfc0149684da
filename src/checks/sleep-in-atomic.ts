/**
 * might_sleep(): a step that may sleep is a bug while the thread is atomic — it holds a spinlock or
 * bit spinlock (preemption off), has IRQs off, runs in IRQ context, or is inside a non-preemptible
 * rcu_read_lock section. Sleeping primitives call this from their op's `run`, before they take
 * anything, and it names where the atomic section began.
 *
 * Unlike the kernel, which prints the splat and goes on, the finding is fatal: what a sleeping
 * atomic thread does next is not the code's behaviour but the scheduler's, and the trace should stop
 * where the bug is. An object held atomically may instead declare that sleeping merely ends its
 * section (`QuiescentOnSleep`, the classic-RCU option that shows what sleeping readers lead to).
 */
import { KernelFault } from '../runtime/errors';
import type { HeldResource, SharedObject, ThreadContext } from '../runtime/op';

/**
 * Implemented by atomic resources for which sleeping is not reported but changes the resource's
 * state (an RCU domain whose grace periods treat a sleeping reader as quiescent).
 */
export interface QuiescentOnSleep extends SharedObject {
  /** When true, sleeping while holding this is not reported; `quiesce` runs instead. */
  readonly sleepIsQuiescent: boolean;
  /** The holder is about to sleep: end whatever its sleep ends (the reader's grace-period hold). */
  quiesce(self: ThreadContext): void;
}

function excused(o: SharedObject): o is QuiescentOnSleep {
  return (o as Partial<QuiescentOnSleep>).sleepIsQuiescent === true;
}

/** The outermost atomic holding of the running thread, or undefined when it may sleep. */
export function atomicSection(self: ThreadContext): HeldResource | undefined {
  for (const h of self.held) if (h.atomic) return h;
  return undefined;
}

/** Whether the running thread is in atomic context. Pure: blocked ops may call it from `enabled`. */
export function inAtomic(self: ThreadContext): boolean {
  return atomicSection(self) !== undefined;
}

/**
 * Whether `mightSleep` would fault now. Sleeping ops use it in `enabled` so that a thread about to
 * sleep in atomic context runs (and faults) rather than blocking and hiding the bug behind a
 * deadlock report.
 */
export function wouldSleepInAtomic(self: { readonly held: readonly HeldResource[] }): boolean {
  for (const h of self.held) if (h.atomic && !excused(h.object)) return true;
  return false;
}

/** Throws sleep-in-atomic when the running thread may not sleep; `label` is the sleeping call. */
export function checkMightSleep(self: ThreadContext, label: string): void {
  let culprit: HeldResource | undefined;
  for (const h of self.held) if (h.atomic && !excused(h.object)) culprit ??= h;
  if (culprit === undefined) {
    for (const h of self.held) if (h.atomic && excused(h.object)) h.object.quiesce(self);
    return;
  }
  const others = self.held.filter((h) => h.atomic && h !== culprit).map((h) => h.label);
  throw new KernelFault(
    'sleep-in-atomic',
    `sleeping function called from invalid context: ${label} by ${self.letter} (${self.name}), atomic since ` +
      `step ${culprit.step} (${culprit.label})` + (others.length ? `, also holding ${others.join(', ')}` : ''),
    `${self.letter} atomic: ${self.held.filter((h) => h.atomic).map((h) => h.label).join(', ')}`,
  );
}

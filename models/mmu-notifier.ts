/**
 * The per-mm mmu-notifier list (v3.7–v3.10 shape: `mm->mmu_notifier_mm` with an hlist and a
 * spinlock, one global SRCU domain) and notifiers whose ->release callback counts its calls.
 *
 * Ghost state (`releaseCalls`, `inRelease`) is only read by invariants; no modeled step reads it,
 * so it never changes a schedule.
 */
import { perform, type SharedObject, type Steps } from '../src/runtime/op';
import { hlistAddHeadAtSetup, newHlistHead, newHlistNode, type HlistHead, type HlistNode } from './hlist-rcu';
import { newSpinlock, type Spinlock } from './spinlock';

/** struct mmu_notifier_mm: the list of notifiers registered on one mm, and its lock. */
export interface MmuNotifierMm extends SharedObject {
  readonly lock: Spinlock;
  readonly list: HlistHead;
  /** container_of(node, struct mmu_notifier, hlist). */
  readonly byNode: Map<HlistNode, MmuNotifier>;
}

/** struct mmu_notifier with its ->release callback. */
export interface MmuNotifier extends SharedObject {
  readonly hlist: HlistNode;
  /** Ghost: how many times ->release has been entered. */
  releaseCalls: number;
  /** Ghost: how many threads are inside ->release right now. */
  inRelease: number;
}

export function newMmuNotifierMm(mmName = 'mm'): MmuNotifierMm {
  const lock = newSpinlock(`${mmName}->mmu_notifier_mm->lock`);
  const list = newHlistHead(`${mmName}->mmu_notifier_mm->list`, lock);
  return { name: `${mmName}->mmu_notifier_mm`, lock, list, byNode: new Map() };
}

/** A notifier already registered when the threads start (registration is not part of the race). */
export function registeredNotifier(mm: MmuNotifierMm, name: string): MmuNotifier {
  const mn: MmuNotifier = { name, hlist: newHlistNode(`${name}->hlist`, mm.list), releaseCalls: 0, inRelease: 0 };
  hlistAddHeadAtSetup(mn.hlist, mm.list);
  mm.byNode.set(mn.hlist, mn);
  return mn;
}

/** hlist_entry(node, struct mmu_notifier, hlist). */
export function notifierOf(mm: MmuNotifierMm, node: HlistNode): MmuNotifier {
  const mn = mm.byNode.get(node);
  if (!mn) throw new Error(`${node.name} is not the hlist of a notifier of ${mm.name}`);
  return mn;
}

/**
 * mn->ops->release(mn, mm): two steps, entry and return, because the callback may sleep and other
 * threads can run while it is in flight (what INV-UNREG-QUIESCENT and INV-EXIT-AFTER-RELEASE need).
 */
export function* callRelease(mn: MmuNotifier): Steps<void> {
  yield* perform<void>({
    object: mn,
    access: 'write',
    label: `${mn.name}->ops->release()`,
    run: () => {
      mn.releaseCalls++;
      mn.inRelease++;
    },
  });
  yield* perform<void>({
    object: mn,
    access: 'write',
    label: `${mn.name}->ops->release() returns`,
    run: () => {
      mn.inRelease--;
    },
  });
}

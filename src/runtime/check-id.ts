/**
 * Stable names of the built-in checks. The same string appears in text output, JSON, replay
 * tokens' reports and a variant's `expect`. Scenario invariants use their own kebab-case ids.
 */
export const BUILTIN_CHECKS = {
  oops: 'kernel oops: NULL or poison pointer dereference reported by a primitive',
  'bug-on': 'BUG_ON / WARN_ON / lockdep_assert_held: a kernel assertion failed',
  deadlock: 'no thread can run but some have not finished (who waits on what is spelled out)',
  'lock-leak': 'a thread ended while still holding a lock or read-side section',
  'range-not-ended': 'a thread ended with an mmu_notifier_invalidate_range_start that no invalidate_range_end of it closed',
  'reference-leak': 'a thread ended holding a page reference it took (get_page, get_user_pages, get_page_unless_zero) that it neither put nor handed to a declared keeper',
  'unlock-not-held': 'unlock of a lock (or section) the thread does not hold: double unlock, unlock by a non-owner',
  'sleep-in-atomic': 'a step that may sleep ran while holding a spinlock, with IRQs off or inside rcu_read_lock',
  'lock-order': 'lockdep: the lock-class order graph has a cycle (a potential deadlock, even if this schedule ran through)',
  'irq-lock-inversion': 'lockdep IRQ safety: a lock class taken in hardirq/softirq context is also taken with that interrupt enabled, directly or through the lock order',
  'reclaim-inversion': 'a lock taken inside memory reclaim is also held across an allocation that may enter reclaim',
  'use-after-free': 'an object with a lifetime was accessed after it was freed, or freed twice',
  refcount: 'refcount underflow, increment from zero, or a put on an object already freed',
  assertion: 'an assertion in the model failed: node:assert, vitest or chai expect (an AssertionError) in thread code, an op or an invariant',
  'data-race': 'two accesses to one plain field from different threads, one a write, not ordered by locks, grace periods or atomics',
} as const;

export type BuiltinCheckId = keyof typeof BUILTIN_CHECKS;

/** A built-in check id, or a scenario invariant's id. */
export type CheckId = BuiltinCheckId | (string & {});

export function isBuiltinCheck(id: string): id is BuiltinCheckId {
  return Object.hasOwn(BUILTIN_CHECKS, id);
}

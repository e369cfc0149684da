/**
 * Stable names of the built-in checks. The same string appears in text output, JSON, replay
 * tokens' reports and a variant's `expect`. Scenario invariants use their own kebab-case ids.
 */
export const BUILTIN_CHECKS = {
  oops: 'kernel oops: NULL or poison pointer dereference reported by a primitive',
  'bug-on': 'BUG_ON / WARN_ON / lockdep_assert_held: a kernel assertion failed',
  deadlock: 'no thread can run but some have not finished (who waits on what is spelled out)',
  'lock-leak': 'a thread ended while still holding a lock or read-side section',
  'unlock-not-held': 'unlock of a lock (or section) the thread does not hold',
} as const;

export type BuiltinCheckId = keyof typeof BUILTIN_CHECKS;

/** A built-in check id, or a scenario invariant's id. */
export type CheckId = BuiltinCheckId | (string & {});

export function isBuiltinCheck(id: string): id is BuiltinCheckId {
  return Object.hasOwn(BUILTIN_CHECKS, id);
}

import type { BuiltinCheckId } from './check-id';

/**
 * What a thread announces at a `yield`: the next kernel step, before it happens.
 *
 * Announcing before acting is the contract the whole checker rests on: the explorer learns who
 * is blocked (`enabled`) and which steps commute (`object` + `access`) without running anything.
 */

/**
 * What `Op.enabledAt` may know of the thread that waits, none of which changes while it waits: its
 * id and what it holds (`wouldSleepInAtomic(waiter)`: a sleeping step in atomic context runs, and
 * faults, rather than waits).
 */
export interface Waiter {
  /** ThreadContext.id. */
  readonly id: number;
  /** ThreadContext.held as it was while the step was pending. */
  readonly held: readonly HeldResource[];
}

/** A piece of shared state that ops touch. Its name is its identity across executions. */
export interface SharedObject {
  /** Unique within one world, stable across executions (`mm->notifier_lock`, `mn->hlist`). */
  readonly name: string;
  /**
   * The object's state as far as the `enabled` of ops gated on it can tell, as one number (the
   * owner's id + 1 of a lock, a completion's count). Declared together with `Op.enabledAt`; weft
   * records it before every step that changes the object, which lets the partial-order reduction
   * decide whether a waiting step could run at a reordered point without running it (no abandoned
   * execution). It must read only this object, and only steps that declare a non-`read` access to
   * it may change it; the audit checks that `enabledAt` agrees with `enabled` on it.
   */
  stateKey?(): number;
  /**
   * For an object whose changes by different threads commute (the entries and exits of a
   * read-side domain), the part of its state that thread `thread`'s own steps set, with
   * `stateKey()` the least of the parts over all threads (the oldest active section). Lets the
   * reduction recompose the state when some threads' changes are reordered away and others' stay.
   * Only the thread's own steps, with a non-`read` access to this object, may change its part.
   */
  threadKey?(thread: number): number;
}

/**
 * How an op touches its object. The dependency relation reads only this and the object:
 * - `read`: commutes with other reads of the object.
 * - `write`: conflicts with everything on the object.
 * - `acquire` / `release`: lock operations; conflict with every op on the same lock.
 * - `rcu-enter` / `rcu-exit`: entering or leaving a read-side section of an RCU/SRCU domain;
 *   commute with each other, conflict with `rcu-sync`.
 * - `rcu-sync`: a grace-period operation on the domain (snapshot or wait).
 */
export type Access = 'read' | 'write' | 'acquire' | 'release' | 'rcu-enter' | 'rcu-exit' | 'rcu-sync';

/** A lock, SRCU section or other resource a thread holds; the lock-leak check reads these. */
export interface HeldResource {
  /** The lock or domain. */
  readonly object: SharedObject;
  /** The kernel call that took it (`spin_lock(&mm->notifier_lock)`). */
  readonly label: string;
  /** 1-based step number at which it was taken. */
  readonly step: number;
  /**
   * Whether holding it makes the context atomic (a spinlock, rcu_read_lock, IRQs off): a step
   * that may sleep is then a bug. SRCU sections, mutexes and rwsems are not atomic.
   */
  readonly atomic: boolean;
}

/** An object an op touches besides its own (`Op.alsoTouches`). */
export interface OtherTouch {
  readonly object: SharedObject;
  readonly access: Access;
  /**
   * The op's `enabled` reads this object too (a wait on a condition over several objects): a
   * write to it can then unblock the step, and the explorer orders the two accordingly.
   */
  readonly readByEnabled?: boolean;
}

/** The running thread as models see it: who is acting, and what it holds. */
export interface ThreadContext {
  /** Index in declaration order; also the thread's position in schedules. */
  readonly id: number;
  /** Role name from the scenario (`unregister`). */
  readonly name: string;
  /** Display letter (A, B, …) used in tables and replay tokens. */
  readonly letter: string;
  /** Locks and read sections held, in acquisition order. Models push and remove entries. */
  readonly held: HeldResource[];
  /** 1-based number of the step being executed (for HeldResource.step). */
  readonly step: number;
  /**
   * Ghost state of the current execution, shared by all threads and cleared before each one:
   * detectors keep their books here (lock-class graph, vector clocks). No modeled step may read
   * it to decide what to do, so it never changes a schedule.
   */
  readonly ghost: Map<string, unknown>;
  /**
   * Report a finding that does not stop the kernel (a lockdep splat, a WARN_ON): recorded as a
   * violation of `check`, and the execution goes on. Faults that stop it are thrown as KernelFault.
   */
  warn(check: BuiltinCheckId, message: string, state?: string): void;
}

/**
 * One announced kernel step. Models usually allocate their ops once per object (in setup), so
 * the hot loop allocates nothing per step; the thread acting is passed in, not captured.
 */
export interface Op<R = unknown> {
  /** The shared object this step touches. */
  readonly object: SharedObject;
  /** How it touches it (see `Access`). */
  readonly access: Access;
  /** Kernel-terms label shown in traces: `hlist_del_rcu(&mn->hlist)`. */
  readonly label: string;
  /**
   * Other objects the step's `run` reads or writes besides `object` (a plain field checking that
   * its container is still alive, a callback run from rcu_read_unlock). Partial-order reduction
   * is sound only if every object a step touches is declared here or as `object`. `enabled` may
   * read `object`, the acting thread, and the entries marked `readByEnabled`.
   */
  readonly alsoTouches?: readonly OtherTouch[];
  /**
   * Whether the step can run now; absent means always. A blocked thread is not a choice. It may
   * read only `object`, the acting thread and the `alsoTouches` entries marked `readByEnabled`:
   * the explorer learns that a write can unblock the step from those declarations alone.
   */
  readonly enabled?: (self: ThreadContext) => boolean;
  /**
   * `enabled` as a function of the object's `stateKey()` and of what stays fixed about the thread
   * while the step is pending (`Waiter`). Optional: without it a reordering to a point where the
   * step had not yet been announced is tried, and costs an abandoned execution when it cannot run.
   * Requires `enabled` and `object.stateKey`, and no `readByEnabled` entries; in audit executions
   * weft checks that the two agree at every point the step waits at (a difference is a model error).
   */
  readonly enabledAt?: (key: number, waiter: Waiter) => boolean;
  /**
   * `enabled` restated as a condition on a copy of the object's data, for an object without
   * `stateKey` (awaitUntil declares it): weft then records the object's plain data (primitives,
   * arrays, Maps, Sets, plain objects) before every step that changes it and decides from that
   * copy whether the step could run at a reordered point, without running it. It may read only
   * the copies, not the thread. A condition over several objects gets copies of the
   * `alsoTouches` objects it marks `readByEnabled` as `others`, in their declared order. Requires
   * `enabled`; in audit executions weft checks that it agrees with `enabled` at every point the
   * step waits at.
   */
  readonly enabledOn?: (copy: SharedObject, others: readonly SharedObject[]) => boolean;
  /** For a blocked step: what it waits for, in kernel terms (`L.lock held by B`). */
  readonly waitsFor?: (self: ThreadContext) => string;
  /** The effect. Runs only when the scheduler picks this thread; its value goes back to the thread. */
  readonly run: (self: ThreadContext) => R;
  /**
   * A nondeterministic choice (models/choose.ts): when set, the step's result is a whole number
   * 0 ≤ v < choices picked by the explorer, which explores every value (`run` is not called).
   */
  readonly choices?: number;
}

/** A thread body's generator type: yields ops, receives their results, returns R. */
export type Steps<R = void> = Generator<Op, R, unknown>;

/**
 * Announce one op and receive its result with its proper type. Models build their helpers on this
 * so that `yield*` in a thread body stays typed.
 */
export function* perform<R>(op: Op<R>): Steps<R> {
  return (yield op) as R;
}

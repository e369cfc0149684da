/**
 * struct rw_semaphore: many readers or one writer; every blocking acquisition may sleep.
 *
 * By default it orders waiters as kernel/locking/rwsem.c (v5.3 and later) does before a handoff:
 * - A reader that finds waiters queues behind them while readers own the lock (so a recursive
 *   down_read behind a waiting writer deadlocks), but when nobody owns it — a writer has just
 *   released it and the woken waiter has not run yet — the reader may take it ahead of the queued
 *   writer (rwsem_down_read_slowpath's reader optimistic lock stealing).
 * - Writers are not FIFO: whichever writer runs when the lock is free takes it, queued or newly
 *   arrived (optimistic spinning, rwsem_try_write_lock_unqueued).
 * - RWSEM_FLAG_HANDOFF, which the first waiter sets after RWSEM_WAIT_TIMEOUT and which then stops
 *   both kinds of stealing, is not modelled: it only removes schedules (any schedule is one where
 *   the timeout has not yet expired), so leaving it out hides no interleaving.
 * The option `strict` is the textbook writer-preferring lock instead: readers wait behind any
 * queued writer, and writers get the lock in arrival order.
 *
 * down_write is two steps: the first takes the lock if it can, or else queues the writer, which
 * makes the queued writer visible to readers; the second waits until the lock is the writer's.
 * Trylocks never sleep and add no lockdep edge; they fail whenever a waiter is queued or the lock
 * is held against them (RWSEM_FLAG_WAITERS makes the fast paths fail).
 * up_read / up_write / downgrade_write by a thread that does not hold the lock that way is a bug.
 */
import { type Op, perform, type SharedObject, type Steps, type ThreadContext, threadName } from '../src/index';
import { hold, release } from './kit/held';
import { describeOwner, lockAcquired, lockReleased, unlockNotHeld, type AcquireHow, type LockObject, type LockOptions } from './kit/lock-tracking';
import { mightSleep, SLEEPS, wouldSleepInAtomic } from './kit/might-sleep';
import { withOps } from './kit/with-ops';

export interface RwsemOptions extends LockOptions {
  /** Readers always wait behind a queued writer and writers are FIFO; default false (Linux's order). */
  readonly strict?: boolean;
}

export interface Rwsem extends LockObject {
  /** The `strict` option: textbook writer preference instead of Linux's order. */
  readonly strict: boolean;
  /** The writer holding it, or null. */
  writer: ThreadContext | null;
  // invariant: readers maps each thread holding read locks to how many it holds (> 0)
  readonly readers: Map<ThreadContext, number>;
  // invariant: writers that queued in down_write, in arrival order
  readonly waitingWriters: ThreadContext[];
  /** The ops of this rwsem, allocated once. */
  readonly ops: {
    readonly downRead: Op<void>;
    readonly upRead: Op<void>;
    readonly downWrite: Op<boolean>;
    readonly downWriteWait: Op<void>;
    readonly upWrite: Op<void>;
    readonly downReadTrylock: Op<boolean>;
    readonly downWriteTrylock: Op<boolean>;
    readonly downgradeWrite: Op<void>;
  };
}

/** Whether a blocking down_read gets the lock now. */
function canRead(s: Rwsem): boolean {
  if (s.writer !== null) return false;
  if (s.waitingWriters.length === 0) return true;
  // why readers.size: rwsem_down_read_slowpath does not steal a lock that readers own
  return !s.strict && s.readers.size === 0;
}

/** down_read_trylock: the fast path, which fails as soon as a waiter is queued. */
function canTryRead(s: Rwsem): boolean {
  return s.writer === null && s.waitingWriters.length === 0;
}

function canWrite(s: Rwsem): boolean {
  return s.writer === null && s.readers.size === 0;
}

/** Whether `self`, arriving or queued, may take the free lock ahead of the queued writers. */
function writerMayTake(s: Rwsem, self: ThreadContext): boolean {
  if (!canWrite(s)) return false;
  if (!s.strict) return true;
  return s.waitingWriters.length === 0 || s.waitingWriters[0] === self;
}

// the bits of an rwsem's stateKey: what canRead, canWrite and writerMayTake read, and the first
// queued writer's id + 1 times KEY_FIRST (strict order)
const KEY_WRITER = 1;
const KEY_READERS = 2;
const KEY_QUEUED = 4;
const KEY_FIRST = 8;

function rwsemKey(this: Rwsem): number {
  const first = this.waitingWriters[0];
  const held = (this.writer !== null ? KEY_WRITER : 0) + (this.readers.size > 0 ? KEY_READERS : 0);
  return first === undefined ? held : held + KEY_QUEUED + (first.id + 1) * KEY_FIRST;
}

/** canRead, canWrite and writerMayTake on a stateKey. */
function canReadAt(strict: boolean, k: number): boolean {
  if ((k & KEY_WRITER) !== 0) return false;
  if ((k & KEY_QUEUED) === 0) return true;
  return !strict && (k & KEY_READERS) === 0;
}

function canWriteAt(k: number): boolean {
  return (k & (KEY_WRITER | KEY_READERS)) === 0;
}

/** Whether an rwsem whose stateKey is `k` is held by nobody (queued writers aside): for helpers that take and drop it in one step. */
export function rwsemUnheldAt(k: number): boolean {
  return canWriteAt(k);
}

function writerMayTakeAt(strict: boolean, k: number, id: number): boolean {
  if (!canWriteAt(k)) return false;
  return !strict || (k & KEY_QUEUED) === 0 || Math.floor(k / KEY_FIRST) === id + 1;
}

function describeHolders(s: Rwsem, self: ThreadContext): string {
  if (s.writer) return `${s.name} held for write by ${describeOwner(s.writer, self)}`;
  const readers = [...s.readers.keys()].map((t) => describeOwner(t, self));
  const waiting = s.waitingWriters.filter((t) => t !== self).map(threadName);
  const parts = [];
  if (readers.length) parts.push(`${s.name} held for read by ${readers.join(', ')}`);
  if (waiting.length) parts.push(`writer ${waiting.join(', ')} queued on ${s.name}`);
  return parts.join(' and ') || `${s.name} (free)`;
}

function takeRead(s: Rwsem, self: ThreadContext, label: string, how: Omit<AcquireHow, 'atomic'>): void {
  s.readers.set(self, (s.readers.get(self) ?? 0) + 1);
  lockAcquired(self, s, label, { atomic: false, ...how });
}

function takeWrite(s: Rwsem, self: ThreadContext, label: string, how: Omit<AcquireHow, 'atomic'>): void {
  s.writer = self;
  lockAcquired(self, s, label, { atomic: false, ...how });
}

function downReadOp(s: Rwsem, label: string, how: Omit<AcquireHow, 'atomic'>): Op<void> {
  return {
    object: s,
    access: 'acquire',
    label,
    alsoTouches: SLEEPS,
    enabled: (self) => canRead(s) || wouldSleepInAtomic(self),
    enabledAt: (k, waiter) => canReadAt(s.strict, k) || wouldSleepInAtomic(waiter),
    waitsFor: (self) => describeHolders(s, self),
    run: (self) => {
      mightSleep(self, label);
      takeRead(s, self, label, how);
    },
  };
}

/** One-step down_write (the nest-lock form: mm_take_all_locks holds mmap_lock, so no writer queues). */
function downWriteOp(s: Rwsem, label: string, how: Omit<AcquireHow, 'atomic'>): Op<boolean> {
  return {
    object: s,
    access: 'acquire',
    label,
    alsoTouches: SLEEPS,
    enabled: (self) => (canWrite(s) && (!s.strict || s.waitingWriters.length === 0)) || wouldSleepInAtomic(self),
    enabledAt: (k, waiter) => (canWriteAt(k) && (!s.strict || (k & KEY_QUEUED) === 0)) || wouldSleepInAtomic(waiter),
    waitsFor: (self) => describeHolders(s, self),
    run: (self) => {
      mightSleep(self, label);
      takeWrite(s, self, label, how);
      return true;
    },
  };
}

export function newRwsem(name: string, options: RwsemOptions = {}): Rwsem {
  const downWriteLabel = `down_write(&${name})`;
  const upReadLabel = `up_read(&${name})`;
  const upWriteLabel = `up_write(&${name})`;
  const downgradeLabel = `downgrade_write(&${name})`;
  const base: Omit<Rwsem, 'ops'> = {
    name,
    lockClass: options.lockClass ?? name,
    strict: options.strict ?? false,
    writer: null,
    readers: new Map(),
    waitingWriters: [],
    stateKey: rwsemKey,
  };
  return withOps<Rwsem>(base, (s) => ({
    downRead: downReadOp(s, `down_read(&${name})`, {}),
    upRead: {
      object: s,
      access: 'release',
      label: upReadLabel,
      run: (self) => {
        const n = s.readers.get(self);
        if (n === undefined) {
          unlockNotHeld(self, s, upReadLabel, s.writer ? `is held for write by ${describeOwner(s.writer, self)}` : 'is not held for read by it');
        }
        if (n === 1) s.readers.delete(self);
        else s.readers.set(self, n - 1);
        lockReleased(self, s);
      },
    },
    downWrite: {
      object: s,
      access: 'acquire',
      label: downWriteLabel,
      alsoTouches: SLEEPS,
      run: (self) => {
        mightSleep(self, downWriteLabel);
        if (writerMayTake(s, self)) {
          takeWrite(s, self, downWriteLabel, {});
          return true;
        }
        s.waitingWriters.push(self);
        return false;
      },
    },
    downWriteWait: {
      object: s,
      access: 'acquire',
      label: `down_write(&${name}) waits`,
      enabled: (self) => writerMayTake(s, self),
      enabledAt: (k, waiter) => writerMayTakeAt(s.strict, k, waiter.id),
      waitsFor: (self) => describeHolders(s, self),
      run: (self) => {
        s.waitingWriters.splice(s.waitingWriters.indexOf(self), 1);
        takeWrite(s, self, downWriteLabel, {});
      },
    },
    upWrite: {
      object: s,
      access: 'release',
      label: upWriteLabel,
      run: (self) => {
        if (s.writer !== self) {
          unlockNotHeld(self, s, upWriteLabel, s.writer ? `is held for write by ${describeOwner(s.writer)}` : 'is not held for write');
        }
        s.writer = null;
        lockReleased(self, s);
      },
    },
    downReadTrylock: {
      object: s,
      access: 'acquire',
      label: `down_read_trylock(&${name})`,
      run: (self) => {
        if (!canTryRead(s)) return false;
        takeRead(s, self, `down_read_trylock(&${name})`, { trylock: true });
        return true;
      },
    },
    downWriteTrylock: {
      object: s,
      access: 'acquire',
      label: `down_write_trylock(&${name})`,
      run: (self) => {
        if (!canWrite(s) || s.waitingWriters.length > 0) return false;
        takeWrite(s, self, `down_write_trylock(&${name})`, { trylock: true });
        return true;
      },
    },
    downgradeWrite: {
      object: s,
      access: 'release',
      label: downgradeLabel,
      run: (self) => {
        if (s.writer !== self) unlockNotHeld(self, s, downgradeLabel, 'is not held for write by it');
        s.writer = null;
        s.readers.set(self, 1);
        // why no lockReleased: the thread keeps the lock (now shared), so lockdep and the clocks
        // see no release; only the held entry is relabelled for lock-leak reports.
        release(self, s);
        hold(self, s, downgradeLabel, false);
      },
    },
  }));
}

/** down_read: may sleep while a writer holds it, or while readers hold it and a writer waits. */
export function* downRead(s: Rwsem): Steps<void> {
  yield* perform(s.ops.downRead);
}

/** down_read_nested(s, subclass): a read lock of a second instance of the class, annotated. */
export function* downReadNested(s: Rwsem, subclass: number): Steps<void> {
  yield* perform(downReadOp(s, `down_read_nested(&${s.name}, ${subclass})`, { subclass }));
}

export function* upRead(s: Rwsem): Steps<void> {
  yield* perform(s.ops.upRead);
}

/** down_write: may sleep until there is neither a writer nor a reader. */
export function* downWrite(s: Rwsem): Steps<void> {
  const took = yield* perform(s.ops.downWrite);
  if (!took) yield* perform(s.ops.downWriteWait);
}

/** down_write_nest_lock(s, nest): same-class nesting is legal while `nest` is held (mm_take_all_locks). */
export function* downWriteNestLock(s: Rwsem, nest: SharedObject): Steps<void> {
  yield* perform(downWriteOp(s, `down_write_nest_lock(&${s.name}, &${nest.name})`, { nestLock: nest }));
}

export function* upWrite(s: Rwsem): Steps<void> {
  yield* perform(s.ops.upWrite);
}

export function* downReadTrylock(s: Rwsem): Steps<boolean> {
  return yield* perform(s.ops.downReadTrylock);
}

export function* downWriteTrylock(s: Rwsem): Steps<boolean> {
  return yield* perform(s.ops.downWriteTrylock);
}

/** downgrade_write: the writer becomes a reader without letting another writer in between. */
export function* downgradeWrite(s: Rwsem): Steps<void> {
  yield* perform(s.ops.downgradeWrite);
}

/** rwsem_is_locked(): for models and invariants, not a step. */
export function rwsemIsLocked(s: Rwsem): boolean {
  return s.writer !== null || s.readers.size > 0;
}

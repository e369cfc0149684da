/**
 * struct rw_semaphore: many readers or one writer; every blocking acquisition may sleep.
 *
 * Writer preference (the option `writerPreference`, as Linux rwsems behave since their readers
 * queue behind any waiter): once a writer waits, new readers — including a thread that already
 * holds a read lock — wait behind it, so a recursive down_read behind a waiting writer deadlocks.
 * To make the waiting visible, down_write is then two steps: the first takes the lock if it is free
 * and nobody queues, or else queues the writer; the second waits for its turn (FIFO among writers).
 * Without the option, readers only wait for an owning writer.
 *
 * Trylocks never sleep and add no lockdep edge; they fail whenever a blocking call would wait.
 * up_read / up_write / downgrade_write by a thread that does not hold the lock that way is a bug.
 */
import { type Op, perform, type SharedObject, type Steps, type ThreadContext, threadName } from '../src/index';
import { hold, release } from './kit/held';
import { describeOwner, lockAcquired, lockReleased, unlockNotHeld, type AcquireHow, type LockObject, type LockOptions } from './kit/lock-tracking';
import { mightSleep, SLEEPS, wouldSleepInAtomic } from './kit/might-sleep';
import { withOps } from './kit/with-ops';

export interface RwsemOptions extends LockOptions {
  /** New readers wait while a writer waits (Linux's behaviour); default false. */
  readonly writerPreference?: boolean;
}

export interface Rwsem extends LockObject {
  readonly writerPreference: boolean;
  /** The writer holding it, or null. */
  writer: ThreadContext | null;
  // invariant: readers maps each thread holding read locks to how many it holds (> 0)
  readonly readers: Map<ThreadContext, number>;
  // invariant: empty unless writerPreference; writers that queued in down_write, in arrival order
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

function canRead(s: Rwsem): boolean {
  return s.writer === null && s.waitingWriters.length === 0;
}

function canWrite(s: Rwsem): boolean {
  return s.writer === null && s.readers.size === 0;
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
    waitsFor: (self) => describeHolders(s, self),
    run: (self) => {
      mightSleep(self, label);
      takeRead(s, self, label, how);
    },
  };
}

/** One-step down_write (no writer preference, or the nest-lock form). */
function downWriteOp(s: Rwsem, label: string, how: Omit<AcquireHow, 'atomic'>): Op<boolean> {
  return {
    object: s,
    access: 'acquire',
    label,
    alsoTouches: SLEEPS,
    enabled: (self) => (canWrite(s) && s.waitingWriters.length === 0) || wouldSleepInAtomic(self),
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
    writerPreference: options.writerPreference ?? false,
    writer: null,
    readers: new Map(),
    waitingWriters: [],
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
    downWrite: s.writerPreference
      ? {
          object: s,
          access: 'acquire',
          label: downWriteLabel,
          alsoTouches: SLEEPS,
          run: (self) => {
            mightSleep(self, downWriteLabel);
            if (canWrite(s) && s.waitingWriters.length === 0) {
              takeWrite(s, self, downWriteLabel, {});
              return true;
            }
            s.waitingWriters.push(self);
            return false;
          },
        }
      : downWriteOp(s, downWriteLabel, {}),
    downWriteWait: {
      object: s,
      access: 'acquire',
      label: `down_write(&${name}) waits`,
      enabled: (self) => canWrite(s) && s.waitingWriters[0] === self,
      waitsFor: (self) => describeHolders(s, self),
      run: (self) => {
        s.waitingWriters.shift();
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
        if (!canRead(s)) return false;
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

/** down_read: may sleep while a writer holds it (or, with writer preference, waits for it). */
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

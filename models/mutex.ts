/**
 * struct mutex: a sleeping lock with one owner. mutex_lock may sleep, so it is a bug in atomic
 * context even when the mutex happens to be free (might_sleep() runs first in the kernel too);
 * recursive mutex_lock never returns (the deadlock check reports it, lockdep reports the recursion
 * only when it can still run); mutex_unlock by a task that is not the owner, or of an unlocked
 * mutex, is a bug. mutex_trylock never sleeps and adds no lockdep edge.
 */
import { type Op, perform, type Steps, type ThreadContext } from '../src/index';
import { describeOwner, lockAcquired, lockReleased, ownerKey, unlockNotHeld, type LockObject, type LockOptions } from './kit/lock-tracking';
import { mightSleep, SLEEPS, wouldSleepInAtomic } from './kit/might-sleep';
import { withOps } from './kit/with-ops';

export interface Mutex extends LockObject {
  // invariant: owner is the thread whose mutex_lock/mutex_trylock succeeded last without an unlock
  owner: ThreadContext | null;
  /** The ops of this mutex, allocated once. */
  readonly ops: { readonly lock: Op<void>; readonly trylock: Op<boolean>; readonly unlock: Op<void> };
}

export function newMutex(name: string, options: LockOptions = {}): Mutex {
  const lockLabel = `mutex_lock(&${name})`;
  const trylockLabel = `mutex_trylock(&${name})`;
  const unlockLabel = `mutex_unlock(&${name})`;
  return withOps<Mutex>({ name, lockClass: options.lockClass ?? name, owner: null, stateKey: ownerKey }, (m) => ({
    lock: {
      object: m,
      access: 'acquire',
      label: lockLabel,
      alsoTouches: SLEEPS,
      // why the atomic test: a task that would sleep in atomic context must run into might_sleep()
      // rather than wait, so the report is the bug and not a deadlock it causes.
      enabled: (self) => m.owner === null || wouldSleepInAtomic(self),
      enabledAt: (owner, waiter) => owner === 0 || wouldSleepInAtomic(waiter),
      waitsFor: (self) => `${name} held by ${describeOwner(m.owner, self)}`,
      run: (self) => {
        mightSleep(self, lockLabel);
        m.owner = self;
        lockAcquired(self, m, lockLabel, { atomic: false });
      },
    },
    trylock: {
      object: m,
      access: 'acquire',
      label: trylockLabel,
      run: (self) => {
        if (m.owner !== null) return false;
        m.owner = self;
        lockAcquired(self, m, trylockLabel, { atomic: false, trylock: true });
        return true;
      },
    },
    unlock: {
      object: m,
      access: 'release',
      label: unlockLabel,
      run: (self) => {
        if (m.owner !== self) {
          const why = m.owner ? `is owned by ${describeOwner(m.owner)}` : 'is not locked';
          unlockNotHeld(self, m, unlockLabel, why, `${name}.owner = ${m.owner?.letter ?? 'none'}`);
        }
        m.owner = null;
        lockReleased(self, m);
      },
    },
  }));
}

/** mutex_lock: may sleep until the owner unlocks. */
export function* mutexLock(m: Mutex): Steps<void> {
  yield* perform(m.ops.lock);
}

/** mutex_trylock: true when taken; never sleeps. */
export function* mutexTrylock(m: Mutex): Steps<boolean> {
  return yield* perform(m.ops.trylock);
}

export function* mutexUnlock(m: Mutex): Steps<void> {
  yield* perform(m.ops.unlock);
}

/** mutex_is_locked(): for models and invariants, not a step. */
export function mutexIsLocked(m: Mutex): boolean {
  return m.owner !== null;
}

/**
 * What every lock model does when it takes or drops a lock, in one place: the thread's `held` list
 * (lock-leak, sleep-in-atomic), lockdep's class graph (lock-order, reclaim-inversion) and the
 * happens-before clocks (data-race). A lock model decides *whether* it can be taken; these decide
 * what taking it means to the detectors.
 */
import { hbAcquire, hbRelease, KernelFault, lockdepAcquire, lockdepRelease, type SharedObject, type ThreadContext, threadName } from '../../src/index';
import { hold, release } from './held';

/** A lock with a lockdep class. */
export interface LockObject extends SharedObject {
  /** lockdep class: locks made with the same class name share one node of the order graph. */
  readonly lockClass: string;
}

/** Options every lock constructor accepts. */
export interface LockOptions {
  /** lockdep class name; defaults to the lock's own name (one class per lock). */
  readonly lockClass?: string;
}

/** How an acquisition happened. */
export interface AcquireHow {
  /** Holding it makes the thread atomic (spinlocks, IRQs off). */
  readonly atomic: boolean;
  /** Taken by a trylock: no lockdep edge into it. */
  readonly trylock?: boolean;
  /** spin_lock_nested / down_read_nested subclass: a separate lockdep class. */
  readonly subclass?: number;
  /** A held lock that makes nesting of this class legal (down_write_nest_lock). */
  readonly nestLock?: SharedObject;
}

/** Records that the running thread now holds `lock`, taken by the call `label`. */
export function lockAcquired(self: ThreadContext, lock: LockObject, label: string, how: AcquireHow): void {
  hold(self, lock, label, how.atomic);
  const cls = how.subclass ? `${lock.lockClass}/${how.subclass}` : lock.lockClass;
  lockdepAcquire(self, lock, cls, label, {
    ...(how.trylock ? { trylock: true } : {}),
    ...(how.nestLock ? { nestLock: how.nestLock } : {}),
  });
  hbAcquire(self, lock);
}

/** Records that the running thread dropped its most recent holding of `lock`. */
export function lockReleased(self: ThreadContext, lock: LockObject): void {
  release(self, lock);
  lockdepRelease(self, lock);
  hbRelease(self, lock);
}

/** `B (release)`, or `nobody`. */
export function describeOwner(owner: ThreadContext | null, self?: ThreadContext): string {
  if (owner === null) return 'nobody';
  return owner === self ? `${threadName(owner)} itself` : threadName(owner);
}

/** Throws unlock-not-held: `label` by the running thread releases `lock`, which `why` (is not held, …). */
export function unlockNotHeld(self: ThreadContext, lock: SharedObject, label: string, why: string, state?: string): never {
  throw new KernelFault(
    'unlock-not-held',
    `bad unlock balance: ${label} by ${threadName(self)} at step ${self.step}, but ${lock.name} ${why}`,
    state,
  );
}

/** A one-owner lock's stateKey: 0 when free, else its owner's id + 1 (all that waiting on it reads). */
export function ownerKey(this: { readonly owner: ThreadContext | null }): number {
  return this.owner === null ? 0 : this.owner.id + 1;
}

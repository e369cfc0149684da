/**
 * bit_spin_lock(): a spinlock that is one bit of an object's flags word (compound_lock in
 * PG_compound_lock of a THP head page). As a spinlock: one owner, waiters spin, the holder is atomic.
 * The lock lives in its object, so taking or dropping it after the object was freed is a use after
 * free — including waiting on it: a thread spinning on the bit of a freed object runs into the
 * fault instead of waiting forever.
 *
 * The bit's value is kept apart from who took it: the bit is one bit of a word that other code may
 * store whole, non-atomically (`__SetPageUptodate` on a page's flags, see `storeBit`). Such a store
 * can clear the bit under its holder, whose bit_spin_unlock then finds it clear (BUG_ON under
 * CONFIG_DEBUG_SPINLOCK), or set it again after the unlock, leaving it stuck with no holder (the
 * next locker spins forever).
 */
import { KernelFault, type Op, perform, type Steps, type ThreadContext } from '../src/index';
import { assertLive, liveCheck, type Mortal } from './kit/lifetime';
import { describeOwner, lockAcquired, lockReleased, unlockNotHeld, type LockObject, type LockOptions } from './kit/lock-tracking';
import { withOps } from './kit/with-ops';

export interface BitSpinlock extends LockObject {
  /** The object whose flags word holds the bit. */
  readonly container: Mortal;
  /** The bit's name (`PG_compound_lock`). */
  readonly bit: string;
  // invariant: holder is the thread whose bit_spin_lock ran last without a bit_spin_unlock
  holder: ThreadContext | null;
  /** The bit itself. Equal to `holder !== null` unless a non-atomic store of the word rewrote it. */
  set: boolean;
  /** The ops of this lock, allocated once. */
  readonly ops: { readonly lock: Op<void>; readonly trylock: Op<boolean>; readonly unlock: Op<void> };
}

export function newBitSpinlock(container: Mortal, bit: string, options: LockOptions = {}): BitSpinlock {
  const name = `${container.name}->flags:${bit}`;
  const lockLabel = `bit_spin_lock(${bit}, &${container.name}->flags)`;
  const trylockLabel = `bit_spin_trylock(${bit}, &${container.name}->flags)`;
  const unlockLabel = `bit_spin_unlock(${bit}, &${container.name}->flags)`;
  const live = liveCheck(container);
  return withOps<BitSpinlock>({ name, lockClass: options.lockClass ?? bit, container, bit, holder: null, set: false }, (l) => ({
    lock: {
      object: l,
      access: 'acquire',
      label: lockLabel,
      alsoTouches: live,
      // why the container in `enabled` (beyond the contract of op.ts): a waiter on the bit of a
      // freed page must run into the fault, not wait forever. The container is declared above, so
      // the free that enables this op conflicts with it.
      enabled: () => !l.set || container.life === 'freed',
      waitsFor: (self) =>
        l.holder === null ? `${bit} of ${container.name}, left set with no holder by a non-atomic store of ${container.name}->flags` : `${bit} of ${container.name} held by ${describeOwner(l.holder, self)}`,
      run: (self) => {
        assertLive(container, self, lockLabel);
        l.holder = self;
        l.set = true;
        lockAcquired(self, l, lockLabel, { atomic: true });
      },
    },
    trylock: {
      object: l,
      access: 'acquire',
      label: trylockLabel,
      alsoTouches: live,
      run: (self) => {
        assertLive(container, self, trylockLabel);
        if (l.set) return false;
        l.holder = self;
        l.set = true;
        lockAcquired(self, l, trylockLabel, { atomic: true, trylock: true });
        return true;
      },
    },
    unlock: {
      object: l,
      access: 'release',
      label: unlockLabel,
      alsoTouches: live,
      run: (self) => {
        assertLive(container, self, unlockLabel);
        if (l.holder !== self) {
          unlockNotHeld(self, l, unlockLabel, l.holder ? `is held by ${describeOwner(l.holder)}` : 'is not set');
        }
        if (!l.set) {
          throw new KernelFault(
            'bug-on',
            `BUG_ON(!test_bit(${bit}, addr)) (CONFIG_DEBUG_SPINLOCK): the bit was cleared under its holder by a non-atomic store of ${container.name}->flags`,
            `${l.name} = 0, held by ${describeOwner(self)}`,
          );
        }
        l.holder = null;
        l.set = false;
        lockReleased(self, l);
      },
    },
  }));
}

export function* bitSpinLock(l: BitSpinlock): Steps<void> {
  yield* perform(l.ops.lock);
}

export function* bitSpinTrylock(l: BitSpinlock): Steps<boolean> {
  return yield* perform(l.ops.trylock);
}

export function* bitSpinUnlock(l: BitSpinlock): Steps<void> {
  yield* perform(l.ops.unlock);
}

/** bit_spin_is_locked(): for models and invariants, not a step. */
export function bitSpinIsLocked(l: BitSpinlock): boolean {
  return l.set;
}

/**
 * What a non-atomic store of the whole word does to the bit: writes back the value it read. For
 * models of that store only, inside the run of an op that declares a write of `l`.
 */
export function storeBit(l: BitSpinlock, value: boolean): void {
  l.set = value;
}

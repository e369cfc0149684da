/**
 * spinlock_t: one owner at a time; a waiter spins (is not runnable) until the owner unlocks.
 * Holding one makes the thread atomic (preemption off), so a may-sleep step is a bug.
 * Kernel semantics kept: recursive spin_lock on the same lock spins forever (self-deadlock, which
 * the deadlock check reports); spin_unlock of a lock the task does not own is a bug (the kernel
 * catches it with CONFIG_DEBUG_SPINLOCK); spin_trylock never waits and adds no lockdep edge.
 *
 * IRQ and BH variants disable local hardirqs or softirqs before taking the lock and turn them back
 * on after dropping it (models/irq.ts keeps that state; lockdep reads it for IRQ-safety):
 * spin_lock_irqsave / spin_unlock_irqrestore save and restore, spin_lock_irq / spin_unlock_irq
 * disable and enable unconditionally (so spin_unlock_irq where IRQs were already on, or inside an
 * outer IRQs-off section, is a bug), spin_lock_bh / spin_unlock_bh disable and enable softirqs
 * (an unbalanced spin_unlock_bh, or one with IRQs off, is a bug).
 */
import { type Op, perform, type SharedObject, type Steps, type ThreadContext } from '../src/index';
import { describeOwner, lockAcquired, lockReleased, ownerKey, unlockNotHeld, type LockObject, type LockOptions } from './kit/lock-tracking';
import { disableBh, disableIrqs, enableBh, enableIrqs, restoreIrqs } from './irq';
import { withOps } from './kit/with-ops';

/** What an IRQ or BH variant does around the plain lock: before taking it, after dropping it. */
type AroundLock = (self: ThreadContext, label: string) => void;

export interface Spinlock extends LockObject {
  // invariant: owner is the thread whose spin_lock ran last without a matching spin_unlock
  owner: ThreadContext | null;
  /** The ops of this lock, allocated once. */
  readonly ops: {
    readonly lock: Op<void>;
    readonly unlock: Op<void>;
    readonly trylock: Op<boolean>;
    readonly lockIrqsave: Op<IrqFlags>;
    readonly unlockIrqrestore: Op<void>;
    readonly lockIrq: Op<void>;
    readonly unlockIrq: Op<void>;
    readonly lockBh: Op<void>;
    readonly unlockBh: Op<void>;
  };
}

/** What spin_lock_irqsave saves and spin_unlock_irqrestore gets back. */
export interface IrqFlags {
  /** The lock whose irqsave saved them; restoring them with another lock is a bug. */
  readonly savedBy: string;
}

function lockOp(l: Spinlock, label: string, how: { subclass?: number; nestLock?: SharedObject; before?: AroundLock }): Op<void> {
  const before = how.before;
  return {
    object: l,
    access: 'acquire',
    label,
    enabled: () => l.owner === null,
    enabledAt: (owner) => owner === 0,
    waitsFor: (self) => `${l.name} held by ${describeOwner(l.owner, self)}`,
    run: (self) => {
      // why first: the kernel turns IRQs/BH off before it spins, and lockdep sees them off.
      if (before) before(self, label);
      l.owner = self;
      lockAcquired(self, l, label, { atomic: true, ...(how.subclass ? { subclass: how.subclass } : {}), ...(how.nestLock ? { nestLock: how.nestLock } : {}) });
    },
  };
}

function unlockOp(l: Spinlock, label: string, after?: AroundLock): Op<void> {
  return {
    object: l,
    access: 'release',
    label,
    run: (self) => {
      if (l.owner !== self) {
        const why = l.owner ? `is held by ${describeOwner(l.owner)}` : 'is not held';
        unlockNotHeld(self, l, label, why, `${l.name}.owner = ${l.owner?.letter ?? 'none'}`);
      }
      l.owner = null;
      lockReleased(self, l);
      if (after) after(self, label);
    },
  };
}

/** The IRQs-off holding of an IRQ variant, labelled apart from the lock's own holding. */
const irqsOffFor: AroundLock = (self, label) => disableIrqs(self, `${label}: IRQs off`);
const bhOffFor: AroundLock = (self, label) => disableBh(self, `${label}: BH off`);

export function newSpinlock(name: string, options: LockOptions = {}): Spinlock {
  const trylockLabel = `spin_trylock(&${name})`;
  const flags: IrqFlags = { savedBy: name };
  return withOps<Spinlock>({ name, lockClass: options.lockClass ?? name, owner: null, stateKey: ownerKey }, (l) => {
    const irqsave = lockOp(l, `spin_lock_irqsave(&${name})`, { before: irqsOffFor });
    return {
      lock: lockOp(l, `spin_lock(&${name})`, {}),
      trylock: {
        object: l,
        access: 'acquire',
        label: trylockLabel,
        run: (self) => {
          if (l.owner !== null) return false;
          l.owner = self;
          lockAcquired(self, l, trylockLabel, { atomic: true, trylock: true });
          return true;
        },
      },
      unlock: unlockOp(l, `spin_unlock(&${name})`),
      lockIrqsave: {
        ...irqsave,
        run: (self) => {
          irqsave.run(self);
          return flags;
        },
      },
      unlockIrqrestore: unlockOp(l, `spin_unlock_irqrestore(&${name})`, restoreIrqs),
      lockIrq: lockOp(l, `spin_lock_irq(&${name})`, { before: irqsOffFor }),
      unlockIrq: unlockOp(l, `spin_unlock_irq(&${name})`, enableIrqs),
      lockBh: lockOp(l, `spin_lock_bh(&${name})`, { before: bhOffFor }),
      unlockBh: unlockOp(l, `spin_unlock_bh(&${name})`, enableBh),
    };
  });
}

export function* spinLock(l: Spinlock): Steps<void> {
  yield* perform(l.ops.lock);
}

/** spin_lock_nested(l, subclass): a second lock of the same lockdep class, annotated as legal. */
export function* spinLockNested(l: Spinlock, subclass: number): Steps<void> {
  yield* perform(lockOp(l, `spin_lock_nested(&${l.name}, ${subclass})`, { subclass }));
}

/**
 * spin_lock_nest_lock(l, nest): another lock of l's class while `nest` is held, legal for lockdep
 * because every taker of the class holds `nest` (mm_take_all_locks in 2.6.27, under mmap_sem).
 * The op is made once per (lock, nest) pair.
 */
export function* spinLockNestLock(l: Spinlock, nest: SharedObject): Steps<void> {
  let byNest = nestLockOps.get(l);
  if (byNest === undefined) nestLockOps.set(l, (byNest = new Map()));
  let op = byNest.get(nest);
  if (op === undefined) byNest.set(nest, (op = lockOp(l, `spin_lock_nest_lock(&${l.name}, &${nest.name})`, { nestLock: nest })));
  yield* perform(op);
}

const nestLockOps = new WeakMap<Spinlock, Map<SharedObject, Op<void>>>();

export function* spinTrylock(l: Spinlock): Steps<boolean> {
  return yield* perform(l.ops.trylock);
}

export function* spinUnlock(l: Spinlock): Steps<void> {
  yield* perform(l.ops.unlock);
}

/** spin_lock_irqsave: take the lock with local IRQs off; returns the saved flags. */
export function* spinLockIrqsave(l: Spinlock): Steps<IrqFlags> {
  return yield* perform(l.ops.lockIrqsave);
}

/** spin_unlock_irqrestore: drop the lock and restore the IRQ state saved by spin_lock_irqsave. */
export function* spinUnlockIrqrestore(l: Spinlock, flags: IrqFlags): Steps<void> {
  if (flags.savedBy !== l.name) {
    // why a step of its own: the mismatch is a bug at this call, and the trace should show it there.
    yield* perform<void>({
      object: l,
      access: 'release',
      label: `spin_unlock_irqrestore(&${l.name})`,
      run: (self) => unlockNotHeld(self, l, `spin_unlock_irqrestore(&${l.name})`, `was not locked by the irqsave that saved these flags (${flags.savedBy})`),
    });
    return;
  }
  yield* perform(l.ops.unlockIrqrestore);
}

/** spin_lock_irq: disable local IRQs (assumed on), then take the lock. */
export function* spinLockIrq(l: Spinlock): Steps<void> {
  yield* perform(l.ops.lockIrq);
}

/** spin_unlock_irq: drop the lock, then enable local IRQs unconditionally. */
export function* spinUnlockIrq(l: Spinlock): Steps<void> {
  yield* perform(l.ops.unlockIrq);
}

/** spin_lock_bh: disable softirqs on this CPU, then take the lock. */
export function* spinLockBh(l: Spinlock): Steps<void> {
  yield* perform(l.ops.lockBh);
}

/** spin_unlock_bh: drop the lock, then re-enable softirqs. */
export function* spinUnlockBh(l: Spinlock): Steps<void> {
  yield* perform(l.ops.unlockBh);
}

/** spin_is_locked(): a racy peek, as in the kernel; for models and invariants, not a step. */
export function spinIsLocked(l: Spinlock): boolean {
  return l.owner !== null;
}

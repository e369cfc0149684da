/**
 * spinlock_t: one owner at a time; a waiter spins (is not runnable) until the owner unlocks.
 * Kernel semantics kept: recursive spin_lock on the same lock spins forever (self-deadlock, which
 * the deadlock check reports); spin_unlock by a task that does not own the lock is a bug.
 */
import { KernelFault } from '../src/runtime/errors';
import { perform, type Op, type SharedObject, type Steps, type ThreadContext } from '../src/runtime/op';
import { hold, release } from './held';

export interface Spinlock extends SharedObject {
  // invariant: owner is the thread whose spin_lock ran last without a matching spin_unlock
  owner: ThreadContext | null;
  readonly ops: { readonly lock: Op<void>; readonly unlock: Op<void>; readonly trylock: Op<boolean> };
}

export function newSpinlock(name: string): Spinlock {
  const l = { name, owner: null } as { name: string; owner: ThreadContext | null; ops: Spinlock['ops'] };
  const lockLabel = `spin_lock(&${name})`;
  l.ops = {
    lock: {
      object: l,
      access: 'acquire',
      label: lockLabel,
      enabled: () => l.owner === null,
      waitsFor: () => `${name} held by ${l.owner ? `${l.owner.letter} (${l.owner.name})` : 'nobody'}`,
      run: (self) => {
        l.owner = self;
        hold(self, l, lockLabel, true);
      },
    },
    trylock: {
      object: l,
      access: 'acquire',
      label: `spin_trylock(&${name})`,
      run: (self) => {
        if (l.owner !== null) return false;
        l.owner = self;
        hold(self, l, `spin_trylock(&${name})`, true);
        return true;
      },
    },
    unlock: {
      object: l,
      access: 'release',
      label: `spin_unlock(&${name})`,
      run: (self) => {
        if (l.owner !== self) {
          const who = l.owner ? `held by ${l.owner.letter} (${l.owner.name})` : 'not held';
          throw new KernelFault('unlock-not-held', `${self.letter} unlocks ${name}, which is ${who}`, `${name}.owner = ${l.owner?.letter ?? 'none'}`);
        }
        l.owner = null;
        release(self, l);
      },
    },
  };
  return l;
}

export function* spinLock(l: Spinlock): Steps<void> {
  yield* perform(l.ops.lock);
}

export function* spinTrylock(l: Spinlock): Steps<boolean> {
  return yield* perform(l.ops.trylock);
}

export function* spinUnlock(l: Spinlock): Steps<void> {
  yield* perform(l.ops.unlock);
}

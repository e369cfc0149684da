/**
 * A Mesa-style condition variable over a mutex (pthread_cond_t, the kernel's wait_event family in
 * spirit). `condWait(cv, m)` is three steps: (1) atomically release `m` and join the waiters,
 * (2) sleep until signalled, (3) take `m` again, competing with every other thread. A woken waiter
 * therefore finds the world as the others left it, not as the signaller did: code must re-test
 * its condition in a loop, and weft finds the schedules where an `if` is not enough.
 *
 * `condSignal` wakes the longest waiter, `condBroadcast` every waiter; a signal with no waiter is
 * lost (Mesa: nothing is banked, unlike a completion). Which waiter a signal wakes is unspecified
 * in POSIX; weft wakes the oldest only, so programs that depend on the choice are not explored
 * for it. With `spurious: true` a waiter may also wake with no signal at all, as POSIX allows.
 * Waiting without holding the mutex is a bug (unlock-not-held).
 */
import { hbAcquire, hbRelease, perform, type Op, type SharedObject, type Steps, type ThreadContext } from '../src/index';
import { lockReleased, unlockNotHeld } from './kit/lock-tracking';
import { mutexLock, type Mutex } from './mutex';
import { withOps } from './kit/with-ops';

export interface CondVar extends SharedObject {
  // invariant: waiters lists, oldest first, the ids of threads between step (1) and step (2)
  readonly waiters: number[];
  readonly spurious: boolean;
  /** The ops of this condvar that name no mutex, allocated once. */
  readonly ops: { readonly signal: Op<void>; readonly broadcast: Op<void> };
}

/** A condvar's stateKey: which threads wait, one bit each (a waiter's sleep asks only whether it still does). */
function waitersKey(this: CondVar): number {
  let key = 0;
  for (const id of this.waiters) key += 2 ** id;
  return key;
}

export function newCondVar(name: string, options: { readonly spurious?: boolean } = {}): CondVar {
  return withOps<CondVar>({ name, waiters: [], spurious: options.spurious ?? false, stateKey: waitersKey }, (cv) => ({
    signal: {
      object: cv,
      access: 'write',
      label: `cond_signal(&${name})`,
      run: (self) => {
        hbRelease(self, cv);
        cv.waiters.shift();
      },
    },
    broadcast: {
      object: cv,
      access: 'write',
      label: `cond_broadcast(&${name})`,
      run: (self) => {
        hbRelease(self, cv);
        cv.waiters.length = 0;
      },
    },
  }));
}

interface WaitOps {
  readonly release: Op<void>;
  readonly sleep: Op<void>;
}

// why a side table and not a field of the condvar: the ops name the mutex, and one condvar may be
// used with several over time; keeping them off the shared object keeps the cache out of the
// world the audits compare. Built once per (condvar, mutex), so a wait loop allocates nothing.
const waitOpsOf = new WeakMap<CondVar, Map<Mutex, WaitOps>>();

function waitOps(cv: CondVar, m: Mutex): WaitOps {
  let byMutex = waitOpsOf.get(cv);
  if (byMutex === undefined) waitOpsOf.set(cv, (byMutex = new Map()));
  let ops = byMutex.get(m);
  if (ops === undefined) byMutex.set(m, (ops = makeWaitOps(cv, m)));
  return ops;
}

function makeWaitOps(cv: CondVar, m: Mutex): WaitOps {
  const label = `cond_wait(&${cv.name}, &${m.name})`;
  return {
    release: {
      object: cv,
      access: 'write',
      label,
      alsoTouches: [{ object: m, access: 'release' }],
      run: (self: ThreadContext) => {
        if (m.owner !== self) unlockNotHeld(self, m, label, m.owner ? 'is held by another thread' : 'is not locked', `${m.name}.owner = ${m.owner?.letter ?? 'none'}`);
        m.owner = null;
        lockReleased(self, m);
        cv.waiters.push(self.id);
        hbRelease(self, cv);
      },
    },
    sleep: {
      object: cv,
      access: 'write',
      label: `${label}: woken`,
      enabled: (self: ThreadContext) => cv.spurious || !cv.waiters.includes(self.id),
      enabledAt: (waiting, waiter) => cv.spurious || Math.floor(waiting / 2 ** waiter.id) % 2 === 0,
      waitsFor: () => `cond_signal(&${cv.name})`,
      run: (self: ThreadContext) => {
        const at = cv.waiters.indexOf(self.id);
        if (at >= 0) cv.waiters.splice(at, 1);
        hbAcquire(self, cv);
      },
    },
  };
}

/** Releases `m`, sleeps until signalled (or spuriously woken), takes `m` again. Hold `m` to call it. */
export function* condWait(cv: CondVar, m: Mutex): Steps<void> {
  const ops = waitOps(cv, m);
  yield* perform(ops.release);
  yield* perform(ops.sleep);
  yield* mutexLock(m);
}

/** Wakes the oldest waiter, if any (the signal is lost when none waits). */
export function* condSignal(cv: CondVar): Steps<void> {
  yield* perform(cv.ops.signal);
}

/** Wakes every waiter. */
export function* condBroadcast(cv: CondVar): Steps<void> {
  yield* perform(cv.ops.broadcast);
}

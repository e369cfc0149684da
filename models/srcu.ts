/**
 * Sleepable RCU (one srcu_struct). srcu_read_lock returns a token that srcu_read_unlock must get
 * back; readers may sleep. synchronize_srcu waits for exactly the readers that were inside a
 * read-side section when it began: readers that enter later do not delay it (two steps: the
 * snapshot, then the wait). Calling it inside a read section of the same domain never returns
 * (the kernel's lockdep calls this a deadlock; here the deadlock check reports it).
 * synchronize_srcu may sleep: calling it in atomic context is a sleep-in-atomic bug.
 *
 * Happens-before (data-race): a grace period orders the sections it waited for, and those that had
 * already ended at its start, before the code after synchronize_srcu; its start is ordered before
 * every section that begins later.
 */
import { hbAcquire, hbPublish, hbRelease, KernelFault, type Op, perform, type SharedObject, type Steps, type ThreadContext } from '../src/index';
import { hold, release } from './kit/held';
import { mightSleep, SLEEPS } from './kit/might-sleep';

/** What synchronize_srcu snapshotted at its start. */
export interface SrcuGracePeriod {
  /** Tokens of the readers inside a section at the start: the ones it waits for. */
  readonly tokens: readonly number[];
}

export interface Srcu extends SharedObject {
  // invariant: active maps each token of a reader inside a section to that reader
  readonly active: Map<number, ThreadContext>;
  /** Next token to hand out; tokens are never reused, so a stale one is detected. */
  nextToken: number;
  readonly ops: { readonly readLock: Op<number>; readonly syncStart: Op<SrcuGracePeriod> };
}

/**
 * The domain's stateKey: the oldest active token (Infinity with none). Tokens are handed out in
 * order and never reused, so the readers a grace period waits for have all left exactly when the
 * oldest active token is newer than the newest of theirs.
 */
function oldestToken(this: Srcu): number {
  let oldest = Number.POSITIVE_INFINITY;
  for (const token of this.active.keys()) if (token < oldest) oldest = token;
  return oldest;
}

/** A thread's part of oldestToken: the oldest token it holds. */
function oldestTokenOf(this: Srcu, thread: number): number {
  let oldest = Number.POSITIVE_INFINITY;
  for (const [token, reader] of this.active) if (reader.id === thread && token < oldest) oldest = token;
  return oldest;
}

export function newSrcu(name: string): Srcu {
  const s = { name, active: new Map<number, ThreadContext>(), nextToken: 1, stateKey: oldestToken, threadKey: oldestTokenOf } as Omit<Srcu, 'ops'> & { ops: Srcu['ops'] };
  const lockLabel = `srcu_read_lock(&${name})`;
  s.ops = {
    readLock: {
      object: s,
      access: 'rcu-enter',
      label: lockLabel,
      run: (self) => {
        const token = s.nextToken++;
        s.active.set(token, self);
        hold(self, s, lockLabel, false);
        hbAcquire(self, `${name}#gp-start`);
        return token;
      },
    },
    syncStart: {
      object: s,
      access: 'rcu-sync',
      label: `synchronize_srcu(&${name})`,
      alsoTouches: SLEEPS,
      run: (self) => {
        mightSleep(self, `synchronize_srcu(&${name})`);
        // sections that already ended are ordered before the grace period's end: join them now
        hbAcquire(self, s);
        hbRelease(self, `${name}#gp-start`);
        return { tokens: [...s.active.keys()] };
      },
    },
  };
  return s;
}

export function* srcuReadLock(s: Srcu): Steps<number> {
  return yield* perform(s.ops.readLock);
}

export function* srcuReadUnlock(s: Srcu, token: number): Steps<void> {
  yield* perform<void>({
    object: s,
    access: 'rcu-exit',
    label: `srcu_read_unlock(&${s.name})`,
    run: (self) => {
      const reader = s.active.get(token);
      if (reader !== self) {
        const why = reader ? `entered by ${reader.letter}` : 'not active';
        throw new KernelFault('unlock-not-held', `${self.letter} leaves SRCU section ${token} of ${s.name}, which is ${why}`);
      }
      s.active.delete(token);
      release(self, s);
      hbPublish(self, s);
      hbRelease(self, `${s.name}#${token}`);
    },
  });
}

/** synchronize_srcu: snapshot the active readers, then block until each has left. */
export function* synchronizeSrcu(s: Srcu): Steps<void> {
  const gp = yield* perform(s.ops.syncStart);
  const waitFor = gp.tokens;
  if (waitFor.length === 0) return;
  const label = `synchronize_srcu(&${s.name}) waits for readers`;
  const newest = Math.max(...waitFor);
  yield* perform<void>({
    object: s,
    access: 'rcu-sync',
    label,
    enabled: () => waitFor.every((t) => !s.active.has(t)),
    enabledAt: (oldest) => oldest > newest,
    waitsFor: () =>
      `SRCU readers ${waitFor
        .filter((t) => s.active.has(t))
        .map((t) => s.active.get(t)!.letter)
        .join(', ')} of ${s.name} to leave`,
    run: (self) => {
      for (const t of waitFor) hbAcquire(self, `${s.name}#${t}`);
    },
  });
}

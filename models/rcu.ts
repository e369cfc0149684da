/**
 * Classic (non-preemptible) RCU, one domain. rcu_read_lock/unlock nest and make the thread atomic
 * (preemption off), so a may-sleep step inside is a bug. synchronize_rcu may sleep and waits for
 * every read-side section that was running when it began — new readers do not delay it — in two
 * steps, the snapshot and the wait. call_rcu queues a callback that runs once the sections running
 * at the call have ended.
 *
 * Option `sleepIsQuiescent` (S4a: what the kernel does when a reader sleeps and no debug option
 * catches it): sleeping inside a section is not reported; instead the sleep is a quiescent state,
 * so grace periods waiting for that section end, and callbacks waiting for it may free what the
 * reader still uses. After the sleep the reader is again in a section, for later grace periods.
 *
 * Choices:
 * - A callback runs at the earliest step it may: inside the step that ends the last section it
 *   waited for (or call_rcu itself when there is none). Any later moment lets no more accesses see
 *   the object freed, so this schedule choice loses no use-after-free; the callback's site names
 *   the step that queued it. For partial-order reduction such a step also writes what its
 *   callbacks touch: every step that may run callbacks (rcu_read_unlock, call_rcu, kfree_rcu)
 *   declares a write of every object a callback queued so far frees (kfree_rcu's object,
 *   call_rcu's `touches`). The queue itself needs no object of its own: the steps that may run
 *   callbacks end sections (`rcu-exit`) or queue (`rcu-sync`), and the queueing steps conflict with
 *   all of them on the domain. The list only grows, and only by a queueing step, so an unlock
 *   announced before it grew conflicts with the step that grew it. Gap: a sleep that is a
 *   quiescent state (`sleepIsQuiescent`) may run callbacks too, but the sleeping op cannot know
 *   the domain; it declares only QUIESCENT_SLEEP (models/might-sleep.ts), not what they free.
 * - Happens-before: a grace period orders every section that ended before its end and was running
 *   or done at its start before the code after synchronize_rcu; its start is ordered before every
 *   section that begins later (the two halves of RCU's guarantee).
 */
import { describeSite, hbAcquire, hbPublish, hbRelease, type Op, perform, type QuiescentOnSleep, type Site, siteOf, type Steps, type ThreadContext, threadName } from '../src/index';
import { hold, release } from './kit/held';
import { freeObject, touch, type Mortal, type Touch } from './kit/lifetime';
import { unlockNotHeld } from './kit/lock-tracking';
import { mightSleep, QUIESCENT_SLEEP, SLEEPS } from './kit/might-sleep';
import { withOps } from './kit/with-ops';

export interface RcuOptions {
  /** Sleeping in a read section is a quiescent state instead of a reported bug. Default false. */
  readonly sleepIsQuiescent?: boolean;
}

/** A reader inside a section: how deeply nested, and which section grace periods must wait for. */
interface RcuReader {
  depth: number;
  section: number;
}

/** A call_rcu callback waiting for its grace period. */
export interface RcuCallback {
  /** Sections that were running when it was queued and have not ended yet. */
  readonly waitFor: Set<number>;
  /** The queueing call (`call_rcu(mn_free_rcu(mn))`, `kfree_rcu(mn)`). */
  readonly label: string;
  /** Where it was queued. */
  readonly queuedAt: Site;
  /** The callback: `self` is the thread whose step ended the grace period. */
  readonly run: (self: ThreadContext, queuedAt: Site) => void;
}

export interface Rcu extends QuiescentOnSleep {
  readonly sleepIsQuiescent: boolean;
  // invariant: readers holds exactly the threads inside a read section (depth > 0)
  readonly readers: Map<ThreadContext, RcuReader>;
  /** Next section id; never reused, so a grace period can name the sections it waits for. */
  nextSection: number;
  /** Queued callbacks, in call order. */
  readonly callbacks: RcuCallback[];
  /** The ops of this domain, allocated once. */
  readonly ops: { readonly readLock: Op<void>; readonly readUnlock: Op<void>; readonly syncStart: Op<GracePeriod> };
}

/** What synchronize_rcu snapshotted at its start. */
interface GracePeriod {
  readonly sections: readonly number[];
}

/** Labels name the domain only when there are several (any name but the default `rcu`). */
function domainSuffix(name: string): string {
  return name === 'rcu' ? '' : ` [${name}]`;
}

function sectionKey(r: Rcu, section: number): string {
  return `${r.name}#${section}`;
}

function isActive(r: Rcu, section: number): boolean {
  for (const reader of r.readers.values()) if (reader.section === section) return true;
  return false;
}

/** The section `section` has ended (unlock or quiescent sleep): publish its clock, run callbacks due. */
function endSection(r: Rcu, self: ThreadContext, section: number): void {
  hbPublish(self, r);
  hbRelease(self, sectionKey(r, section));
  for (let i = 0; i < r.callbacks.length; ) {
    const cb = r.callbacks[i]!;
    cb.waitFor.delete(section);
    if (cb.waitFor.size > 0) {
      i++;
      continue;
    }
    r.callbacks.splice(i, 1);
    cb.run(self, cb.queuedAt);
  }
}

/**
 * The domain's stateKey: its oldest active section's number (Infinity with none). Sections are
 * numbered as they start, so every section a grace period waits for is at most the last one
 * active at its start, and every section that starts later is newer: the wait is over exactly
 * when the oldest active section is newer than that.
 */
function oldestActive(this: Rcu): number {
  let oldest = Number.POSITIVE_INFINITY;
  for (const reader of this.readers.values()) if (reader.section < oldest) oldest = reader.section;
  return oldest;
}

/** A thread's part of oldestActive: its own section's number, Infinity outside one. */
function sectionOf(this: Rcu, thread: number): number {
  for (const [t, reader] of this.readers) if (t.id === thread) return reader.section;
  return Number.POSITIVE_INFINITY;
}

function activeSections(r: Rcu): number[] {
  return [...r.readers.values()].map((x) => x.section);
}

// Declarations only (see Choices): per domain, what running its callbacks may write.
const callbackWrites = new WeakMap<Rcu, Touch[]>();

/** Every object a callback queued on `r` so far touches, as writes; grows, never shrinks. */
function callbacksTouch(r: Rcu): Touch[] {
  let t = callbackWrites.get(r);
  if (t === undefined) callbackWrites.set(r, (t = []));
  return t;
}

function noteCallbackWrites(r: Rcu, touches: readonly Touch[]): void {
  const t = callbacksTouch(r);
  for (const x of touches) if (!t.some((y) => y.object === x.object)) t.push(touch(x.object, 'write'));
}

/** What a grace-period step of `r` declares besides the domain: ordered against quiescent sleeps. */
function gracePeriodTouches(r: Rcu, more: readonly Touch[] = []): readonly Touch[] | undefined {
  // why readByEnabled: a sleep that ends a section is what lets the waiting grace period finish,
  // so its enabled depends on the steps that declare QUIESCENT_SLEEP
  const all = r.sleepIsQuiescent ? [...more, { ...touch(QUIESCENT_SLEEP, 'rcu-sync'), readByEnabled: true }] : more;
  return all.length === 0 ? undefined : all;
}

export function newRcu(name = 'rcu', options: RcuOptions = {}): Rcu {
  const lockLabel = `rcu_read_lock()${domainSuffix(name)}`;
  const unlockLabel = `rcu_read_unlock()${domainSuffix(name)}`;
  const syncLabel = `synchronize_rcu()${domainSuffix(name)}`;
  const base: Omit<Rcu, 'ops'> = {
    name,
    sleepIsQuiescent: options.sleepIsQuiescent ?? false,
    readers: new Map(),
    nextSection: 1,
    callbacks: [],
    stateKey: oldestActive,
    threadKey: sectionOf,
    quiesce(self: ThreadContext) {
      const reader = this.readers.get(self);
      if (reader === undefined) return;
      const ended = reader.section;
      reader.section = this.nextSection++;
      endSection(this as Rcu, self, ended);
    },
  };
  return withOps<Rcu>(base, (r) => ({
    readLock: {
      object: r,
      access: 'rcu-enter',
      label: lockLabel,
      run: (self) => {
        const reader = r.readers.get(self);
        if (reader) reader.depth++;
        else {
          r.readers.set(self, { depth: 1, section: r.nextSection++ });
          hbAcquire(self, `${name}#gp-start`);
        }
        hold(self, r, lockLabel, true);
      },
    },
    readUnlock: {
      object: r,
      access: 'rcu-exit',
      label: unlockLabel,
      alsoTouches: callbacksTouch(r),
      run: (self) => {
        const reader = r.readers.get(self);
        if (reader === undefined) unlockNotHeld(self, r, unlockLabel, 'has no read-side section of it open');
        release(self, r);
        if (--reader.depth > 0) return;
        r.readers.delete(self);
        endSection(r, self, reader.section);
      },
    },
    syncStart: {
      object: r,
      access: 'rcu-sync',
      label: syncLabel,
      alsoTouches: r.sleepIsQuiescent ? gracePeriodTouches(r) : SLEEPS,
      run: (self) => {
        mightSleep(self, syncLabel);
        // sections that already ended are ordered before the grace period's end: join them now
        hbAcquire(self, r);
        hbRelease(self, `${name}#gp-start`);
        return { sections: activeSections(r) };
      },
    },
  }));
}

export function* rcuReadLock(r: Rcu): Steps<void> {
  yield* perform(r.ops.readLock);
}

export function* rcuReadUnlock(r: Rcu): Steps<void> {
  yield* perform(r.ops.readUnlock);
}

/** synchronize_rcu: may sleep; returns once every section running at its start has ended. */
export function* synchronizeRcu(r: Rcu): Steps<void> {
  const gp = yield* perform(r.ops.syncStart);
  if (gp.sections.length === 0) return;
  const newest = Math.max(...gp.sections);
  // why not with sleepIsQuiescent: the wait then also reads QUIESCENT_SLEEP (readByEnabled)
  const enabledAt = r.sleepIsQuiescent ? undefined : (oldest: number) => oldest > newest;
  yield* perform<void>({
    object: r,
    access: 'rcu-sync',
    label: `synchronize_rcu()${domainSuffix(r.name)} waits for readers`,
    alsoTouches: gracePeriodTouches(r),
    enabled: () => gp.sections.every((s) => !isActive(r, s)),
    enabledAt,
    waitsFor: () =>
      `RCU readers ${[...r.readers.entries()]
        .filter(([, x]) => gp.sections.includes(x.section))
        .map(([t]) => threadName(t))
        .join(', ')} of ${r.name} to leave their sections`,
    run: (self) => {
      for (const s of gp.sections) hbAcquire(self, sectionKey(r, s));
    },
  });
}

/** Queues `cb` behind the sections running now, or runs it at once when there are none. */
function queueCallback(r: Rcu, self: ThreadContext, label: string, run: RcuCallback['run']): void {
  const cb: RcuCallback = { waitFor: new Set(activeSections(r)), label, queuedAt: siteOf(self, label), run };
  if (cb.waitFor.size === 0) run(self, cb.queuedAt);
  else r.callbacks.push(cb);
}

/**
 * call_rcu(head, fn): queue `fn` to run after a grace period. `fn` gets the context of the thread
 * whose step ended the grace period and the site that queued it; `label` names the callback
 * (`mn_free_rcu(mn)`). `touches` must list every object `fn` reads or writes (declared as writes
 * of the steps that may run it; see Choices): the model cannot see inside `fn`.
 */
export function* callRcu(r: Rcu, label: string, fn: RcuCallback['run'], touches: readonly Touch[] = []): Steps<void> {
  const callLabel = `call_rcu(${label})`;
  yield* perform<void>({
    object: r,
    access: 'rcu-sync',
    label: `${callLabel}${domainSuffix(r.name)}`,
    alsoTouches: gracePeriodTouches(r, touches.map((x) => touch(x.object, 'write'))),
    run: (self) => {
      noteCallbackWrites(r, touches);
      queueCallback(r, self, callLabel, fn);
    },
  });
}

/** kfree_rcu(obj): free `obj` once the sections running now have ended. */
export function* kfreeRcu(r: Rcu, obj: Mortal): Steps<void> {
  const label = `kfree_rcu(${obj.name})`;
  yield* perform<void>({
    object: r,
    access: 'rcu-sync',
    label: `${label}${domainSuffix(r.name)}`,
    alsoTouches: gracePeriodTouches(r, [touch(obj, 'write')]),
    run: (self) => {
      noteCallbackWrites(r, [touch(obj, 'write')]);
      queueCallback(r, self, label, (runner, queuedAt) =>
        freeObject(obj, runner, `${label} after a grace period (queued by ${describeSite(queuedAt)})`),
      );
    },
  });
}

/** Whether `t` is inside a read section of `r` (rcu_read_lock_held()); for models and invariants. */
export function rcuReadLockHeld(r: Rcu, t: ThreadContext): boolean {
  return r.readers.has(t);
}

/**
 * The per-mm mmu-notifier list (`mm->mmu_notifier_mm`: an hlist and a spinlock) and the notifier
 * calls of mm/mmu_notifier.c, for the eras the scenarios need:
 * - the read side that protects list walks is a parameter (`ReadSide`): classic RCU up to v3.6,
 *   one global SRCU domain from 21a92735f6 (v3.7) on;
 * - `invalidate_page`, `invalidate_range_start/end` and `change_pte` walk the list under that read
 *   side and call each notifier's callback, as `__mmu_notifier_*` do in every 3.x kernel;
 * - `->release`, unlinking and registration differ per era and are the subject of scenarios, so
 *   scenarios write them from the pieces here (`callRelease`, the hlist ops, the lock).
 *
 * Ghost state (`releaseCalls`, `inRelease`, the open-range books) is only read by invariants; no
 * modeled step reads it, so it never changes a schedule. A range_start is also an obligation of
 * its thread (src/checks/obligations.ts): a thread that returns without the matching range_end is
 * reported as `range-not-ended`, with the start's step.
 *
 * Choices:
 * - Callbacks are generators (`MmuNotifierOps`): a client's callback takes its own locks, sleeps
 *   and blocks with its own steps. A notifier without a callback costs no step for that event.
 * - ->release alone gets entry and return steps (as before): INV-UNREG-QUIESCENT and
 *   INV-EXIT-AFTER-RELEASE need to see a thread inside it. Other callbacks are their client's steps.
 * - `mm_has_notifiers()` is not a step: the walk always runs (an empty walk is three steps).
 * - A notifier is Mortal: the walk's pointer loads and callback dispatch (`mn->ops`) check that
 *   it is live, which is where a driver's early kfree(mn) shows up (S4a).
 */
import { ghostObject, ghostStep, named, writesGhost, type Ghost } from '../kit/ghost';
import { assertLive, freeObject, liveCheck, mortal, touch, type Mortal, type Touch } from '../kit/lifetime';
import { closeObligation, type Invariant, type Op, openObligation, perform, type SharedObject, type Steps, type ThreadContext } from '../../src/index';
import { hlistAddHeadAtSetup, isReachable, newHlistHead, newHlistNode, type HlistHead, type HlistNode } from '../hlist-rcu';
import { rcuReadLock, rcuReadUnlock, synchronizeRcu, type Rcu } from '../rcu';
import { newSpinlock, type Spinlock } from '../spinlock';
import { srcuReadLock, srcuReadUnlock, synchronizeSrcu, type Srcu } from '../srcu';

/** The read-side protection of notifier list walks in one kernel era (RCU or SRCU). */
export interface ReadSide {
  /** `srcu` or `rcu`, for labels. */
  readonly name: string;
  /** rcu_read_lock() / srcu_read_lock(); returns the token unlock needs (0 for RCU). */
  readonly lock: () => Steps<number>;
  readonly unlock: (token: number) => Steps<void>;
  /** synchronize_rcu() / synchronize_srcu(). */
  readonly synchronize: () => Steps<void>;
}

/** The v3.7+ read side: the global `srcu` of mm/mmu_notifier.c. */
export function srcuReadSide(srcu: Srcu): ReadSide {
  return {
    name: srcu.name,
    lock: () => srcuReadLock(srcu),
    unlock: (token) => srcuReadUnlock(srcu, token),
    synchronize: () => synchronizeSrcu(srcu),
  };
}

/** The v2.6.27–v3.6 read side: classic RCU (callbacks must not sleep). */
export function rcuReadSide(rcu: Rcu): ReadSide {
  return {
    name: rcu.name,
    lock: function* () {
      yield* rcuReadLock(rcu);
      return 0;
    },
    unlock: () => rcuReadUnlock(rcu),
    synchronize: () => synchronizeRcu(rcu),
  };
}

/** A notifier's callbacks (`struct mmu_notifier_ops`); absent ones are NULL in the kernel. */
export interface MmuNotifierOps<P = unknown> {
  readonly release?: (mn: MmuNotifier<P>, mm: MmuNotifierMm<P>) => Steps<void>;
  readonly invalidatePage?: (mn: MmuNotifier<P>, mm: MmuNotifierMm<P>, address: number) => Steps<void>;
  readonly invalidateRangeStart?: (mn: MmuNotifier<P>, mm: MmuNotifierMm<P>, start: number, end: number) => Steps<void>;
  readonly invalidateRangeEnd?: (mn: MmuNotifier<P>, mm: MmuNotifierMm<P>, start: number, end: number) => Steps<void>;
  readonly changePte?: (mn: MmuNotifier<P>, mm: MmuNotifierMm<P>, address: number, page: P) => Steps<void>;
}

/** struct mmu_notifier_mm: the list of notifiers registered on one mm, and its lock. */
export interface MmuNotifierMm<P = unknown> extends SharedObject {
  readonly lock: Spinlock;
  readonly list: HlistHead;
  /** container_of(node, struct mmu_notifier, hlist). */
  readonly byNode: Map<HlistNode, MmuNotifier<P>>;
  /** How walks are protected; null for scenarios that write their walks by hand (S1). */
  readonly readSide: ReadSide | null;
  /** Ghost, per thread id: the (start, end) pairs passed to range_start and not yet ended. */
  readonly openRanges: Map<number, { start: number; end: number }[]>;
  /** Ghost: every range_end that matched no outstanding range_start of its thread. */
  readonly unpairedEnds: string[];
}

/** struct mmu_notifier with its ops. */
export interface MmuNotifier<P = unknown> extends Mortal {
  readonly hlist: HlistNode;
  readonly ops: MmuNotifierOps<P>;
  /** The mm it is (or will be) registered on. */
  readonly mm: MmuNotifierMm<P>;
  /** Ghost: how many times ->release has been entered. */
  releaseCalls: number;
  /** Ghost: how many threads are inside ->release right now. */
  inRelease: number;
}

export function newMmuNotifierMm<P = unknown>(mmName = 'mm', readSide: ReadSide | null = null): MmuNotifierMm<P> {
  const lock = newSpinlock(`${mmName}->mmu_notifier_mm->lock`);
  const list = newHlistHead(`${mmName}->mmu_notifier_mm->list`, lock);
  return { name: `${mmName}->mmu_notifier_mm`, lock, list, byNode: new Map(), readSide, openRanges: new Map(), unpairedEnds: [] };
}

/** A notifier that is not on any list yet (to be registered by a thread). */
export function newMmuNotifier<P>(mm: MmuNotifierMm<P>, name: string, ops: MmuNotifierOps<P> = {}): MmuNotifier<P> {
  const mn: MmuNotifier<P> = {
    name,
    hlist: newHlistNode(`${name}->hlist`, mm.list),
    ops,
    mm,
    releaseCalls: 0,
    inRelease: 0,
    ...mortal(),
  };
  mm.byNode.set(mn.hlist, mn);
  return mn;
}

/** A notifier already registered when the threads start (registration is not part of the race). */
export function registeredNotifier<P>(mm: MmuNotifierMm<P>, name: string, ops: MmuNotifierOps<P> = {}): MmuNotifier<P> {
  const mn = newMmuNotifier(mm, name, ops);
  hlistAddHeadAtSetup(mn.hlist, mm.list);
  return mn;
}

/** hlist_entry(node, struct mmu_notifier, hlist). */
export function notifierOf<P>(mm: MmuNotifierMm<P>, node: HlistNode): MmuNotifier<P> {
  const mn = mm.byNode.get(node);
  if (!mn) throw new Error(`${node.name} is not the hlist of a notifier of ${mm.name}`);
  return mn;
}

/** First pointer load of `hlist_for_each_entry_rcu(mn, &mm->mmu_notifier_mm->list, hlist)`. */
export function* firstNotifier<P>(mm: MmuNotifierMm<P>): Steps<MmuNotifier<P> | null> {
  return yield* perform({
    object: mm.list,
    access: 'read',
    label: `hlist_first_rcu(&${mm.list.name})`,
    run: () => (mm.list.first === null ? null : notifierOf(mm, mm.list.first)),
  });
}

/** Next pointer load of the walk: reads `mn->hlist.next`, so mn must still be live. */
export function* nextNotifier<P>(mn: MmuNotifier<P>): Steps<MmuNotifier<P> | null> {
  const label = `hlist_next_rcu(&${mn.hlist.name})`;
  return yield* perform({
    object: mn.mm.list,
    access: 'read',
    label,
    alsoTouches: liveCheck(mn),
    run: (self) => {
      assertLive(mn, self, label);
      const next = mn.hlist.next;
      return next === null ? null : notifierOf(mn.mm, next);
    },
  });
}

/** How `callRelease` shows the call. */
export interface CallReleaseOptions {
  /**
   * The call through `mn->ops->release` is a step of its own before the client's first step, so a
   * thread is seen inside ->release before the client's work (KVM's srcu_read_lock(&kvm->srcu) and
   * the mmu_lock it then waits for) and not only during it. Without it a one-step client callback
   * is atomic: nobody can observe a ->release that has begun and not finished.
   */
  readonly dispatchStep?: boolean;
}

/**
 * mn->ops->release(mn, mm): entry step, the client's own steps, return step — a thread can be seen
 * inside the callback while it sleeps or waits.
 */
export function* callRelease<P>(mn: MmuNotifier<P>, options: CallReleaseOptions = {}): Steps<void> {
  const label = `${mn.name}->ops->release()`;
  const enter = (self: ThreadContext) => {
    assertLive(mn, self, label);
    mn.releaseCalls++;
    mn.inRelease++;
  };
  const exit = () => {
    mn.inRelease--;
  };
  if (mn.ops.release && options.dispatchStep) {
    yield* perform<void>({ object: mn, access: 'write', label, run: enter });
    yield* tapLast(mn.ops.release(mn, mn.mm), exit, [touch(mn, 'write')]);
    return;
  }
  if (mn.ops.release) {
    // why no steps of our own: the client's steps are the callback; entry and return are noted in
    // its first and last step, so a one-step callback is atomic and costs one step. Those steps
    // then also write mn (its counters, and the liveness check), and declare it.
    const writesMn = [touch(mn, 'write')];
    yield* tapLast(tapFirst(mn.ops.release(mn, mn.mm), enter, writesMn), exit, writesMn);
    return;
  }
  yield* perform<void>({ object: mn, access: 'write', label, run: enter });
  yield* perform<void>({ object: mn, access: 'write', label: `${label} returns`, run: exit });
}

/** kfree(mn) by the driver once unregister has returned. */
export function* freeNotifier<P>(mn: MmuNotifier<P>): Steps<void> {
  const label = `kfree(${mn.name})`;
  yield* perform<void>({ object: mn, access: 'write', label, run: (self) => freeObject(mn, self, label) });
}

function readSideOf<P>(mm: MmuNotifierMm<P>): ReadSide {
  if (mm.readSide === null) throw new Error(`${mm.name} was made without a read side; pass rcu or srcu to newMmuNotifierMm`);
  return mm.readSide;
}

/** The walk of every `__mmu_notifier_*` call: read side held, one callback per notifier. */
function* walk<P>(mm: MmuNotifierMm<P>, call: (mn: MmuNotifier<P>) => Steps<void> | null): Steps<void> {
  const rs = readSideOf(mm);
  const token = yield* rs.lock();
  for (let mn = yield* firstNotifier(mm); mn !== null; mn = yield* nextNotifier(mn)) {
    const steps = call(mn);
    if (steps !== null) yield* steps;
  }
  yield* rs.unlock(token);
}

/** mmu_notifier_invalidate_page(mm, address) (v2.6.27–v4.12). */
export function* mmuNotifierInvalidatePage<P>(mm: MmuNotifierMm<P>, address: number): Steps<void> {
  yield* walk(mm, (mn) => (mn.ops.invalidatePage ? mn.ops.invalidatePage(mn, mm, address) : null));
}

/** mmu_notifier_change_pte(mm, address, pte) (v2.6.32 on; under the PTL, must not sleep). */
export function* mmuNotifierChangePte<P>(mm: MmuNotifierMm<P>, address: number, page: P): Steps<void> {
  yield* walk(mm, (mn) => (mn.ops.changePte ? mn.ops.changePte(mn, mm, address, page) : null));
}

/**
 * mmu_notifier_invalidate_range_start(mm, start, end). Opens the range in the pairing books, and as
 * an obligation of the thread: returning before a matching range_end is `range-not-ended`.
 */
export function* mmuNotifierInvalidateRangeStart<P>(mm: MmuNotifierMm<P>, start: number, end: number): Steps<void> {
  yield* tapFirst(
    walk(mm, (mn) => (mn.ops.invalidateRangeStart ? mn.ops.invalidateRangeStart(mn, mm, start, end) : null)),
    (self) => {
      openRangesOf(mm, self).push({ start, end });
      openObligation(self, 'range-not-ended', mm, rangeTag(start, end), `mmu_notifier_invalidate_range_start(${mmOf(mm)}, ${hex(start)}, ${hex(end)})`);
    },
    writesRangeBooks(mm),
  );
}

/** The mm's own name (`mm`), as the kernel call takes it. */
function mmOf<P>(mm: MmuNotifierMm<P>): string {
  return mm.name.replace(/->mmu_notifier_mm$/, '');
}

function rangeTag(start: number, end: number): string {
  return `${start}-${end}`;
}

/** mmu_notifier_invalidate_range_end(mm, start, end). Must match an open range_start exactly. */
export function* mmuNotifierInvalidateRangeEnd<P>(mm: MmuNotifierMm<P>, start: number, end: number): Steps<void> {
  yield* tapFirst(
    walk(mm, (mn) => (mn.ops.invalidateRangeEnd ? mn.ops.invalidateRangeEnd(mn, mm, start, end) : null)),
    (self) => {
      const open = openRangesOf(mm, self);
      const i = open.findIndex((r) => r.start === start && r.end === end);
      if (i >= 0) {
        open.splice(i, 1);
        closeObligation(self, 'range-not-ended', mm, rangeTag(start, end));
        return;
      }
      const outstanding = open.map((r) => `[${hex(r.start)}, ${hex(r.end)})`).join(', ') || 'none';
      mm.unpairedEnds.push(
        `${self.letter} (${self.name}) step ${self.step}: invalidate_range_end(mm, ${hex(start)}, ${hex(end)}) ` +
          `matches no invalidate_range_start of the thread (outstanding: ${outstanding})`,
      );
    },
    writesRangeBooks(mm),
  );
}

/**
 * What the pairing books' taps declare: a write of the mm, the object that stands for its ghost
 * books (`openRanges`, `unpairedEnds`), which other threads' steps read (models/secondary-mmu.ts).
 */
function writesRangeBooks<P>(mm: MmuNotifierMm<P>): readonly Touch[] {
  return [touch(mm, 'write')];
}

function openRangesOf<P>(mm: MmuNotifierMm<P>, self: ThreadContext): { start: number; end: number }[] {
  let open = mm.openRanges.get(self.id);
  if (open === undefined) mm.openRanges.set(self.id, (open = []));
  return open;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/**
 * `op` with `before` / `after` run around its effect; the label stays live (fused ops). `extra`
 * declares what the added code touches, on top of what `op` declares.
 */
function wrapRun<R>(op: Op<R>, run: (self: ThreadContext) => R, extra: readonly Touch[]): Op<R> {
  const also = op.alsoTouches === undefined || op.alsoTouches.length === 0 ? extra : [...op.alsoTouches, ...extra];
  return {
    object: op.object,
    access: op.access,
    alsoTouches: also,
    get label() {
      return op.label;
    },
    ...(op.enabled ? { enabled: op.enabled } : {}),
    ...(op.enabledAt ? { enabledAt: op.enabledAt } : {}),
    ...(op.waitsFor ? { waitsFor: op.waitsFor } : {}),
    run,
  };
}

/**
 * Runs `tap` inside the first step of `inner` (ghost bookkeeping that needs the running thread but
 * must not cost a step of its own), then passes every op and result through unchanged.
 */
function* tapFirst<R>(inner: Steps<R>, tap: (self: ThreadContext) => void, touches: readonly Touch[]): Steps<R> {
  let r = inner.next();
  if (r.done) return r.value;
  const first = r.value;
  let sent: unknown = yield wrapRun(first, (self) => (tap(self), first.run(self)), touches);
  for (r = inner.next(sent); !r.done; r = inner.next(sent)) sent = yield r.value;
  return r.value;
}

/**
 * Runs `tap` inside the last step of `inner`. Each step advances `inner` right after its effect,
 * inside the same run (the thread would run that code next anyway), to learn whether it was the
 * last one.
 */
function* tapLast<R>(inner: Steps<R>, tap: (self: ThreadContext) => void, touches: readonly Touch[]): Steps<R> {
  let r = inner.next();
  while (!r.done) {
    const op = r.value;
    let ahead: IteratorResult<Op, R> | null = null;
    yield wrapRun(op, (self) => {
      const result = op.run(self);
      ahead = inner.next(result);
      if (ahead.done) tap(self);
      return result;
    }, touches);
    r = ahead!;
  }
  return r.value;
}

/**
 * INV-RANGE-PAIRING as an invariant over the mm that `mmOf` picks out of a world: every
 * invalidate_range_end matched an outstanding invalidate_range_start of the same thread with the
 * same arguments.
 */
export function rangePairing<W, P>(mmOf: (w: W) => MmuNotifierMm<P>): Invariant<W> {
  return {
    id: 'range-pairing',
    description: 'each invalidate_range_end(mm, s, e) matches an outstanding invalidate_range_start(mm, s, e) of its thread',
    check: (w) => {
      const bad = mmOf(w).unpairedEnds;
      return bad.length === 0 ? true : bad[0]!;
    },
  };
}

/** What `unregisterQuiescent` reads of a world: the notifier, its mm, and whether unregister returned. */
export interface UnregisterView<P> {
  readonly mn: MmuNotifier<P>;
  readonly mm: MmuNotifierMm<P>;
  readonly unregisterReturned: boolean;
}

/**
 * mmu_notifier_unregister's promise to its caller, who frees mn next: once it returns, no
 * ->release of mn is still running and mn can no longer be reached from the list.
 */
export function unregisterQuiescent<W, P>(viewOf: (w: W) => UnregisterView<P>): Invariant<W> {
  return {
    id: 'unregister-quiescent',
    description: 'after mmu_notifier_unregister(mn) returns, nobody is in mn->release and mn is off the list',
    check: (w) => {
      const { mn, mm, unregisterReturned } = viewOf(w);
      if (!unregisterReturned) return true;
      if (mn.inRelease > 0) return `${mn.name}->ops->release still running after unregister returned`;
      if (isReachable(mm.list, mn.hlist)) return `${mn.name} still reachable from ${mm.list.name}`;
      return true;
    },
  };
}

/** Ghost: what __mmu_notifier_release() left behind when it returned to exit_mmap(), null while it runs. */
export type ReleaseLeft = Ghost<{ left: string | null }>;

/** The ghost `releaseReturned` and `exitAfterRelease` share, named `ghost: release left`. */
export function newReleaseLeft(): ReleaseLeft {
  return ghostObject<{ left: string | null }>('ghost: release left', { left: null });
}

/**
 * The end of __mmu_notifier_release(): its grace period (`sync`, or none when a mutant drops it),
 * then the return to exit_mmap(), which frees the mm's pages. Notes in `ghost` what the notifiers
 * `mns` were doing, in the grace period's first and last steps (which then declare reading them).
 */
export function* releaseReturned<P>(ghost: ReleaseLeft, mns: readonly MmuNotifier<P>[], sync: (() => Steps<void>) | null): Steps<void> {
  let runningAtStart: readonly number[] = [];
  const atStart = () => void (runningAtStart = mns.map((mn) => mn.inRelease));
  if (sync !== null) yield* writesGhost(ghost, afterFirstStep(sync(), atStart), mns);
  else yield* ghostStep(ghost, '__mmu_notifier_release() returns', atStart, mns);
  ghost.left = unreleased(mns, runningAtStart);
}

/**
 * What exit_mmap() would free pages under: a notifier no ->release of which has returned, or one
 * whose ->release was already running when the grace period began and still is. Why not "no ->release in
 * flight": synchronize_(s)rcu waits only for readers that were inside when it began, so an
 * unregister's ->release entered after that — a second call, the walk's own having returned — may
 * still run when exit_mmap frees the pages (d34883d4e3 accepts it as harmless). The scenarios call
 * ->release at most once per thread and the walk's call has returned by then, so a call running at
 * both points is one call.
 */
function unreleased<P>(mns: readonly MmuNotifier<P>[], runningAtStart: readonly number[]): string {
  const bad: string[] = [];
  mns.forEach((mn, i) => {
    if (mn.releaseCalls - mn.inRelease === 0) bad.push(`${mn.name}: no ->release has returned (${mn.inRelease} in flight)`);
    else if ((runningAtStart[i] ?? 0) > 0 && mn.inRelease > 0) bad.push(`${mn.name}: a ->release that began before the grace period is still in flight`);
  });
  return bad.length === 0 ? 'ok' : bad.join('; ');
}

/** `inner` with `record` run as the thread's code right after its first step. */
function* afterFirstStep<R>(inner: Steps<R>, record: () => void): Steps<R> {
  let r = inner.next();
  let first = true;
  while (!r.done) {
    const result: unknown = yield r.value;
    if (first) record();
    first = false;
    r = inner.next(result);
  }
  return r.value;
}

/**
 * INV-EXIT-AFTER-RELEASE over the ghost `releaseReturned` fills in: when __mmu_notifier_release
 * returns, every notifier has completed ->release, and none that was running when the grace period
 * began is still running.
 */
export function exitAfterRelease<W>(ghostOf: (w: W) => ReleaseLeft): Invariant<W> {
  return {
    id: 'exit-after-release',
    description: 'when __mmu_notifier_release returns, every notifier has completed ->release',
    observes: named('ghost: release left'),
    check: (w) => {
      const left = ghostOf(w).left;
      return left === null || left === 'ok' ? true : `exit_mmap proceeds with ${left}`;
    },
  };
}

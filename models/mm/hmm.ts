/**
 * The interval notifier of mm/mmu_notifier.c (99cb252f5e68, v5.5 on) as HMM mirrors use it, and
 * a device that mirrors the CPU page table without holding page references.
 *
 * Kernel semantics kept:
 * - `subscriptions->invalidate_seq` is even while no invalidation runs and odd while one does:
 *   range_start makes it odd (and counts the active ranges), the last range_end makes it even again
 *   and wakes the waiters of `subscriptions->wq`.
 * - Each overlapping subscription's `->invalidate(sub, range, cur_seq)` runs between the two; the
 *   driver's callback takes its own update lock, stores `cur_seq` in the subscription
 *   (mmu_interval_set_seq) and zaps its device entries.
 * - mmu_interval_read_begin() returns the subscription's sequence; if an invalidation of this
 *   subscription is in progress (its seq equals the odd mm sequence) it first sleeps until the mm
 *   sequence moves. mmu_interval_read_retry() is true when the subscription's seq changed since.
 * - A subscription inserted while idle starts at `invalidate_seq - 1`, so read_begin never waits
 *   on it and read_retry sees the first callback.
 *
 * Choices:
 * - Every op on the subscriptions and on the subscription's seq declares one object,
 *   `mm->notifier_subscriptions`: each subscriptions->lock section is one step (nothing is done
 *   between its lock and unlock that another thread could see), and mmu_interval_set_seq, a
 *   WRITE_ONCE that read_begin reads under that lock, is ordered by the same object. Coarse, so
 *   sound for a partial-order reduction.
 * - The driver's callback is one step (mutex_lock, set_seq, zap, mutex_unlock), declared on the
 *   subscriptions for the seq it writes. The driver's commit (mutex_lock, read_retry, program,
 *   mutex_unlock) is one step as well (`deviceCommit`): both hold the driver's update lock for their
 *   whole step and nothing else takes it, so it is never seen held and is not an object of its own.
 * - Deferred insertion and removal (a subscription added or removed during an invalidation) are
 *   not modelled here.
 */
import { bugOn, type Invariant, perform, type SharedObject, type Steps } from '../../src/index';
import type { Folio } from './folio';
import { mightSleep, SLEEPS, withSleep } from '../kit/might-sleep';
import { newWaitQueue, waitEvent, wakeUp, type WaitQueue } from '../waitqueue';

/** struct mmu_notifier_subscriptions: the interval-tree part. */
export interface Subscriptions extends SharedObject {
  // invariant: odd exactly while activeRanges > 0 and some range_start found an overlapping sub
  invalidateSeq: number;
  /** Range starts not yet ended. */
  activeRanges: number;
  /** Waiters of read_begin (and of remove). */
  readonly wq: WaitQueue;
}

/** struct mmu_interval_notifier: one subscription of [start, end). */
export interface IntervalSub {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  /** interval_sub->invalidate_seq. */
  invalidateSeq: number;
  readonly subs: Subscriptions;
}

/** A device page table mirroring part of an mm, with the driver's update lock. */
export interface Device extends SharedObject {
  // invariant: an entry maps a page only while no callback covering its address has run since the
  // commit that programmed it
  readonly dpte: Map<number, Folio | null>;
}

/** An idle mm's subscriptions (the sequence starts even). */
export function newSubscriptions(mmName = 'mm'): Subscriptions {
  return { name: `${mmName}->notifier_subscriptions`, invalidateSeq: 2, activeRanges: 0, wq: newWaitQueue(`${mmName}->notifier_subscriptions->wq`) };
}

/** mmu_interval_notifier_insert() while idle (not a step: the driver set it up before the race). */
export function insertIntervalSubAtSetup(subs: Subscriptions, name: string, start: number, end: number): IntervalSub {
  bugOn(subs.invalidateSeq % 2 !== 0, 'insertIntervalSubAtSetup: an invalidation is in progress');
  return { name, start, end, invalidateSeq: subs.invalidateSeq - 1, subs };
}

export function newDevice(name: string): Device {
  return { name, dpte: new Map() };
}

/**
 * The device's entries are written under the subscriptions' object by the interval-notifier steps
 * and under the device's by the mirror callback: each writer declares the device too.
 */
function writesDpte(dev: Device): readonly { readonly object: SharedObject; readonly access: 'write' }[] {
  return [{ object: dev, access: 'write' }];
}

function hex(a: number): string {
  return `0x${a.toString(16)}`;
}

/**
 * mn_itree_inv_start_range(): active_invalidate_ranges++, and if `sub` overlaps [start, end) the
 * sequence goes odd. Returns the sequence the callbacks get (cur_seq), or null when `sub` does not
 * overlap (no callback is due).
 */
export function* intervalInvalidateStart(sub: IntervalSub, start: number, end: number): Steps<number | null> {
  const subs = sub.subs;
  return yield* perform({
    object: subs,
    access: 'write',
    label: `mn_itree_inv_start_range(${hex(start)}, ${hex(end)}): active++, invalidate_seq |= 1`,
    run: () => {
      subs.activeRanges++;
      if (sub.end <= start || sub.start >= end) return null;
      subs.invalidateSeq |= 1;
      return subs.invalidateSeq;
    },
  });
}

/** mn_itree_inv_end(): the last active range makes the sequence even again; then wake_up_all(). */
export function* intervalInvalidateEnd(subs: Subscriptions): Steps<void> {
  yield* perform<void>({
    object: subs,
    access: 'write',
    label: 'mn_itree_inv_end(): active--, invalidate_seq++ if it was odd',
    run: () => {
      subs.activeRanges--;
      bugOn(subs.activeRanges < 0, 'mn_itree_inv_end: active_invalidate_ranges < 0');
      if (subs.activeRanges === 0 && subs.invalidateSeq % 2 === 1) subs.invalidateSeq++;
    },
  });
  yield* wakeUp(subs.wq);
}

/** What a driver's ->invalidate callback does besides taking its update lock (both, in a correct one). */
export interface InvalidateParts {
  /** mmu_interval_set_seq(sub, cur_seq): what makes a concurrent read_retry fail. */
  readonly setSeq: boolean;
  /** Zap the device entries in the range. */
  readonly zap: boolean;
}

const CORRECT_INVALIDATE: InvalidateParts = { setSeq: true, zap: true };

/**
 * The driver's ->invalidate(sub, range, cur_seq): mutex_lock(&driver->update);
 * mmu_interval_set_seq(sub, cur_seq); zap the device entries in [start, end); mutex_unlock.
 * `parts` leaves one of the two out (a driver bug, for mutants of a fix).
 */
export function* deviceInvalidate(
  dev: Device,
  sub: IntervalSub,
  curSeq: number,
  start: number,
  end: number,
  parts: InvalidateParts = CORRECT_INVALIDATE,
): Steps<void> {
  const what = [parts.setSeq ? `mmu_interval_set_seq(${sub.name}, ${curSeq})` : null, parts.zap ? 'zap dpte' : null].filter((x) => x !== null).join('; ');
  const label = `${dev.name}_invalidate(${hex(start)}, ${hex(end)}): mutex_lock(update); ${what}; mutex_unlock(update)`;
  yield* perform<void>({
    object: sub.subs,
    access: 'write',
    label,
    alsoTouches: withSleep(writesDpte(dev)),
    run: (self) => {
      mightSleep(self, `mutex_lock(&${dev.name}->update)`);
      if (parts.setSeq) sub.invalidateSeq = curSeq;
      if (parts.zap) for (const a of dev.dpte.keys()) if (a >= start && a < end) dev.dpte.set(a, null);
    },
  });
}

/**
 * mmu_interval_read_begin(sub): read the subscription's seq under subscriptions->lock; if an
 * invalidation of it is in progress, wait_event(wq, invalidate_seq != seq). Returns the seq.
 * `wait: false` returns at once even then (not the kernel's: a mutant of the protocol).
 */
export function* mmuIntervalReadBegin(sub: IntervalSub, opts: { readonly wait: boolean } = { wait: true }): Steps<number> {
  const subs = sub.subs;
  const begin = yield* perform({
    object: subs,
    access: 'read',
    label: `mmu_interval_read_begin(${sub.name}): seq = ${sub.name}->invalidate_seq`,
    run: () => ({ seq: sub.invalidateSeq, invalidating: sub.invalidateSeq === subs.invalidateSeq }),
  });
  if (begin.invalidating && opts.wait) {
    yield* waitEvent(subs.wq, `invalidate_seq != ${begin.seq}`, () => subs.invalidateSeq !== begin.seq, subs);
  }
  return begin.seq;
}

/** What the driver does under its update lock once it has a snapshot. */
export type CommitRule = 'retry-check' | 'no-retry-check';

/**
 * The driver's commit, one step: mutex_lock(&driver->update); if (mmu_interval_read_retry(sub,
 * seq)) give up; else program dpte[address] := page; mutex_unlock. With `no-retry-check` it
 * programs whatever the snapshot saw. Returns whether it programmed the entry.
 */
export function* deviceCommit(dev: Device, sub: IntervalSub, seq: number, address: number, page: Folio, rule: CommitRule): Steps<boolean> {
  const test = rule === 'retry-check' ? `if (mmu_interval_read_retry(${sub.name}, ${seq})) goto again; ` : '';
  const label = `mutex_lock(&${dev.name}->update); ${test}dpte[${hex(address)}] = ${page.name}; mutex_unlock(&${dev.name}->update)`;
  return yield* perform({
    object: sub.subs,
    access: 'write',
    label,
    alsoTouches: withSleep(writesDpte(dev)),
    run: (self) => {
      mightSleep(self, `mutex_lock(&${dev.name}->update)`);
      if (rule === 'retry-check' && sub.invalidateSeq !== seq) return false;
      dev.dpte.set(address, page);
      return true;
    },
  });
}

/**
 * The commit split as a careless driver might write it: the retry test under the update lock,
 * then the device programmed after dropping it (two steps). Returns whether it programmed.
 */
export function* deviceCommitUnlocked(dev: Device, sub: IntervalSub, seq: number, address: number, page: Folio): Steps<boolean> {
  const retry = yield* perform({
    object: sub.subs,
    access: 'read',
    label: `mutex_lock(&${dev.name}->update); mmu_interval_read_retry(${sub.name}, ${seq}); mutex_unlock(&${dev.name}->update)`,
    alsoTouches: SLEEPS,
    run: (self) => {
      mightSleep(self, `mutex_lock(&${dev.name}->update)`);
      return sub.invalidateSeq !== seq;
    },
  });
  if (retry) return false;
  yield* perform<void>({
    object: sub.subs,
    access: 'write',
    label: `dpte[${hex(address)}] = ${page.name} [update lock dropped]`,
    alsoTouches: writesDpte(dev),
    run: () => {
      dev.dpte.set(address, page);
    },
  });
  return true;
}

/**
 * The v4.14 HMM mirror callback, `mirror->ops->sync_cpu_device_pagetables(mirror, action, start,
 * end)`: the driver zaps its entries in [start, end). `when` names the HMM hook that calls it.
 */
export function* hmmMirrorSync(dev: Device, start: number, end: number, when: string): Steps<void> {
  yield* perform<void>({
    object: dev,
    access: 'write',
    label: `${when}: sync_cpu_device_pagetables(${hex(start)}, ${hex(end)}): zap dpte`,
    run: () => {
      for (const a of dev.dpte.keys()) if (a >= start && a < end) dev.dpte.set(a, null);
    },
  });
}

/** INV-SMMU-NO-FREED for a device mirror: no device entry maps a freed page. */
export function deviceNoFreed<W>(devOf: (w: W) => Device): Invariant<W> {
  return {
    id: 'smmu-no-freed',
    description: 'a freed page is mapped by no device page-table entry',
    check: (w) => {
      const dev = devOf(w);
      for (const [a, p] of dev.dpte) {
        if (p !== null && p.life === 'freed') return `${p.name} was freed while ${dev.name}->dpte[${hex(a)}] still maps it`;
      }
      return true;
    },
  };
}

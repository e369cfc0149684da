/**
 * mm_take_all_locks() / mm_drop_all_locks() (mm/mmap.c), the bulk locking that mmu-notifier
 * registration uses to find the mm "not doing anything": with mmap_lock held for write, take every
 * lock through which some path can change the mm's page tables without mmap_lock — every file
 * VMA's i_mmap lock and every anon_vma root lock, and from v6.4 every VMA's per-VMA lock — so no
 * invalidate_range_start/end window of the mm can be open while the caller holds them all.
 *
 * Kernel facts kept, per era (options):
 * - A global mutex (mm_all_locks_mutex) serialises callers: the "already taken" marks below live
 *   in objects shared between mms (a mapping, an anon_vma tree).
 * - Each rmap lock is taken once even when many VMAs share it: a mapping's AS_MM_ALL_LOCKS bit, an
 *   anon_vma root's low bit of rb_root, set when taken and cleared when dropped. Same-class nesting
 *   is annotated with the mmap lock as nest lock (spin_lock_nest_lock, mutex_lock_nest_lock,
 *   down_write_nest_lock).
 * - Order: 2.6.27-rc1 took anon_vma locks first; 7cd5a02f54f4 "mm: fix mm_take_all_locks() locking
 *   order" takes every i_mmap lock first, the rmap order (i_mmap → anon_vma). eeff9a5d47f8 (v6.4)
 *   write-locks every VMA before both passes, the page-fault order.
 * - A pending signal before any VMA makes it undo what it took and return -EINTR.
 * - mm_drop_all_locks() drops every rmap lock, then (v6.4–v6.5-rc) vma_end_write_all(), then the
 *   mutex. The vma_end_write_all() there was removed (Jann Horn, "mm: Don't drop VMA locks in
 *   mm_drop_all_locks()", July 2023): VMA write locks are released only by mmap_write_unlock or
 *   downgrade, and dropping them here also dropped ones the *caller* had taken before.
 *
 * Ghost: `callerVmaLocks` are the VMAs that were write-locked already when mm_take_all_locks came
 * to them (vma_start_write is then a no-op: the lock is the caller's); `earlyReleases` records any
 * such lock that mm_drop_all_locks released, read by the `vma-write-lock-kept` invariant.
 *
 * Choices:
 * - The "already taken" marks are read by the thread's code between steps and written inside the
 *   lock steps. They are not declared objects: only a holder of mm_all_locks_mutex reads or writes
 *   them, so the mutex's own acquire/release steps already order every access.
 * - The i_mmap and anon_vma locks are `RmapLock`s over whichever lock the era used (spinlock in
 *   2.6.27, mutex in 3.x, rwsem later), so one model covers 7b (2.6.27), S5/S7a (3.x) and 7c (6.4).
 */
import { bugOn, type Invariant, type Op, perform, type SharedObject, type Steps, type ThreadContext, threadName } from '../../src/index';
import { describeOwner, lockAcquired, type LockObject } from '../kit/lock-tracking';
import { mightSleep, SLEEPS, wouldSleepInAtomic } from '../kit/might-sleep';
import { mutexLock, mutexUnlock, type Mutex } from '../mutex';
import { downWrite, downWriteNestLock, upWrite, type Rwsem } from '../rwsem';
import { spinLock, spinLockNestLock, spinUnlock, type Spinlock } from '../spinlock';
import { vmaEndWriteAll, vmaIsWriteLocked, vmaStartWrite, type MmLocks, type VmaLock } from './vma-lock';

/** An i_mmap lock of a mapping or an anon_vma root lock, whatever lock type the era used. */
export interface RmapLock {
  /** The lock itself (its name and lockdep class). */
  readonly lock: LockObject;
  /**
   * AS_MM_ALL_LOCKS in mapping->flags / the low bit of anon_vma->root->rb_root: a caller of
   * mm_take_all_locks holds this lock. invariant: only written by a holder of mm_all_locks_mutex.
   */
  allLocksMark: boolean;
  /** Takes it (a plain lock: truncate, vma_adjust, reclaim's rmap walk). */
  readonly take: () => Steps<void>;
  /** Takes it nested under `nest` (the mmap lock mm_take_all_locks holds). */
  readonly takeNested: (nest: SharedObject) => Steps<void>;
  readonly drop: () => Steps<void>;
}

/** An rmap lock that is a mutex (i_mmap_mutex, anon_vma->mutex: v2.6.36–v3.7). */
export function mutexRmapLock(m: Mutex): RmapLock {
  const nested = new Map<SharedObject, Op<void>>();
  return {
    lock: m,
    allLocksMark: false,
    take: () => mutexLock(m),
    takeNested: (nest) => {
      let op = nested.get(nest);
      if (op === undefined) nested.set(nest, (op = mutexLockNestLockOp(m, nest)));
      return perform(op);
    },
    drop: () => mutexUnlock(m),
  };
}

/** An rmap lock that is an rwsem taken for write (i_mmap_rwsem, anon_vma->rwsem: v3.8 / v3.16 on). */
export function rwsemRmapLock(s: Rwsem): RmapLock {
  return { lock: s, allLocksMark: false, take: () => downWrite(s), takeNested: (nest) => downWriteNestLock(s, nest), drop: () => upWrite(s) };
}

/**
 * An rmap lock that is a spinlock (i_mmap_lock, anon_vma->lock: 2.6.27); mm_take_all_locks takes
 * it with spin_lock_nest_lock under the mmap_sem, so several of one class per mm are legal.
 */
export function spinlockRmapLock(l: Spinlock): RmapLock {
  return { lock: l, allLocksMark: false, take: () => spinLock(l), takeNested: (nest) => spinLockNestLock(l, nest), drop: () => spinUnlock(l) };
}

/** mutex_lock_nest_lock(m, nest): may sleep; same-class nesting is legal while `nest` is held. */
function mutexLockNestLockOp(m: Mutex, nest: SharedObject): Op<void> {
  const label = `mutex_lock_nest_lock(&${m.name}, &${nest.name})`;
  return {
    object: m,
    access: 'acquire',
    label,
    alsoTouches: SLEEPS,
    enabled: (self) => m.owner === null || wouldSleepInAtomic(self),
    enabledAt: (owner, waiter) => owner === 0 || wouldSleepInAtomic(waiter),
    waitsFor: (self) => `${m.name} held by ${describeOwner(m.owner, self)}`,
    run: (self) => {
      mightSleep(self, label);
      m.owner = self;
      lockAcquired(self, m, label, { atomic: false, nestLock: nest });
    },
  };
}

/** One VMA as mm_take_all_locks walks it. */
export interface AllLocksVma {
  readonly name: string;
  /** vma->vm_file->f_mapping's i_mmap lock; null for an anonymous VMA. */
  readonly mapping: RmapLock | null;
  /** The anon_vma roots on vma->anon_vma_chain (empty when no anon_vma is attached yet). */
  readonly anonVmas: readonly RmapLock[];
  /** The per-VMA lock (v6.4 on); null before per-VMA locks. */
  readonly vmaLock: VmaLock | null;
}

/** The mm as mm_take_all_locks sees it. */
export interface AllLocksMm {
  readonly name: string;
  /** mm->mmap_sem / mmap_lock. With per-VMA locks, `vmaLocks.mmapLock`. */
  readonly mmapLock: Rwsem;
  /** The global mm_all_locks_mutex, shared by every mm of a world. */
  readonly allLocksMutex: Mutex;
  readonly vmas: readonly AllLocksVma[];
  /** mm_lock_seq and mmap_lock of a per-VMA-lock kernel (v6.4 on), else null. */
  readonly vmaLocks: MmLocks | null;
  /** Ghost: VMAs already write-locked by the caller when mm_take_all_locks reached them. */
  readonly callerVmaLocks: VmaLock[];
  /** Ghost: VMA write locks of the caller that mm_drop_all_locks released early. */
  readonly earlyReleases: string[];
}

export interface NewAllLocksMmOptions {
  readonly allLocksMutex: Mutex;
  readonly vmas: readonly AllLocksVma[];
  /** Plain mmap_sem (before v6.4). Exactly one of mmapLock / vmaLocks. */
  readonly mmapLock?: Rwsem;
  /** Per-VMA-lock era: the mm's MmLocks, whose mmapLock is the mmap lock. */
  readonly vmaLocks?: MmLocks;
}

export function newAllLocksMm(name: string, options: NewAllLocksMmOptions): AllLocksMm {
  const mmapLock = options.vmaLocks?.mmapLock ?? options.mmapLock;
  if (mmapLock === undefined) throw new Error(`${name}: pass mmapLock or vmaLocks`);
  return {
    name,
    mmapLock,
    allLocksMutex: options.allLocksMutex,
    vmas: options.vmas,
    vmaLocks: options.vmaLocks ?? null,
    callerVmaLocks: [],
    earlyReleases: [],
  };
}

/** What mm_take_all_locks and mm_drop_all_locks look like in one kernel era. */
export interface AllLocksEra {
  /**
   * `file-first` since 7cd5a02f54f4 (2.6.27-rc); `anon-first` in the first version; `merged`, one
   * pass taking each VMA's i_mmap lock and then its anon_vma locks (a mutant of 7cd5a02f54f4: with
   * two VMAs, the first one's anon_vma lock is held when the second one's i_mmap lock is taken).
   */
  readonly order: 'file-first' | 'anon-first' | 'merged';
  /** eeff9a5d47f8 (v6.4): vma_start_write() on every VMA before the rmap locks. */
  readonly lockVmas: boolean;
  /**
   * Where the VMA pass runs when `lockVmas`: `first` (eeff9a5d47f8, the fault path's order: VMA
   * lock, then rmap locks) unless `last`, after both rmap passes (a mutant of the fix: lockdep then
   * sees anon_vma/i_mmap → vm_lock here against vm_lock → anon_vma in a fault that reclaims).
   */
  readonly vmaPass?: 'first' | 'last';
  /** v6.4–v6.5-rc: mm_drop_all_locks ends with vma_end_write_all(mm) (removed by Jann Horn's fix). */
  readonly dropEndsVmaWriteLocks: boolean;
}

/** 3.x (v2.6.27 to v6.3): i_mmap locks, then anon_vma locks; no per-VMA locks. */
export const ERA_3X: AllLocksEra = { order: 'file-first', lockVmas: false, dropEndsVmaWriteLocks: false };
/** 2.6.27-rc1, before 7cd5a02f54f4: anon_vma locks first. */
export const ERA_ANON_FIRST: AllLocksEra = { order: 'anon-first', lockVmas: false, dropEndsVmaWriteLocks: false };
/** v6.4 (eeff9a5d47f8) up to Jann Horn's fix: VMAs locked first, and released again by the drop. */
export const ERA_V6_4: AllLocksEra = { order: 'file-first', lockVmas: true, dropEndsVmaWriteLocks: true };
/** v6.5 on: VMAs locked first, kept until mmap_write_unlock. */
export const ERA_V6_5: AllLocksEra = { order: 'file-first', lockVmas: true, dropEndsVmaWriteLocks: false };

export const EINTR = -4;

/** `signal_pending(current)`: the caller's own state, asked before each VMA of each pass. */
export type SignalPending = (vmaIndex: number, pass: 'vma' | 'file' | 'anon') => boolean;

const NO_SIGNAL: SignalPending = () => false;

function assertMmapWriteLocked(mm: AllLocksMm, self: ThreadContext, what: string): void {
  bugOn(mm.mmapLock.writer !== self, `${what}: ${mm.mmapLock.name} is not held for write by ${threadName(self)}`);
}

/**
 * mm_take_all_locks(mm): 0 with every lock held, or -EINTR (a signal) with none. The caller must
 * hold the mmap lock for write (BUG otherwise, as the kernel's BUG_ON(down_read_trylock()) says).
 */
export function* mmTakeAllLocks(mm: AllLocksMm, era: AllLocksEra, signal: SignalPending = NO_SIGNAL): Steps<number> {
  const m = mm.allLocksMutex.ops.lock;
  yield* perform<void>({
    ...m,
    run: (self) => {
      assertMmapWriteLocked(mm, self, 'mm_take_all_locks');
      m.run(self);
    },
  });
  const passes: ('vma' | 'file' | 'anon' | 'file+anon')[] = era.lockVmas && era.vmaPass !== 'last' ? ['vma'] : [];
  passes.push(...(era.order === 'file-first' ? (['file', 'anon'] as const) : era.order === 'anon-first' ? (['anon', 'file'] as const) : (['file+anon'] as const)));
  if (era.lockVmas && era.vmaPass === 'last') passes.push('vma');
  for (const pass of passes) {
    for (let i = 0; i < mm.vmas.length; i++) {
      if (signal(i, pass === 'file+anon' ? 'file' : pass)) {
        yield* mmDropAllLocks(mm, era);
        return EINTR;
      }
      const vma = mm.vmas[i]!;
      if (pass === 'vma') {
        if (vma.vmaLock !== null) yield* lockVma(mm, vma.vmaLock);
      } else {
        if (pass !== 'anon' && vma.mapping !== null) yield* lockRmap(mm, vma.mapping);
        if (pass !== 'file') for (const av of vma.anonVmas) yield* lockRmap(mm, av);
      }
    }
  }
  return 0;
}

/** vma_start_write, noting whether the caller held the VMA write lock already. */
function* lockVma(mm: AllLocksMm, v: VmaLock): Steps<void> {
  if (vmaIsWriteLocked(v)) {
    // why not a step: the caller's own earlier vma_start_write, readable only by it (mmap_lock held)
    if (!mm.callerVmaLocks.includes(v)) mm.callerVmaLocks.push(v);
  }
  yield* vmaStartWrite(v);
}

/** vm_lock_mapping / vm_lock_anon_vma: take the lock once, mark it. */
function* lockRmap(mm: AllLocksMm, r: RmapLock): Steps<void> {
  if (r.allLocksMark) return; // test_and_set_bit found it taken by this very call
  yield* withMark(r, true, r.takeNested(mm.mmapLock));
}

/** `steps` with the rmap lock's mark set to `value` inside each of its ops. */
function* withMark(r: RmapLock, value: boolean, steps: Steps<void>): Steps<void> {
  let it = steps.next();
  while (!it.done) {
    const op = it.value;
    // why a wrapper per call: each lock is taken once per execution, like the world's own ops
    const marked: Op = { ...op, run: (self) => ((r.allLocksMark = value), op.run(self)) };
    it = steps.next(yield marked);
  }
}

/**
 * mm_drop_all_locks(mm): drop every rmap lock mm_take_all_locks took, then (per era) end every
 * VMA write lock, then the global mutex.
 */
export function* mmDropAllLocks(mm: AllLocksMm, era: AllLocksEra): Steps<void> {
  for (const vma of mm.vmas) {
    for (const av of vma.anonVmas) yield* unlockRmap(av);
    if (vma.mapping !== null) yield* unlockRmap(vma.mapping);
  }
  if (era.dropEndsVmaWriteLocks && mm.vmaLocks !== null) {
    const locks = mm.vmaLocks;
    const end = vmaEndWriteAll(locks);
    let it = end.next();
    while (!it.done) {
      const op = it.value;
      const noted: Op = {
        ...op,
        // why: the check reads vm_lock_seq of the caller's write-locked VMAs
        alsoTouches: [...(op.alsoTouches ?? []), ...mm.callerVmaLocks.map((v) => ({ object: v, access: 'read' as const }))],
        run: (self) => {
          for (const v of mm.callerVmaLocks) {
            if (vmaIsWriteLocked(v)) {
              mm.earlyReleases.push(
                `${threadName(self)} step ${self.step}: mm_drop_all_locks() ended the write lock of ${v.vmLock.name}, ` +
                  'taken by its caller before mmu_notifier_register(), while mmap_lock stays held for write',
              );
            }
          }
          return op.run(self);
        },
      };
      it = end.next(yield noted);
    }
  }
  const u = mm.allLocksMutex.ops.unlock;
  yield* perform<void>({
    ...u,
    run: (self) => {
      assertMmapWriteLocked(mm, self, 'mm_drop_all_locks');
      u.run(self);
    },
  });
}

function* unlockRmap(r: RmapLock): Steps<void> {
  if (!r.allLocksMark) return;
  yield* withMark(r, false, r.drop());
}

/**
 * The caller's VMA write locks survive mm_take_all_locks/mm_drop_all_locks: a frame that
 * write-locked a VMA relies on it until its own mmap_write_unlock (Jann Horn's fix).
 */
export function vmaWriteLockKept<W>(mmOf: (w: W) => AllLocksMm): Invariant<W> {
  return {
    id: 'vma-write-lock-kept',
    description: "mm_drop_all_locks() does not release VMA write locks its caller took",
    check: (w) => {
      const early = mmOf(w).earlyReleases;
      return early.length === 0 ? true : early[0]!;
    },
  };
}

/** Whether every rmap lock of the mm is held by mm_take_all_locks now (for tests and invariants). */
export function allRmapLocksMarked(mm: AllLocksMm): boolean {
  return mm.vmas.every((v) => (v.mapping === null || v.mapping.allLocksMark) && v.anonVmas.every((a) => a.allLocksMark));
}

/**
 * Per-VMA locks (v6.4 shape): each VMA has `vm_lock` (an rwsem) and `vm_lock_seq`; the mm has
 * `mmap_lock` and `mm_lock_seq`.
 * - vma_start_read (page faults under RCU, no mmap_lock): fails if vm_lock_seq == mm_lock_seq (the
 *   VMA is write-locked) or if down_read_trylock(vm_lock) fails; re-checks the sequence after the
 *   trylock. One step: the checks and the trylock see one state.
 * - vma_start_write (needs mmap_lock held for write): unless already write-locked, waits for the VMA's readers to drain
 *   (down_write; up_write), sets vm_lock_seq := mm_lock_seq. The VMA then stays write-locked with
 *   vm_lock itself free: readers fail on the sequence.
 * - mmap_write_unlock / mmap_write_downgrade bump mm_lock_seq (vma_end_write_all), releasing every
 *   VMA write lock at once.
 *
 * Choices: mmap_write_unlock's bump and up_write are one step: a fault path that sees the bump
 * before the up_write does not look at mmap_lock, so splitting them adds no behaviour.
 */
import { bugOn, perform, type SharedObject, type Steps, type ThreadContext, threadName } from '../../src/index';
import { lockAcquired, lockReleased } from '../kit/lock-tracking';
import { wouldSleepInAtomic, mightSleep, withSleep } from '../kit/might-sleep';
import { touch, type Touch } from '../kit/lifetime';
import { downRead, downReadTrylock, downWrite, newRwsem, rwsemUnheldAt, upRead, type Rwsem, type RwsemOptions } from '../rwsem';

/** The mm's side: mmap_lock and mm_lock_seq. */
export interface MmLocks extends SharedObject {
  readonly mmapLock: Rwsem;
  /** mm->mm_lock_seq: bumped each time the mmap write lock is dropped or downgraded. */
  mmLockSeq: number;
}

/** A VMA's lock: vm_lock and vm_lock_seq. */
export interface VmaLock extends SharedObject {
  readonly mm: MmLocks;
  readonly vmLock: Rwsem;
  /** vma->vm_lock_seq: equal to mm_lock_seq while the VMA is write-locked. */
  vmLockSeq: number;
}

/** mm's locks; `options` are the mmap_lock rwsem's (Linux's waiter order unless `strict`). */
export function newMmLocks(mmName: string, options: RwsemOptions = {}): MmLocks {
  return { name: `${mmName}->mm_lock_seq`, mmapLock: newRwsem(`${mmName}->mmap_lock`, options), mmLockSeq: 0 };
}

/** A VMA's lock; every vm_lock shares one lockdep class, as in the kernel. */
export function newVmaLock(vmaName: string, mm: MmLocks): VmaLock {
  return { name: `${vmaName}->vm_lock_seq`, mm, vmLock: newRwsem(`${vmaName}->vm_lock`, { lockClass: 'vm_lock' }), vmLockSeq: -1 };
}

/** Whether the VMA is write-locked now (for models and invariants, not a step). */
export function vmaIsWriteLocked(v: VmaLock): boolean {
  return v.vmLockSeq === v.mm.mmLockSeq;
}

export function* mmapReadLock(mm: MmLocks): Steps<void> {
  yield* downRead(mm.mmapLock);
}

export function* mmapReadTrylock(mm: MmLocks): Steps<boolean> {
  return yield* downReadTrylock(mm.mmapLock);
}

export function* mmapReadUnlock(mm: MmLocks): Steps<void> {
  yield* upRead(mm.mmapLock);
}

export function* mmapWriteLock(mm: MmLocks): Steps<void> {
  yield* downWrite(mm.mmapLock);
}

/** mmap_write_unlock: vma_end_write_all (mm_lock_seq++) and up_write, one step. */
export function* mmapWriteUnlock(mm: MmLocks): Steps<void> {
  const up = mm.mmapLock.ops.upWrite;
  yield* perform<void>({
    ...up,
    alsoTouches: alsoWrites(up.alsoTouches, mm),
    label: `mmap_write_unlock(${mm.mmapLock.name})`,
    run: (self) => {
      up.run(self);
      mm.mmLockSeq++;
    },
  });
}

/** mmap_write_downgrade: vma_end_write_all and downgrade_write, one step. */
export function* mmapWriteDowngrade(mm: MmLocks): Steps<void> {
  const down = mm.mmapLock.ops.downgradeWrite;
  yield* perform<void>({
    ...down,
    alsoTouches: alsoWrites(down.alsoTouches, mm),
    label: `mmap_write_downgrade(${mm.mmapLock.name})`,
    run: (self) => {
      down.run(self);
      mm.mmLockSeq++;
    },
  });
}

/** vma_end_write_all alone: releases every VMA write lock while mmap_lock stays write-held. */
export function* vmaEndWriteAll(mm: MmLocks): Steps<void> {
  yield* perform<void>({
    object: mm,
    access: 'write',
    label: `vma_end_write_all(${mm.name})`,
    run: (self) => {
      assertMmapWriteLocked(mm, self, 'vma_end_write_all');
      mm.mmLockSeq++;
    },
  });
}

/** An rwsem op's declaration plus the write of mm_lock_seq that vma_end_write_all adds to it. */
function alsoWrites(base: readonly Touch[] | undefined, mm: MmLocks): readonly Touch[] {
  return [...(base ?? []), touch(mm, 'write')];
}

function assertMmapWriteLocked(mm: MmLocks, self: ThreadContext, what: string): void {
  bugOn(mm.mmapLock.writer !== self, `${what}: mmap_assert_write_locked(${mm.mmapLock.name}) failed for ${threadName(self)}`);
}

/** vma_start_read: true when the VMA is now read-locked, false when the caller must fall back. */
export function* vmaStartRead(v: VmaLock): Steps<boolean> {
  const trylock = v.vmLock.ops.downReadTrylock;
  const unlock = v.vmLock.ops.upRead;
  return yield* perform({
    object: v.vmLock,
    access: 'acquire',
    label: `vma_start_read(${v.vmLock.name})`,
    alsoTouches: [touch(v, 'read'), touch(v.mm, 'read')],
    run: (self) => {
      if (v.vmLockSeq === v.mm.mmLockSeq) return false;
      if (!trylock.run(self)) return false;
      // why re-check: the kernel does, after the trylock; here the state cannot have moved in between
      if (v.vmLockSeq === v.mm.mmLockSeq) {
        unlock.run(self);
        return false;
      }
      return true;
    },
  });
}

/** vma_end_read: drop the VMA read lock. */
export function* vmaEndRead(v: VmaLock): Steps<void> {
  yield* upRead(v.vmLock);
}

/**
 * vma_start_write: needs mmap_lock for write; waits for the VMA's readers, then marks it locked.
 * Two steps, as in the kernel: __is_vma_write_locked reads the two sequences, and only when the
 * VMA is not yet write-locked does the down_write/up_write pair wait on vm_lock. The wait then
 * reads vm_lock alone, so the explorer can decide from vm_lock's state key whether it could run
 * at a reordered point instead of trying it.
 */
export function* vmaStartWrite(v: VmaLock): Steps<void> {
  const s = v.vmLock;
  const label = `vma_start_write(${s.name})`;
  const locked = yield* perform<boolean>({
    object: v,
    access: 'read',
    label: `__is_vma_write_locked(${s.name})`,
    alsoTouches: [touch(v.mm, 'read')],
    run: (self) => {
      assertMmapWriteLocked(v.mm, self, label);
      return vmaIsWriteLocked(v);
    },
  });
  if (locked) return;
  yield* perform<void>({
    object: s,
    access: 'acquire',
    label,
    // why the sequences are written and read here without re-testing them: only the holder of the
    // mmap write lock moves either, and __is_vma_write_locked just asserted that is this thread
    alsoTouches: withSleep([touch(v, 'write'), touch(v.mm, 'read')]),
    enabled: (self) => (s.writer === null && s.readers.size === 0) || wouldSleepInAtomic(self),
    enabledAt: (k, waiter) => rwsemUnheldAt(k) || wouldSleepInAtomic(waiter),
    waitsFor: () => `readers ${[...s.readers.keys()].map(threadName).join(', ')} of ${s.name} to leave`,
    run: (self) => {
      mightSleep(self, label);
      // down_write + up_write in one step: for lockdep an acquisition, for the clocks a handover
      lockAcquired(self, s, label, { atomic: false });
      v.vmLockSeq = v.mm.mmLockSeq;
      lockReleased(self, s);
    },
  });
}

/** vma_assert_write_locked: BUG unless the VMA is write-locked (inside an op's run). */
export function vmaAssertWriteLocked(v: VmaLock, self: ThreadContext, what: string): void {
  bugOn(!vmaIsWriteLocked(v), `${what}: vma_assert_write_locked(${v.vmLock.name}) failed for ${threadName(self)}`);
}

/**
 * A change to the VMA that relies on its write lock (a split, a merge): one step that asserts the
 * lock first, as vma_assert_write_locked() does. Declared as a read of mm_lock_seq, the one of the
 * two sequences another thread can move under the caller (vma_end_write_all), and of vm_lock_seq,
 * which only vma_start_write changes (under the mmap write lock the caller is meant to hold).
 */
export function* vmaModify(v: VmaLock, label: string): Steps<void> {
  yield* perform<void>({
    object: v.mm,
    access: 'read',
    label,
    alsoTouches: [touch(v, 'read')],
    run: (self) => vmaAssertWriteLocked(v, self, label),
  });
}

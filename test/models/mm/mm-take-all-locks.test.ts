import { describe, expect, it } from 'vitest';
import { newAnonVma } from '../../../models/mm/anon-vma';
import {
  allRmapLocksMarked,
  EINTR,
  ERA_3X,
  ERA_ANON_FIRST,
  ERA_V6_4,
  ERA_V6_5,
  mmDropAllLocks,
  mmTakeAllLocks,
  mutexRmapLock,
  newAllLocksMm,
  rwsemRmapLock,
  vmaWriteLockKept,
  type AllLocksEra,
  type AllLocksMm,
  type RmapLock,
} from '../../../models/mm/mm-take-all-locks';
import { mutexIsLocked, mutexLock, mutexUnlock, newMutex, type Mutex } from '../../../models/mutex';
import { downWrite, newRwsem, upWrite } from '../../../models/rwsem';
import {
  mmapWriteLock,
  mmapWriteUnlock,
  newMmLocks,
  newVmaLock,
  vmaEndRead,
  vmaIsWriteLocked,
  vmaStartRead,
  vmaStartWrite,
  type MmLocks,
  type VmaLock,
} from '../../../models/mm/vma-lock';
import { keepLastWorld } from '../../helpers/last-world';
import { exploreProgram, firedChecks, program, runSerial } from '../../helpers/program';

interface W {
  mm: AllLocksMm;
  fileLock: Mutex;
  anonLock: Mutex;
  file: RmapLock;
  anon: RmapLock;
  ret: number | null;
  /** Ghost: a thread is inside a section under the file lock alone. */
  inFileSection: boolean;
  overlap: boolean;
}

/** Three VMAs: two map the same file, two share one anon_vma. */
function world(): W {
  const fileLock = newMutex('M->i_mmap_mutex', { lockClass: 'i_mmap_mutex' });
  const anonLock = newMutex('av->mutex', { lockClass: 'anon_vma->mutex' });
  const file = mutexRmapLock(fileLock);
  const anon = mutexRmapLock(anonLock);
  const mm = newAllLocksMm('mm', {
    allLocksMutex: newMutex('mm_all_locks_mutex'),
    mmapLock: newRwsem('mm->mmap_sem', { lockClass: 'mmap_sem' }),
    vmas: [
      { name: 'vma1', mapping: file, anonVmas: [anon], vmaLock: null },
      { name: 'vma2', mapping: file, anonVmas: [], vmaLock: null },
      { name: 'vma3', mapping: null, anonVmas: [anon], vmaLock: null },
    ],
  });
  return { mm, fileLock, anonLock, file, anon, ret: null, inFileSection: false, overlap: false };
}

function takeDrop(era: AllLocksEra, check?: (w: W) => void) {
  return function* (w: W) {
    yield* downWrite(w.mm.mmapLock);
    w.ret = yield* mmTakeAllLocks(w.mm, era);
    if (w.ret === 0) {
      check?.(w);
      if (w.inFileSection) w.overlap = true;
      yield* mmDropAllLocks(w.mm, era);
    }
    yield* upWrite(w.mm.mmapLock);
  };
}

describe('mm_take_all_locks', () => {
  it('takes every rmap lock once, even when VMAs share it, and mm_drop_all_locks releases them all', () => {
    const kept = keepLastWorld(world);
    let heldInside = false;
    const p = program<W>({
      setup: kept.setup,
      threads: {
        register: takeDrop(ERA_3X, (w) => {
          heldInside = allRmapLocksMarked(w.mm) && mutexIsLocked(w.fileLock) && mutexIsLocked(w.anonLock);
        }),
      },
    });
    const t = runSerial(p);
    expect(firedChecks(t)).toEqual([]);
    expect(heldInside).toBe(true);
    expect(t.steps.map((s) => s.label)).toEqual([
      'down_write(&mm->mmap_sem)',
      'mutex_lock(&mm_all_locks_mutex)',
      'mutex_lock_nest_lock(&M->i_mmap_mutex, &mm->mmap_sem)',
      'mutex_lock_nest_lock(&av->mutex, &mm->mmap_sem)',
      'mutex_unlock(&av->mutex)',
      'mutex_unlock(&M->i_mmap_mutex)',
      'mutex_unlock(&mm_all_locks_mutex)',
      'up_write(&mm->mmap_sem)',
    ]);
    const w = kept.last();
    expect([w.ret, mutexIsLocked(w.fileLock), mutexIsLocked(w.anonLock), w.file.allLocksMark, w.anon.allLocksMark]).toEqual([0, false, false, false, false]);
  });

  it('the first version took the anon_vma pass first', () => {
    const t = runSerial(program<W>({ setup: world, threads: { register: takeDrop(ERA_ANON_FIRST) } }));
    expect(t.steps.slice(2, 4).map((s) => s.label)).toEqual([
      'mutex_lock_nest_lock(&av->mutex, &mm->mmap_sem)',
      'mutex_lock_nest_lock(&M->i_mmap_mutex, &mm->mmap_sem)',
    ]);
  });

  /** The world with a fourth VMA mapping another file N (its i_mmap_mutex of the same class). */
  const withSecondMapping = (): W => {
    const w = world();
    const other = mutexRmapLock(newMutex('N->i_mmap_mutex', { lockClass: 'i_mmap_mutex' }));
    const mm = newAllLocksMm('mm', {
      allLocksMutex: w.mm.allLocksMutex,
      mmapLock: w.mm.mmapLock,
      vmas: [...w.mm.vmas, { name: 'vma4', mapping: other, anonVmas: [], vmaLock: null }],
    });
    return { ...w, mm };
  };

  it('same-class rmap locks of two mappings nest legally under the mmap lock (no recursive-locking report)', () => {
    const p = program<W>({ setup: withSecondMapping, threads: { register: takeDrop(ERA_3X) } });
    expect(firedChecks(runSerial(p))).toEqual([]);
  });

  it('merged passes (a mutant of 7cd5a02f54f4): each VMA\'s i_mmap lock, then its anon_vma locks, so vma1\'s anon_vma lock is held for vma4\'s mapping', () => {
    const setup = withSecondMapping;
    const merged = runSerial(program<W>({ setup, threads: { register: takeDrop({ ...ERA_3X, order: 'merged' }) } }));
    expect(firedChecks(merged)).toEqual([]);
    expect(merged.steps.slice(2, 5).map((s) => s.label)).toEqual([
      'mutex_lock_nest_lock(&M->i_mmap_mutex, &mm->mmap_sem)',
      'mutex_lock_nest_lock(&av->mutex, &mm->mmap_sem)',
      'mutex_lock_nest_lock(&N->i_mmap_mutex, &mm->mmap_sem)',
    ]);
    const fixed = runSerial(program<W>({ setup, threads: { register: takeDrop(ERA_3X) } }));
    expect(fixed.steps.slice(2, 5).map((s) => s.label)).toEqual([
      'mutex_lock_nest_lock(&M->i_mmap_mutex, &mm->mmap_sem)',
      'mutex_lock_nest_lock(&N->i_mmap_mutex, &mm->mmap_sem)',
      'mutex_lock_nest_lock(&av->mutex, &mm->mmap_sem)',
    ]);
  });

  it('needs the mmap lock for write: BUG otherwise', () => {
    const p = program<W>({
      setup: world,
      threads: { register: function* (w) { yield* mmTakeAllLocks(w.mm, ERA_3X); } },
    });
    const t = runSerial(p);
    expect(firedChecks(t)).toEqual(['bug-on']);
    expect(t.violations[0]!.message).toMatch(/mm_take_all_locks: mm->mmap_sem is not held for write by A/);
  });

  it('excludes every section under one of the rmap locks, on every schedule', () => {
    const truncate = function* (w: W) {
      yield* mutexLock(w.fileLock);
      w.inFileSection = true;
      yield* mutexUnlock(w.fileLock);
      w.inFileSection = false;
    };
    const noOverlap = { id: 'no-overlap', description: '', check: (w: W) => !w.overlap || 'all locks taken inside a truncate section' };
    const v = exploreProgram(program<W>({ setup: world, threads: { register: takeDrop(ERA_3X), truncate }, invariants: [noOverlap] }));
    expect(v.kind).toBe('holds');
  });

  it('a pending signal: -EINTR with every lock it took released again', () => {
    const kept = keepLastWorld(world);
    const p = program<W>({
      setup: kept.setup,
      threads: {
        register: function* (w) {
          yield* downWrite(w.mm.mmapLock);
          w.ret = yield* mmTakeAllLocks(w.mm, ERA_3X, (i, pass) => pass === 'anon' && i === 2);
          yield* upWrite(w.mm.mmapLock);
        },
      },
    });
    const t = runSerial(p);
    expect(firedChecks(t)).toEqual([]);
    const w = kept.last();
    expect(w.ret).toBe(EINTR);
    expect([mutexIsLocked(w.fileLock), mutexIsLocked(w.anonLock), mutexIsLocked(w.mm.allLocksMutex), w.file.allLocksMark, w.anon.allLocksMark]).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

interface VW {
  mmLocks: MmLocks;
  vma: VmaLock;
  mm: AllLocksMm;
  faultGotIn: boolean[];
}

function vmaWorld(): VW {
  const mmLocks = newMmLocks('mm');
  const vma = newVmaLock('vma', mmLocks);
  const av = newAnonVma('av');
  const mm = newAllLocksMm('mm', {
    allLocksMutex: newMutex('mm_all_locks_mutex'),
    vmaLocks: mmLocks,
    vmas: [{ name: 'vma', mapping: null, anonVmas: [rwsemRmapLock(av.rwsem)], vmaLock: vma }],
  });
  return { mmLocks, vma, mm, faultGotIn: [] };
}

function registerLike(era: AllLocksEra, callerLocksVma: boolean) {
  return function* (w: VW) {
    yield* mmapWriteLock(w.mmLocks);
    if (callerLocksVma) yield* vmaStartWrite(w.vma);
    yield* mmTakeAllLocks(w.mm, era);
    yield* mmDropAllLocks(w.mm, era);
    w.faultGotIn.push(!vmaIsWriteLocked(w.vma));
    yield* mmapWriteUnlock(w.mmLocks);
  };
}

describe('mm_take_all_locks with per-VMA locks (v6.4)', () => {
  it('write-locks every VMA first: a per-VMA reader is never inside while all locks are held', () => {
    interface XW extends VW {
      allHeld: boolean;
      readerInside: boolean;
    }
    const both = { id: 'excluded', description: '', check: (w: XW) => !(w.allHeld && w.readerInside) || 'per-VMA reader inside while all locks are held' };
    const run = (era: AllLocksEra) =>
      exploreProgram(
        program<XW>({
          setup: () => ({ ...vmaWorld(), allHeld: false, readerInside: false }),
          invariants: [both],
          threads: {
            register: function* (w) {
              yield* mmapWriteLock(w.mmLocks);
              yield* mmTakeAllLocks(w.mm, era);
              w.allHeld = true;
              yield* mmDropAllLocks(w.mm, era);
              w.allHeld = false;
              yield* mmapWriteUnlock(w.mmLocks);
            },
            fault: function* (w) {
              if (!(yield* vmaStartRead(w.vma))) return;
              w.readerInside = true;
              yield* vmaEndRead(w.vma);
              w.readerInside = false;
            },
          },
        }),
      );
    expect(run(ERA_V6_5).kind).toBe('holds');
    expect(run({ ...ERA_V6_5, lockVmas: false }).kind).toBe('violated');
    const t = runSerial(program<VW>({ setup: vmaWorld, threads: { register: registerLike(ERA_V6_5, false) } }));
    expect(t.steps.map((s) => s.label).slice(1, 5)).toEqual([
      'mutex_lock(&mm_all_locks_mutex)',
      '__is_vma_write_locked(vma->vm_lock)',
      'vma_start_write(vma->vm_lock)',
      'down_write_nest_lock(&av->rwsem, &mm->mmap_lock)',
    ]);
  });

  it('vmaPass last: the VMA write locks come after both rmap passes (a mutant of eeff9a5d47f8)', () => {
    const t = runSerial(program<VW>({ setup: vmaWorld, threads: { register: registerLike({ ...ERA_V6_5, vmaPass: 'last' }, false) } }));
    expect(t.steps.map((s) => s.label).slice(1, 5)).toEqual([
      'mutex_lock(&mm_all_locks_mutex)',
      'down_write_nest_lock(&av->rwsem, &mm->mmap_lock)',
      '__is_vma_write_locked(vma->vm_lock)',
      'vma_start_write(vma->vm_lock)',
    ]);
    expect(firedChecks(t)).toEqual([]);
  });

  it("v6.4's mm_drop_all_locks releases the caller's VMA write lock; Jann Horn's fix keeps it", () => {
    const early = program<VW>({ setup: vmaWorld, threads: { register: registerLike(ERA_V6_4, true) }, invariants: [vmaWriteLockKept((w: VW) => w.mm)] });
    const t = runSerial(early);
    expect(firedChecks(t)).toEqual(['vma-write-lock-kept']);
    expect(t.violations[0]!.message).toMatch(/ended the write lock of vma->vm_lock, taken by its caller/);
    const kept = keepLastWorld(vmaWorld);
    const fixed = program<VW>({ setup: kept.setup, threads: { register: registerLike(ERA_V6_5, true) }, invariants: [vmaWriteLockKept((w: VW) => w.mm)] });
    expect(firedChecks(runSerial(fixed))).toEqual([]);
    expect(kept.last().faultGotIn).toEqual([false]);
  });

  it("v6.4's release is harmless when the caller held no VMA lock of its own (KVM's mmu_notifier_register)", () => {
    const p = program<VW>({ setup: vmaWorld, threads: { register: registerLike(ERA_V6_4, false) }, invariants: [vmaWriteLockKept((w: VW) => w.mm)] });
    expect(firedChecks(runSerial(p))).toEqual([]);
  });
});

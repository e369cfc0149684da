import { describe, expect, it } from 'vitest';
import { bugOn } from '../../../src/runtime/errors';
import { foundViolation } from '../../helpers/detectors';
import {
  mmapReadLock,
  mmapReadUnlock,
  mmapWriteDowngrade,
  mmapWriteLock,
  mmapWriteUnlock,
  newMmLocks,
  newVmaLock,
  vmaEndRead,
  vmaEndWriteAll,
  vmaIsWriteLocked,
  vmaModify,
  vmaStartRead,
  vmaStartWrite,
  type MmLocks,
  type VmaLock,
} from '../../../models/mm/vma-lock';
import { exploreProgram, firedChecks, program, runSchedule, runSerial } from '../../helpers/program';

interface W {
  mm: MmLocks;
  vma: VmaLock;
  vma2: VmaLock;
  /** Ghost: readers inside the VMA under its per-VMA lock, and whether a writer changed it meanwhile. */
  readersInside: number;
  changedUnderReader: boolean;
  got: boolean[];
}
const world = (): W => {
  const mm = newMmLocks('mm');
  return { mm, vma: newVmaLock('vma', mm), vma2: newVmaLock('vma2', mm), readersInside: 0, changedUnderReader: false, got: [] };
};

/** A page fault under the per-VMA lock, falling back to mmap_lock when the VMA is write-locked. */
function* fault(w: W) {
  if (yield* vmaStartRead(w.vma)) {
    w.readersInside++;
    yield* vmaEndRead(w.vma);
    w.readersInside--;
    return;
  }
  yield* mmapReadLock(w.mm);
  yield* mmapReadUnlock(w.mm);
}

/** A writer (khugepaged collapse) that write-locks the VMA before changing it. */
function* collapse(w: W) {
  yield* mmapWriteLock(w.mm);
  yield* vmaStartWrite(w.vma);
  if (w.readersInside > 0) w.changedUnderReader = true;
  yield* mmapWriteUnlock(w.mm);
}

describe('per-VMA lock', () => {
  it('a write-locked VMA excludes per-VMA readers on every schedule', () => {
    const safe = { id: 'no-change-under-reader', description: '', check: (w: W) => !w.changedUnderReader || 'VMA changed under a reader' };
    expect(exploreProgram(program<W>({ setup: world, threads: { fault, collapse }, invariants: [safe] })).kind).toBe('holds');
  });

  it('vma_start_read fails while the VMA is write-locked, and succeeds after mmap_write_unlock', () => {
    const p = program<W>({
      setup: world,
      threads: {
        writer: function* (w) { yield* mmapWriteLock(w.mm); yield* vmaStartWrite(w.vma); yield* mmapWriteUnlock(w.mm); },
        reader: function* (w) {
          const ok = yield* vmaStartRead(w.vma);
          w.got.push(ok);
          if (ok) yield* vmaEndRead(w.vma);
        },
      },
    });
    const during = runSchedule(p, 'A A A B A');
    expect(during.steps[3]).toMatchObject({ label: 'vma_start_read(vma->vm_lock)', result: 'false' });
    const after = runSchedule(p, 'A A A A B B');
    expect(after.steps[4]).toMatchObject({ result: 'true' });
  });

  it('vma_start_write waits for the readers of the VMA to leave', () => {
    const p = program<W>({
      setup: world,
      threads: {
        reader: function* (w) { yield* vmaStartRead(w.vma); yield* vmaEndRead(w.vma); },
        writer: function* (w) { yield* mmapWriteLock(w.mm); yield* vmaStartWrite(w.vma); yield* mmapWriteUnlock(w.mm); },
      },
    });
    expect(() => runSchedule(p, 'A B B B')).toThrow(/B, which cannot run here/);
    const t = runSchedule(p, 'A B B A B B');
    expect(t.steps[2]).toMatchObject({ label: '__is_vma_write_locked(vma->vm_lock)', result: 'false' });
    expect(t.steps[3]!.blocked).toEqual([{ thread: 1, label: 'vma_start_write(vma->vm_lock)', waitsFor: 'readers A (reader) of vma->vm_lock to leave' }]);
  });

  it('mmap_write_unlock releases every VMA write lock at once; downgrade does too', () => {
    for (const release of [mmapWriteUnlock, mmapWriteDowngrade]) {
      const p = program<W>({
        setup: world,
        threads: {
          a: function* (w) {
            yield* mmapWriteLock(w.mm);
            yield* vmaStartWrite(w.vma);
            yield* vmaStartWrite(w.vma2);
            yield* vmaStartWrite(w.vma); // already write-locked: returns at once
            expect([vmaIsWriteLocked(w.vma), vmaIsWriteLocked(w.vma2)]).toEqual([true, true]);
            yield* release(w.mm);
            expect([vmaIsWriteLocked(w.vma), vmaIsWriteLocked(w.vma2)]).toEqual([false, false]);
            if (release === mmapWriteDowngrade) yield* mmapReadUnlock(w.mm);
          },
        },
      });
      expect(runSerial(p).violations).toEqual([]);
    }
  });

  it('vma_end_write_all alone drops the VMA write locks while mmap_lock stays held', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          yield* mmapWriteLock(w.mm);
          yield* vmaStartWrite(w.vma);
          yield* vmaEndWriteAll(w.mm);
          expect(vmaIsWriteLocked(w.vma)).toBe(false);
          expect(w.mm.mmapLock.writer).not.toBeNull();
          yield* mmapWriteUnlock(w.mm);
        },
      },
    });
    expect(runSerial(p).violations).toEqual([]);
  });

  it('vma_start_write without mmap_lock held for write is a bug', () => {
    const p = program<W>({ setup: world, threads: { a: function* (w) { yield* mmapReadLock(w.mm); yield* vmaStartWrite(w.vma); } } });
    const t = runSerial(p);
    expect(firedChecks(t)).toEqual(['bug-on']);
    expect(t.violations[0]!.message).toMatch(/mmap_assert_write_locked\(mm->mmap_lock\) failed for A \(a\)/);
  });
});

describe('vmaModify (a change that relies on the VMA write lock)', () => {
  it('runs under the VMA write lock, and is a BUG once the lock was ended early', () => {
    const ok = program<W>({
      setup: world,
      threads: { a: function* (w) { yield* mmapWriteLock(w.mm); yield* vmaStartWrite(w.vma); yield* vmaModify(w.vma, 'split'); yield* mmapWriteUnlock(w.mm); } },
    });
    expect(firedChecks(runSerial(ok))).toEqual([]);
    const early = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          yield* mmapWriteLock(w.mm);
          yield* vmaStartWrite(w.vma);
          yield* vmaEndWriteAll(w.mm);
          yield* vmaModify(w.vma, 'split');
          yield* mmapWriteUnlock(w.mm);
        },
      },
    });
    const t = runSerial(early);
    expect(firedChecks(t)).toEqual(['bug-on']);
    expect(t.violations[0]!.message).toMatch(/vma_assert_write_locked\(vma->vm_lock\) failed for A/);
  });
});

describe('vma locks: partial-order reduction sees mm_lock_seq', () => {
  it('dfs runs vma_start_read inside the writer window, which only mmap_write_unlock closes', () => {
    // the probe: a failed vma_start_read is reported. The writer comes first, so dfs starts with
    // the fault after mmap_write_unlock; only the race on mm_lock_seq moves it into the window.
    const p = program<{ mm: MmLocks; v: VmaLock }>({
      setup: () => {
        const mm = newMmLocks('mm');
        return { mm, v: newVmaLock('vma', mm) };
      },
      threads: {
        writer: function* (w) {
          yield* mmapWriteLock(w.mm);
          yield* vmaStartWrite(w.v);
          yield* mmapWriteUnlock(w.mm);
        },
        fault: function* (w) {
          const ok = yield* vmaStartRead(w.v);
          bugOn(!ok, 'probe: vma_start_read found the VMA write-locked');
          yield* vmaEndRead(w.v);
        },
      },
    });
    expect(foundViolation(p, 'bug-on')?.message).toMatch(/probe/);
  });
});

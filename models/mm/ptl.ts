/**
 * Page-table locks. With split PTLs every page-table page has its own spinlock (ptlock), and
 * pmd_lock() takes the split lock of the PMD table page. All of them are made by one ptlock_init(),
 * so they share one lockdep class, `ptlock`: holding two at once needs the nesting annotation
 * (`ptlLockNested`, spin_lock_nested(…, SINGLE_DEPTH_NESTING)), as khugepaged and mremap do, or
 * lockdep reports recursive locking. Thin wrappers over spinlock.ts with page-table labels.
 */
import type { Steps } from '../../src/index';
import { newSpinlock, spinLock, spinLockNested, spinTrylock, spinUnlock, type Spinlock } from '../spinlock';

/** The lockdep class of every split page-table lock. */
export const PTLOCK_CLASS = 'ptlock';

/** SINGLE_DEPTH_NESTING. */
const SINGLE_DEPTH_NESTING = 1;

/** A split page-table lock (a spinlock named after its table). */
export type PageTableLock = Spinlock;

/** The PTL of the page table `tableName` (`pte_lockptr`). */
export function newPtl(tableName: string): PageTableLock {
  return newSpinlock(`${tableName}->ptl`, { lockClass: PTLOCK_CLASS });
}

/** The lock pmd_lock() takes for the PMD table `pmdTableName`. */
export function newPmdLock(pmdTableName: string): PageTableLock {
  return newSpinlock(`${pmdTableName}->pmd_ptl`, { lockClass: PTLOCK_CLASS });
}

/** spin_lock(ptl), as pte_offset_map_lock takes it. */
export function* ptlLock(ptl: PageTableLock): Steps<void> {
  yield* spinLock(ptl);
}

/** spin_lock_nested(ptl, SINGLE_DEPTH_NESTING): a PTL taken while another ptlock is held. */
export function* ptlLockNested(ptl: PageTableLock): Steps<void> {
  yield* spinLockNested(ptl, SINGLE_DEPTH_NESTING);
}

export function* ptlTrylock(ptl: PageTableLock): Steps<boolean> {
  return yield* spinTrylock(ptl);
}

/** pte_unmap_unlock / spin_unlock(ptl). */
export function* ptlUnlock(ptl: PageTableLock): Steps<void> {
  yield* spinUnlock(ptl);
}

/** pmd_lock(mm, pmd). */
export function* pmdLock(l: PageTableLock): Steps<void> {
  yield* spinLock(l);
}

/** spin_unlock(pmd_ptl). */
export function* pmdUnlock(l: PageTableLock): Steps<void> {
  yield* spinUnlock(l);
}

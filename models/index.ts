/**
 * Every model primitive, one import: `import { spinLock, newSpinlock } from 'weft-check/models'`.
 * models/ (kernel primitives), models/kit/ (the pieces models are built from) and models/mm/
 * (memory-management objects). Each file's exports are re-exported under their own names, with one
 * exception: two page-table models share four names (`PresentPte`, `ptepClearFlush`, `pmdLock`,
 * `pmdUnlock`). The flat names are those of the generic page table (mm/pte) and the PTL model
 * (mm/ptl), which most scenarios use; the folio page table's (mm/page-table) are reached through
 * its namespace, `pageTable.ptepClearFlush`, or as `folioPtepClearFlush`, `FolioPresentPte`,
 * `folioPmdLock`, `folioPmdUnlock`. Each of the three modules is also exported whole as a
 * namespace (`pageTable`, `pte`, `ptl`).
 */
export * from './await';
export * from './choose';
export * from './bit-spinlock';
export * from './completion';
export * from './condvar';
export * from './hlist-rcu';
export * from './irq';
export * from './mutex';
export * from './plain-field';
export * from './rcu';
export * from './refcount';
export * from './rwsem';
export * from './seqcount';
export * from './spinlock';
export * from './srcu';
export * from './task';
export * from './waitqueue';
export * from './kit/fused';
export * from './kit/also-touching';
export * from './kit/ghost';
export * from './kit/held';
export * from './kit/lifetime';
export * from './kit/lock-tracking';
export * from './kit/might-sleep';
export * from './kit/with-ops';
export * from './mm/allocator';
export * from './mm/anon-vma';
export * from './mm/folio';
export * from './mm/hmm';
export * from './mm/mm-take-all-locks';
export * from './mm/mmu-notifier-register';
export * from './mm/mmu-notifier';
export * from './mm/page-table';
export * from './mm/pte';
export * from './mm/ptl';
export * from './mm/secondary-mmu';
export * from './mm/tlb';
export * from './mm/vma-lock';

// The four shared names, settled explicitly (an explicit export takes precedence over `export *`).
export { ptepClearFlush, type PresentPte } from './mm/pte';
export { pmdLock, pmdUnlock } from './mm/ptl';
export {
  ptepClearFlush as folioPtepClearFlush,
  pmdLock as folioPmdLock,
  pmdUnlock as folioPmdUnlock,
  type PresentPte as FolioPresentPte,
} from './mm/page-table';
export * as pageTable from './mm/page-table';
export * as pte from './mm/pte';
export * as ptl from './mm/ptl';

/** Every scenario, one line each, in catalogue order. */
import type { Scenario } from '../src/runtime/scenario';
import mmuNotifierUnregisterRelease from './mmu-notifier-unregister-release';
import mmuNotifierReleaseUnlinksEarly from './mmu-notifier-release-unlinks-early';
import mmuNotifierReleaseBeforeUnlink from './mmu-notifier-release-before-unlink';
import mmuNotifierSleepingCallbacks from './mmu-notifier-sleeping-callbacks';
import mmuNotifierRegisterAllocUnderLocks from './mmu-notifier-register-alloc-under-locks';
import secondaryMmuFaultVsInvalidate from './secondary-mmu-fault-vs-invalidate';
import secondaryMmuChangePteNested from './secondary-mmu-change-pte-nested';
import mmuNotifierRegisterVsInvalidate from './mmu-notifier-register-vs-invalidate';
import mmTakeAllLocksLockOrder from './mm-take-all-locks-lock-order';
import mmuNotifierRegisterVsVmaLockedFault from './mmu-notifier-register-vs-vma-locked-fault';
import folioMoveAnonRmapVsReferenced from './folio-move-anon-rmap-vs-referenced';
import khugepagedCollapseVsVmaLockedFault from './khugepaged-collapse-vs-vma-locked-fault';
import thpSplitVsTailPutPage from './thp-split-vs-tail-put-page';
import batchedTlbFlushVsMprotect from './batched-tlb-flush-vs-mprotect';
import hmmMirrorSnapshotVsInvalidate from './hmm-mirror-snapshot-vs-invalidate';

export const scenarios: readonly { scenario: Scenario; file: string }[] = [
  { scenario: mmuNotifierUnregisterRelease, file: 'scenarios/mmu-notifier-unregister-release.ts' },
  { scenario: mmuNotifierReleaseUnlinksEarly, file: 'scenarios/mmu-notifier-release-unlinks-early.ts' },
  { scenario: mmuNotifierReleaseBeforeUnlink, file: 'scenarios/mmu-notifier-release-before-unlink.ts' },
  { scenario: mmuNotifierSleepingCallbacks, file: 'scenarios/mmu-notifier-sleeping-callbacks.ts' },
  { scenario: mmuNotifierRegisterAllocUnderLocks, file: 'scenarios/mmu-notifier-register-alloc-under-locks.ts' },
  { scenario: secondaryMmuFaultVsInvalidate, file: 'scenarios/secondary-mmu-fault-vs-invalidate.ts' },
  // EXTENDED (races.md S6b): the client rule of 6bdb913f0a, beyond what the seeds model
  { scenario: secondaryMmuChangePteNested, file: 'scenarios/secondary-mmu-change-pte-nested.ts' },
  { scenario: mmuNotifierRegisterVsInvalidate, file: 'scenarios/mmu-notifier-register-vs-invalidate.ts' },
  // EXTENDED (races.md S7b): lock order inside mm_take_all_locks, 7cd5a02f54f4
  { scenario: mmTakeAllLocksLockOrder, file: 'scenarios/mm-take-all-locks-lock-order.ts' },
  // EXTENDED (races.md S7c): per-VMA locks in mm_take_all_locks, eeff9a5d47f8 and its follow-up
  { scenario: mmuNotifierRegisterVsVmaLockedFault, file: 'scenarios/mmu-notifier-register-vs-vma-locked-fault.ts' },
  { scenario: folioMoveAnonRmapVsReferenced, file: 'scenarios/folio-move-anon-rmap-vs-referenced.ts' },
  { scenario: khugepagedCollapseVsVmaLockedFault, file: 'scenarios/khugepaged-collapse-vs-vma-locked-fault.ts' },
  { scenario: thpSplitVsTailPutPage, file: 'scenarios/thp-split-vs-tail-put-page.ts' },
  // EXTENDED (races.md S11): detail from 3ea277194daa, beyond what the seeds describe
  { scenario: batchedTlbFlushVsMprotect, file: 'scenarios/batched-tlb-flush-vs-mprotect.ts' },
  // EXTENDED (races.md S12, 12a and 12c): detail from ec131b2d7fa6 and 99cb252f5e68, beyond the seeds
  { scenario: hmmMirrorSnapshotVsInvalidate, file: 'scenarios/hmm-mirror-snapshot-vs-invalidate.ts' },
];

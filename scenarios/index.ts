/** Every scenario, one line each, in catalogue order. */
import type { Scenario, ScenarioEntry } from '../src/index';
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

/** A registry entry: shown as `scenarios/<name>.ts`, imported by workers from this folder. */
function entry(scenario: Scenario, name: string): ScenarioEntry {
  return { scenario, file: `scenarios/${name}.ts`, source: { kind: 'module', url: new URL(`./${name}.ts`, import.meta.url).href, exportName: 'default' } };
}

export const scenarios: readonly ScenarioEntry[] = [
  entry(mmuNotifierUnregisterRelease, 'mmu-notifier-unregister-release'),
  entry(mmuNotifierReleaseUnlinksEarly, 'mmu-notifier-release-unlinks-early'),
  entry(mmuNotifierReleaseBeforeUnlink, 'mmu-notifier-release-before-unlink'),
  entry(mmuNotifierSleepingCallbacks, 'mmu-notifier-sleeping-callbacks'),
  entry(mmuNotifierRegisterAllocUnderLocks, 'mmu-notifier-register-alloc-under-locks'),
  entry(secondaryMmuFaultVsInvalidate, 'secondary-mmu-fault-vs-invalidate'),
  // EXTENDED (races.md S6b): the client rule of 6bdb913f0a, beyond what the seeds model
  entry(secondaryMmuChangePteNested, 'secondary-mmu-change-pte-nested'),
  entry(mmuNotifierRegisterVsInvalidate, 'mmu-notifier-register-vs-invalidate'),
  // EXTENDED (races.md S7b): lock order inside mm_take_all_locks, 7cd5a02f54f4
  entry(mmTakeAllLocksLockOrder, 'mm-take-all-locks-lock-order'),
  // EXTENDED (races.md S7c): per-VMA locks in mm_take_all_locks, eeff9a5d47f8 and its follow-up
  entry(mmuNotifierRegisterVsVmaLockedFault, 'mmu-notifier-register-vs-vma-locked-fault'),
  entry(folioMoveAnonRmapVsReferenced, 'folio-move-anon-rmap-vs-referenced'),
  entry(khugepagedCollapseVsVmaLockedFault, 'khugepaged-collapse-vs-vma-locked-fault'),
  entry(thpSplitVsTailPutPage, 'thp-split-vs-tail-put-page'),
  // EXTENDED (races.md S11): detail from 3ea277194daa, beyond what the seeds describe
  entry(batchedTlbFlushVsMprotect, 'batched-tlb-flush-vs-mprotect'),
  // EXTENDED (races.md S12, 12a and 12c): detail from ec131b2d7fa6 and 99cb252f5e68, beyond the seeds
  entry(hmmMirrorSnapshotVsInvalidate, 'hmm-mirror-snapshot-vs-invalidate'),
];

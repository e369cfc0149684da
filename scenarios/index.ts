/** Every scenario, one line each, in catalogue order. */
import type { Scenario } from '../src/runtime/scenario';
import mmuNotifierUnregisterRelease from './mmu-notifier-unregister-release';
import mmuNotifierReleaseUnlinksEarly from './mmu-notifier-release-unlinks-early';
import mmuNotifierReleaseBeforeUnlink from './mmu-notifier-release-before-unlink';
import folioMoveAnonRmapVsReferenced from './folio-move-anon-rmap-vs-referenced';
import khugepagedCollapseVsVmaLockedFault from './khugepaged-collapse-vs-vma-locked-fault';
import thpSplitVsTailPutPage from './thp-split-vs-tail-put-page';
import batchedTlbFlushVsMprotect from './batched-tlb-flush-vs-mprotect';

export const scenarios: readonly { scenario: Scenario; file: string }[] = [
  { scenario: mmuNotifierUnregisterRelease, file: 'scenarios/mmu-notifier-unregister-release.ts' },
  { scenario: mmuNotifierReleaseUnlinksEarly, file: 'scenarios/mmu-notifier-release-unlinks-early.ts' },
  { scenario: mmuNotifierReleaseBeforeUnlink, file: 'scenarios/mmu-notifier-release-before-unlink.ts' },
  { scenario: folioMoveAnonRmapVsReferenced, file: 'scenarios/folio-move-anon-rmap-vs-referenced.ts' },
  { scenario: khugepagedCollapseVsVmaLockedFault, file: 'scenarios/khugepaged-collapse-vs-vma-locked-fault.ts' },
  { scenario: thpSplitVsTailPutPage, file: 'scenarios/thp-split-vs-tail-put-page.ts' },
  // EXTENDED (races.md S11): detail from 3ea277194daa, beyond what the seeds describe
  { scenario: batchedTlbFlushVsMprotect, file: 'scenarios/batched-tlb-flush-vs-mprotect.ts' },
];

/** Every scenario, one line each, in catalogue order. */
import type { Scenario } from '../src/runtime/scenario';
import mmuNotifierUnregisterRelease from './mmu-notifier-unregister-release';

export const scenarios: readonly { scenario: Scenario; file: string }[] = [
  { scenario: mmuNotifierUnregisterRelease, file: 'scenarios/mmu-notifier-unregister-release.ts' },
];

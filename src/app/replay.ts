/**
 * `--replay TOKEN`: the token's schedule recorded on its variant (and, for `--variant V`, on V:
 * confirm-fix.ts). Here in the thread that asks for a scenario with no module, and as the search
 * worker's after step (search-worker.ts in this folder) for one a user's file gives, so that a
 * model that hangs on the token's schedule is ended by the watchdog and Ctrl-C is heard.
 */
import type { CheckId } from '../runtime/check-id';
import type { Picks } from '../runtime/execution';
import type { Params, Scenario } from '../runtime/scenario';
import { variantOf } from '../search/variant';
import { recordTrace, type Trace } from '../trace/trace';
import type { TraceWatch } from './check';

/** What to replay, as plain data (it crosses to the search worker). */
export interface ReplayOrder {
  /** Tells it from a check's TraceOrder in the worker's after step. */
  readonly replay: true;
  readonly variant: string;
  /** Full parameters (defaults merged). */
  readonly params: Params;
  readonly schedule: readonly number[];
  readonly picks?: Picks;
  /** Record each step's changes to the world (--explain, --html). */
  readonly explain: boolean;
  /**
   * Follow the schedule as far as it fits, and focus on no check: a fix's side of a confirmation
   * (confirm-fix.ts), which parts ways with the failing schedule by design.
   */
  readonly lenient?: boolean;
  /** The check the trace is about (default: the one the variant declares); not with `lenient`. */
  readonly focus?: CheckId;
}

/** The token's schedule recorded; `watched`: where a watchdog follows it (a search worker's meter). */
export function recordReplay(scenario: Scenario, order: ReplayOrder, watched?: TraceWatch): Trace {
  const variant = variantOf(scenario, order.variant);
  // The trace is about the check the variant declares, as in the report that printed the token.
  const declared = order.lenient ? undefined : (order.focus ?? (variant.expect !== undefined && variant.expect !== 'holds' ? variant.expect.violated : undefined));
  // why counted at setup: the watchdog's sign that an execution began, nothing per step
  const counted: Scenario = watched ? { ...scenario, setup: (p) => (watched.ran(), scenario.setup(p)) } : scenario;
  return recordTrace(counted, order.variant, variant, order.params, order.schedule, {
    explain: order.explain,
    ...(order.picks ? { picks: order.picks } : {}),
    ...(declared ? { focus: declared } : {}),
    ...(order.lenient ? { lenient: true } : {}),
    ...(watched ? { watch: watched.watch } : {}),
  });
}

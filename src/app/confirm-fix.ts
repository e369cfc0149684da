/**
 * Fix confirmation: a failing schedule of one variant (the buggy one) replayed against another
 * (the fix) as far as it goes, to show where the fix parts ways with the failure: the first step
 * that does something else (another kernel call, another result), and where the schedule stops
 * fitting (a thread now blocked, finished, or with steps left).
 */
import type { Picks } from '../runtime/execution';
import type { CheckId } from '../runtime/check-id';
import type { Params, Scenario } from '../runtime/scenario';
import { formatPatch } from '../trace/explain';
import type { Trace, TraceStep } from '../trace/trace';
import { recordReplay, type ReplayOrder } from './replay';

/** The first step at which the fix's thread does something else than the failing run did. */
export interface StepDifference {
  /** 1-based. */
  readonly step: number;
  readonly thread: number;
  /** The step in the failing run. */
  readonly was: Pick<TraceStep, 'label' | 'result'>;
  /** The step under the fix. */
  readonly now: Pick<TraceStep, 'label' | 'result'>;
  /**
   * What differs: the kernel call, its result, or only its effect on the world (same call, same
   * result, other changes: a fix that writes another value or passes other arguments).
   */
  readonly kind: 'call' | 'result' | 'effect';
  /** For `effect`: the step's changes in the failing run and under the fix, formatted. */
  readonly changes?: { readonly was: readonly string[]; readonly now: readonly string[] };
}

export interface FixConfirmation {
  /** The failing run, replayed strictly on the variant the schedule came from. */
  readonly original: Trace;
  /** The same schedule on the fix, up to where it stops fitting (`divergence`). */
  readonly fixed: Trace;
  /** Null when every step of the fix did what the failing run did, as far as it went. */
  readonly firstDifference: StepDifference | null;
  /** True when no check fired along the fix's run. */
  readonly holdsAlong: boolean;
}

export interface FixRequest {
  readonly scenario: Scenario;
  readonly params: Params;
  readonly schedule: readonly number[];
  /** The values of the schedule's choose() steps, per thread; absent when it makes none. */
  readonly picks?: Picks;
  /** The variant the schedule was found on. */
  readonly from: string;
  /** The variant to confirm. */
  readonly to: string;
  /** The check the failing run is about (default: the one its variant declares). */
  readonly focus?: CheckId;
}

export function confirmFix(req: FixRequest): FixConfirmation {
  const [from, to] = fixReplays(req);
  return compareFix(recordReplay(req.scenario, from), recordReplay(req.scenario, to));
}

/**
 * The two recordings a confirmation compares, as plain data (they cross to the CLI's search
 * worker, one task each, so that each is watched as a replay of its own variant): the failing
 * run strictly, the fix leniently.
 */
export function fixReplays(req: Omit<FixRequest, 'scenario'>): readonly [ReplayOrder, ReplayOrder] {
  // why explain always: a fix may change only what a step writes, which shows in the changes alone
  const common = { replay: true, params: req.params, schedule: req.schedule, explain: true, ...(req.picks ? { picks: req.picks } : {}) } as const;
  return [
    { ...common, variant: req.from, ...(req.focus ? { focus: req.focus } : {}) },
    { ...common, variant: req.to, lenient: true },
  ];
}

/** The confirmation of two recordings: the failing run (`original`) and the fix along its schedule. */
export function compareFix(original: Trace, fixed: Trace): FixConfirmation {
  return { original, fixed, firstDifference: firstDifference(original, fixed), holdsAlong: fixed.violations.length === 0 };
}

function firstDifference(a: Trace, b: Trace): StepDifference | null {
  const n = Math.min(a.steps.length, b.steps.length);
  for (let i = 0; i < n; i++) {
    const x = a.steps[i]!;
    const y = b.steps[i]!;
    const base = { step: y.step, thread: y.thread, was: { label: x.label, result: x.result }, now: { label: y.label, result: y.result } };
    if (x.label !== y.label) return { ...base, kind: 'call' };
    if (x.result !== y.result) return { ...base, kind: 'result' };
    const was = (x.changes ?? []).map(formatPatch);
    const now = (y.changes ?? []).map(formatPatch);
    if (was.join('\n') !== now.join('\n')) return { ...base, kind: 'effect', changes: { was, now } };
  }
  return null;
}

import type { Violation } from '../runtime/check';
import type { CheckId } from '../runtime/check-id';
import { ReplayDivergence } from './replay-divergence';
import { copyPicks, DEFAULT_STEPS_PER_THREAD_MAX, ExecutionRunner, type ExecutionOutcome, type Picks, type StepRecorder } from '../runtime/execution';
import type { Access } from '../runtime/op';
import type { Params, Scenario, Variant } from '../runtime/scenario';
import { WorldDiffer, type StatePatch } from './explain';
import { ScheduleFollower, type Divergence } from './follow';

/** One executed step as a reader sees it. */
export interface TraceStep {
  /** 1-based. */
  readonly step: number;
  readonly thread: number;
  readonly label: string;
  readonly object: string;
  readonly access: Access;
  /** What the step returned, rendered (`false`, `mn->hlist`), or null when it returns nothing. */
  readonly result: string | null;
  /** Threads that could not run at this point and what they waited for. */
  readonly blocked: readonly { readonly thread: number; readonly label: string; readonly waitsFor: string | null }[];
  /** Checks that fired at this step. */
  readonly violations: readonly Violation[];
  /** What the step changed in the world; null unless the trace was recorded with `explain`. */
  readonly changes: readonly StatePatch[] | null;
}

/** A recorded execution: enough to print the table and to replay it. */
export interface Trace {
  readonly scenario: string;
  readonly variant: string;
  readonly params: Params;
  readonly threads: readonly { readonly name: string; readonly letter: string }[];
  readonly steps: readonly TraceStep[];
  readonly violations: readonly Violation[];
  /** The violation the trace is about (the check that was searched for), or null. */
  readonly focus: Violation | null;
  /** Where the schedule stopped fitting, for a lenient recording; null when it fitted. */
  readonly divergence: Divergence | null;
  readonly schedule: readonly number[];
  /** The values its choose() steps got, per thread; absent when it made no choice. */
  readonly picks?: Picks;
  readonly status: ExecutionOutcome['status'];
}

/** How a step's result reads in a trace: primitives as themselves, objects by their name. */
export function renderResult(value: unknown): string | null {
  if (value === undefined) return null;
  if (value === null) return 'NULL';
  if (typeof value === 'object' && 'name' in value && typeof value.name === 'string') return value.name;
  if (Array.isArray(value)) return value.length === 0 ? null : `[${value.map((v) => renderResult(v) ?? '').join(', ')}]`;
  // why nothing: an unnamed object (a grace-period cookie, say) says nothing a reader could use
  if (typeof value === 'object') return null;
  return String(value);
}

/** What to record besides the steps. */
export interface RecordOptions {
  /** The check the trace is about; its first violation becomes `focus` (default: the first one). */
  readonly focus?: CheckId;
  /** Record each step's changes to the world (`--explain`, HTML). Costs a world walk per step. */
  readonly explain?: boolean;
  /** Audit the replay (footprint and determinism, docs/modeling.md); default false. */
  readonly audit?: boolean;
  /**
   * Stop where the schedule stops fitting and report it in `divergence` (fix confirmation),
   * instead of throwing ReplayDivergence.
   */
  readonly lenient?: boolean;
  /** Where the runner notes where it is, for a watchdog (WATCH in runtime/execution.ts); absent: nowhere. */
  readonly watch?: Int32Array | null;
  /** The values of the schedule's choose() steps, per thread (a Finding's or a token's `picks`). */
  readonly picks?: Picks;
}

/**
 * Replays `schedule` on a fresh world and records every step. Throws ReplayDivergence (exit 2)
 * when the schedule does not fit the variant, unless `lenient`.
 */
export function recordTrace(
  scenario: Scenario,
  variantName: string,
  variant: Variant<object>,
  params: Params,
  schedule: readonly number[],
  options: RecordOptions = {},
): Trace {
  let differ: WorldDiffer | null = null;
  // why wrap setup: the differ needs the world before the first step, and the recorder first
  // hears of it after that step.
  const observed: Scenario = options.explain
    ? {
        ...scenario,
        setup: (p) => {
          const world = scenario.setup(p);
          differ = new WorldDiffer(world);
          return world;
        },
      }
    : scenario;
  const runner = new ExecutionRunner(observed, variant, params, { stepsPerThreadMax: DEFAULT_STEPS_PER_THREAD_MAX, ...(options.audit ? { auditExecutions: 1 } : {}) }, options.watch ?? null);
  const threads = runner.threadNames();
  const steps: TraceStep[] = [];
  const recorder: StepRecorder = {
    onStep: (r) => {
      steps.push({
        step: r.step,
        thread: r.thread,
        // why the value in the label: it is what a reader needs to follow a choose() row
        label: r.op.choices === undefined ? r.op.label : `${r.op.label} → ${String(r.result)}`,
        object: r.op.object.name,
        access: r.op.access,
        result: renderResult(r.result),
        blocked: r.blocked,
        violations: r.violations.slice(),
        changes: differ === null ? null : (differ as WorldDiffer).changes(),
      });
    },
  };
  const follower = new ScheduleFollower(schedule, threads.map((t) => t.name), options.picks);
  const outcome = runner.run(follower, recorder);
  follower.finish(outcome);
  const divergence = follower.divergence;
  if (divergence !== null && !options.lenient) {
    throw new ReplayDivergence(`replay diverged at step ${divergence.step}: ${divergence.reason}`, divergence.step);
  }
  const violations = outcome.violations.slice();
  // A deadlock fires after the last step; attach it there so the table shows it.
  const late = violations.filter((v) => !steps.some((s) => s.violations.includes(v)));
  const last = steps[steps.length - 1];
  if (late.length > 0 && last) steps[steps.length - 1] = { ...last, violations: [...last.violations, ...late] };
  const focus = violations.find((v) => v.check === options.focus) ?? violations[0] ?? null;
  return {
    scenario: scenario.id,
    variant: variantName,
    params,
    threads,
    steps,
    violations,
    focus,
    divergence,
    schedule: outcome.schedule.slice(),
    ...picksOf(outcome),
    status: outcome.status,
  };
}

function picksOf(outcome: ExecutionOutcome): { picks?: Picks } {
  const picks = copyPicks(outcome.picks);
  return picks === undefined ? {} : { picks };
}

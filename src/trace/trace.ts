import type { Violation } from '../checks/check';
import { ReplayStrategy } from '../explore/replay';
import { ExecutionRunner, type ExecutionOutcome, type StepRecorder } from '../runtime/execution';
import type { Access } from '../runtime/op';
import type { Params, Scenario, Variant } from '../runtime/scenario';

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
}

/** A recorded execution: enough to print the table and to replay it. */
export interface Trace {
  readonly scenario: string;
  readonly variant: string;
  readonly params: Params;
  readonly threads: readonly { readonly name: string; readonly letter: string }[];
  readonly steps: readonly TraceStep[];
  readonly violations: readonly Violation[];
  readonly schedule: readonly number[];
  readonly status: ExecutionOutcome['status'];
}

/** How a step's result reads in a trace: primitives as themselves, objects by their name. */
export function renderResult(value: unknown): string | null {
  if (value === undefined) return null;
  if (value === null) return 'NULL';
  if (typeof value === 'object' && 'name' in value && typeof value.name === 'string') return value.name;
  if (Array.isArray(value)) return value.length === 0 ? null : `[${value.map((v) => renderResult(v) ?? '').join(', ')}]`;
  if (typeof value === 'object') return '{…}';
  return String(value);
}

/**
 * Replays `schedule` on a fresh world and records every step. Throws ReplayDivergence (exit 2)
 * when the schedule does not fit the variant.
 */
export function recordTrace(scenario: Scenario, variantName: string, variant: Variant<object>, params: Params, schedule: readonly number[]): Trace {
  const runner = new ExecutionRunner(scenario, variant, params);
  const steps: TraceStep[] = [];
  const recorder: StepRecorder = {
    onStep: (r) => {
      steps.push({
        step: r.step,
        thread: r.thread,
        label: r.op.label,
        object: r.op.object.name,
        access: r.op.access,
        result: renderResult(r.result),
        blocked: r.blocked,
        violations: r.violations.slice(),
      });
    },
  };
  const strategy = new ReplayStrategy(schedule);
  strategy.beginExecution();
  const outcome = runner.run(strategy, recorder);
  strategy.endExecution(outcome);
  const violations = outcome.violations.slice();
  // A deadlock fires after the last step; attach it there so the table shows it.
  const late = violations.filter((v) => !steps.some((s) => s.violations.includes(v)));
  const last = steps[steps.length - 1];
  if (late.length > 0 && last) steps[steps.length - 1] = { ...last, violations: [...last.violations, ...late] };
  return {
    scenario: scenario.id,
    variant: variantName,
    params,
    threads: runner.threadNames(),
    steps,
    violations,
    schedule: outcome.schedule.slice(),
    status: outcome.status,
  };
}

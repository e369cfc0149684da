import { ScenarioError } from '../runtime/errors';
import type { ChoicePoint, ExecutionOutcome, LimitHit } from '../runtime/execution';
import { letterOf } from '../runtime/scenario';
import type { Strategy } from './strategy';

/** Raised when a schedule no longer fits the scenario; says at which step it diverged. */
export class ReplayDivergence extends ScenarioError {
  constructor(
    message: string,
    /** 1-based step at which the schedule stopped fitting. */
    readonly step: number,
  ) {
    super(message);
  }
}

/**
 * Runs exactly one recorded schedule (every step, forced ones included), and fails loudly where
 * the scenario no longer allows it, as shuttle's ReplayScheduler does.
 */
export class ReplayStrategy implements Strategy {
  readonly id = 'replay';
  readonly exhaustive = false;
  private done = false;

  constructor(private readonly schedule: readonly number[]) {}

  beginExecution(): boolean {
    if (this.done) return false;
    this.done = true;
    return true;
  }

  choose(point: ChoicePoint): number {
    const t = this.schedule[point.step];
    const step = point.step + 1;
    const runnable = point.enabled.map(letterOf).join(', ');
    if (t === undefined) {
      throw new ReplayDivergence(
        `replay diverged at step ${step}: the schedule has ${this.schedule.length} steps but ${runnable} can still run`,
        step,
      );
    }
    if (point.enabled.indexOf(t) < 0) {
      throw new ReplayDivergence(
        `replay diverged at step ${step}: the schedule runs ${letterOf(t)}, which cannot run here (runnable: ${runnable || 'none'})`,
        step,
      );
    }
    return t;
  }

  endExecution(outcome: ExecutionOutcome): void {
    if (outcome.steps < this.schedule.length) {
      throw new ReplayDivergence(
        `replay diverged at step ${outcome.steps + 1}: the execution ended after ${outcome.steps} steps but the schedule has ${this.schedule.length}`,
        outcome.steps + 1,
      );
    }
  }

  cuts(): readonly LimitHit[] {
    return [];
  }
}

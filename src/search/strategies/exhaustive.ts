import { ScenarioError } from '../../runtime/errors';
import type { ChoicePoint, ExecutionOutcome, LimitHit } from '../../runtime/execution';
import { ChoiceStack } from '../choice-stack';
import { ForcedPrefix } from '../forced-prefix';
import type { ExecutionCount, Strategy, StrategyDescriptor } from '../strategy';

/**
 * Exhaustive depth-first enumeration of scheduling choices by re-execution (as in VeriSoft,
 * Godefroid 1997, without its reduction). Every interleaving of enabled threads is run once:
 * k threads of n independent steps give (kn)!/(n!)^k executions.
 *
 * A choose(n) step is one more level, with the values 0 … n − 1 as its options, so a program
 * whose threads choose runs once per interleaving and per combination of values.
 *
 * Kept beside `dfs` as its oracle (the differential tests compare the two) and as the benchmark's
 * bare re-execution loop: it does no dependency bookkeeping at all.
 * At a new level the thread that ran last is tried first, so the first execution runs each thread
 * as far as it can before switching and early schedules have few preemptions.
 */
export class ExhaustiveStrategy implements Strategy {
  readonly id = 'exhaustive';
  private readonly stack = new ChoiceStack();
  private started = false;
  // invariant: decisions of the current execution so far (a thread at each step, a value at each
  // choose): the stack has one level per decision
  private decision = 0;
  /** 0 … n − 1, the options of a choice level. */
  private readonly values: number[] = [];

  beginExecution(): boolean {
    this.decision = 0;
    if (!this.started) {
      this.started = true;
      return true;
    }
    return this.stack.advance();
  }

  pick(_step: number, _thread: number, n: number): number {
    const d = this.decision++;
    if (this.stack.isReplaying(d)) {
      const v = this.stack.chosen(d);
      if (v >= n) throw new ScenarioError(`nondeterministic scenario: replaying a choice among ${n} found value ${v} out of range; setup() and threads must depend only on the schedule`);
      return v;
    }
    const values = this.values;
    while (values.length < n) values.push(values.length);
    while (values.length > n) values.pop();
    return this.stack.push(values, 0);
  }

  choose(point: ChoicePoint): number {
    const i = this.decision++;
    if (this.stack.isReplaying(i)) {
      const t = this.stack.chosen(i);
      if (point.enabled.indexOf(t) < 0) {
        throw new ScenarioError(
          `nondeterministic scenario: replaying step ${point.step + 1} found thread ${t} not runnable; ` +
            'setup() and threads must depend only on the schedule',
        );
      }
      return t;
    }
    const first = point.enabled.indexOf(point.previous) >= 0 ? point.previous : point.enabled[0]!;
    return this.stack.push(point.enabled, first);
  }

  endExecution(_outcome: ExecutionOutcome): ExecutionCount {
    return 'counted';
  }

  cuts(): readonly LimitHit[] {
    return [];
  }
}

export const exhaustive: StrategyDescriptor = {
  id: 'exhaustive',
  help: 'every interleaving, without reduction (a reference for dfs)',
  exhaustive: true,
  seeded: false,
  options: [],
  make: () => new ExhaustiveStrategy(),
  split: { sleepSets: false, make: (part) => new ForcedPrefix(new ExhaustiveStrategy(), part.prefix) },
};

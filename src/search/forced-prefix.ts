/**
 * A schedule prefix forced on a strategy, as a decorator: the steps of the prefix are replayed
 * (each checked against what can run), and every later choice goes to the inner strategy, which
 * sees the steps after the prefix as its whole execution. One implementation for every place a
 * prefix is forced: parts of split searches and probes of the tree top.
 */
import { ScenarioError, UsageError } from '../runtime/errors';
import type { ChoicePoint, ExecutionOutcome, LimitHit } from '../runtime/execution';
import type { Op, ThreadContext } from '../runtime/op';
import type { ExecutionCount, SearchSetup, Strategy } from './strategy';

/** Thread `t` of a forced prefix at `point`; a prefix that no longer fits is a broken (nondeterministic) scenario. */
export function forcedChoice(point: ChoicePoint, t: number): number {
  if (point.enabled.indexOf(t) < 0) {
    throw new ScenarioError(
      `nondeterministic scenario: replaying step ${point.step + 1} found thread ${t} not runnable; ` +
        'setup() and threads must depend only on the schedule',
    );
  }
  return t;
}

/**
 * A choose() step inside a prefix that a split search fixes: the prefix names threads only, so the
 * values of that choice would not be explored. Why an error and not a guess: a part that fixed the
 * value would report a verdict over some of the executions as if it were over all of them.
 */
export function choiceInPrefix(step: number, length: number): UsageError {
  return new UsageError(
    `step ${step + 1} is a choose(), inside the first ${length} steps that a split search fixes; run this variant whole (--jobs 1, no --shard)`,
  );
}

export class ForcedPrefix implements Strategy {
  readonly id: string;
  // why one object: the runtime reuses its point, so this one is reused too, shifted in place
  private readonly shifted: { enabled: readonly number[]; pending: readonly (Op | null)[]; contexts: readonly ThreadContext[]; previous: number; step: number; announced: number } = {
    enabled: [],
    pending: [],
    contexts: [],
    previous: -1,
    step: 0,
    announced: 0,
  };

  constructor(
    private readonly inner: Strategy,
    private readonly prefix: readonly number[],
  ) {
    this.id = inner.id;
  }

  prepare(setup: SearchSetup): void {
    this.inner.prepare?.(setup);
  }

  beginExecution(): boolean {
    return this.inner.beginExecution();
  }

  choose(point: ChoicePoint): number {
    if (point.step < this.prefix.length) return forcedChoice(point, this.prefix[point.step]!);
    return this.inner.choose(this.shift(point));
  }

  pick(step: number, thread: number, n: number, nth: number): number {
    if (step < this.prefix.length) throw choiceInPrefix(step, this.prefix.length);
    return this.inner.pick(step - this.prefix.length, thread, n, nth);
  }

  observe(step: number, thread: number, op: Op): void {
    if (step >= this.prefix.length) this.inner.observe?.(step - this.prefix.length, thread, op);
  }

  deadlocked(point: ChoicePoint): void {
    if (point.step < this.prefix.length) return;
    this.inner.deadlocked?.(this.shift(point));
  }

  endExecution(outcome: ExecutionOutcome): ExecutionCount {
    return this.inner.endExecution(outcome);
  }

  cuts(): readonly LimitHit[] {
    return this.inner.cuts();
  }

  private shift(point: ChoicePoint): ChoicePoint {
    const s = this.shifted;
    s.enabled = point.enabled;
    s.pending = point.pending;
    s.contexts = point.contexts;
    s.previous = point.previous;
    s.step = point.step - this.prefix.length;
    s.announced = point.announced;
    return s as ChoicePoint;
  }
}

import { ScenarioError } from '../../runtime/errors';
import type { ChoicePoint, ExecutionOutcome, LimitHit } from '../../runtime/execution';
import { ChoiceStack } from '../choice-stack';
import type { ExecutionCount, Strategy, StrategyDescriptor } from '../strategy';

/**
 * Preemption-bounded search, fewest preemptions first: iterative context bounding (Musuvathi &
 * Qadeer, "Iterative Context Bounding for Systematic Testing of Multithreaded Programs", PLDI 2007).
 *
 * A preemption is a switch away from a thread that could have continued. Switches forced by
 * blocking or by a thread finishing are free, and so is choosing who starts. Bound 0 runs every
 * schedule without preemptions, bound 1 every schedule with exactly one, and so on: each schedule
 * runs exactly once, in the pass of its own preemption count, so the counts per bound add up to
 * the count of plain exhaustive search.
 *
 * How, as in the paper's work queue: a pass explores subtrees depth first over a ChoiceStack. At a
 * level where the running thread could continue, only it is tried (no new preemption); each other
 * runnable thread opens a subtree of the next pass, recorded as the choice prefix that ends with
 * that preemption. Levels are created once per pass, so each subtree is recorded once.
 *
 * Departures from the paper: plain (no partial-order reduction), and a blocked or finished thread's
 * successor may be any runnable thread at no cost, since that switch is not a preemption.
 */
export interface BoundedOptions {
  /** Stop after the pass of this many preemptions; skipped schedules are reported by `cuts()`. */
  readonly preemptionsMax?: number;
}

/** The flag that lifts the bound; the CLI owns the spelling, the cut report names it. */
const PREEMPTIONS_FLAG = '--preemptions';

export class BoundedStrategy implements Strategy {
  readonly id = 'bounded';
  private readonly preemptionsMax: number;
  private readonly stack = new ChoiceStack();
  // invariant: every prefix in `passQueue` ends with the bound-th preemption of its schedule
  private passQueue: number[][] = [[]];
  private passNext = 0;
  /** Prefixes that open subtrees of the next pass, in discovery order. */
  private nextPass: number[][] = [];
  /** The prefix of the subtree being explored; its choices are replayed first. */
  private prefix: readonly number[] = [];
  private bound = 0;
  private started = false;
  // invariant: choices[0..decision) are this execution's decisions so far: the thread of each
  // step, and after a choose(n) step's thread, the value it got (prefixes and levels count both)
  private readonly choices: number[] = [];
  private decision = 0;
  /** 0 … n − 1, the options of a choice level. */
  private readonly values: number[] = [];
  private readonly only: number[] = [0];
  /** Subtrees beyond preemptionsMax that were not explored. */
  private subtreesSkipped = 0;
  private readonly perBound: number[] = [];

  constructor(options: BoundedOptions = {}) {
    this.preemptionsMax = options.preemptionsMax ?? Number.POSITIVE_INFINITY;
    if (this.preemptionsMax < 0) throw new RangeError(`preemptionsMax ${this.preemptionsMax} < 0`);
  }

  /** The preemption count of the pass in progress (of the last execution begun). */
  get currentBound(): number {
    return this.bound;
  }

  /** Executions run so far with exactly b preemptions, at index b. */
  executionsByBound(): readonly number[] {
    return this.perBound;
  }

  beginExecution(): boolean {
    this.decision = 0;
    if (this.started && this.stack.advance()) return true;
    this.started = true;
    for (;;) {
      if (this.passNext < this.passQueue.length) {
        this.prefix = this.passQueue[this.passNext++]!;
        this.stack.reset();
        return true;
      }
      if (this.nextPass.length === 0 || this.bound >= this.preemptionsMax) return false;
      this.bound++;
      this.passQueue = this.nextPass;
      this.passNext = 0;
      this.nextPass = [];
    }
  }

  /** A choice's value: every one is explored in the current pass (choosing is no preemption). */
  pick(step: number, _thread: number, n: number): number {
    const d = this.decision++;
    let v: number;
    if (d < this.prefix.length || this.stack.isReplaying(d - this.prefix.length)) {
      v = d < this.prefix.length ? this.prefix[d]! : this.stack.chosen(d - this.prefix.length);
      if (v >= n) throw new ScenarioError(`nondeterministic scenario: replaying step ${step + 1} found a choice among ${n}, not the ${v + 1} or more it had`);
    } else {
      const values = this.values;
      while (values.length < n) values.push(values.length);
      while (values.length > n) values.pop();
      v = this.stack.push(values, 0);
    }
    this.choices[d] = v;
    return v;
  }

  choose(point: ChoicePoint): number {
    const i = this.decision++;
    const enabled = point.enabled;
    let t: number;
    if (i < this.prefix.length || this.stack.isReplaying(i - this.prefix.length)) {
      t = i < this.prefix.length ? this.prefix[i]! : this.stack.chosen(i - this.prefix.length);
      if (enabled.indexOf(t) < 0) {
        throw new ScenarioError(
          `nondeterministic scenario: replaying step ${point.step + 1} found thread ${t} not runnable; ` +
            'setup() and threads must depend only on the schedule',
        );
      }
    } else if (point.previous >= 0 && enabled.indexOf(point.previous) >= 0) {
      // Any other choice here preempts: it belongs to the next pass.
      for (const other of enabled) if (other !== point.previous) this.deferPreemption(i, other);
      this.only[0] = point.previous;
      t = this.stack.push(this.only, point.previous);
    } else {
      t = this.stack.push(enabled, enabled[0]!);
    }
    this.choices[i] = t;
    return t;
  }

  private deferPreemption(step: number, thread: number): void {
    if (this.bound >= this.preemptionsMax) {
      this.subtreesSkipped++;
      return;
    }
    const prefix = this.choices.slice(0, step);
    prefix.push(thread);
    this.nextPass.push(prefix);
  }

  endExecution(_outcome: ExecutionOutcome): ExecutionCount {
    this.perBound[this.bound] = (this.perBound[this.bound] ?? 0) + 1;
    return 'counted';
  }

  cuts(): readonly LimitHit[] {
    if (this.subtreesSkipped === 0) return [];
    return [
      {
        limit: 'preemptions',
        flag: PREEMPTIONS_FLAG,
        value: this.preemptionsMax,
        detail: `skipped ${this.subtreesSkipped} subtree${this.subtreesSkipped === 1 ? '' : 's'} of schedules with more than ${this.preemptionsMax} preemption${this.preemptionsMax === 1 ? '' : 's'}`,
      },
    ];
  }
}

export const bounded: StrategyDescriptor = {
  id: 'bounded',
  help: 'fewest preemptions first; prints executions per bound',
  exhaustive: true,
  seeded: false,
  options: ['preemptionsMax'],
  make: (o) => new BoundedStrategy(o.preemptionsMax === undefined ? {} : { preemptionsMax: o.preemptionsMax }),
};

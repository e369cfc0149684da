/**
 * Following a recorded schedule without trusting it: where the schedule stops fitting the variant
 * (a thread it picks has finished or is blocked, it ends while threads can still run, or it goes on
 * after the execution ended), the follower stops the execution and says why, in kernel terms.
 * Strict replay turns that into an error; fix confirmation reports it as the answer.
 */
import { ABANDON, type ChoicePoint, type ExecutionOutcome, type Picks, type Scheduler } from '../runtime/execution';
import type { Op, ThreadContext } from '../runtime/op';
import { letterOf } from '../runtime/scenario';

/** Where and why a schedule stopped fitting. */
export interface Divergence {
  /** 1-based step the schedule could not take (one past the last step for `execution-ended`). */
  readonly step: number;
  readonly kind: 'no-such-thread' | 'thread-finished' | 'thread-blocked' | 'schedule-ended' | 'execution-ended' | 'choice-missing' | 'choice-out-of-range' | 'choice-unused';
  /** The thread the schedule picks at that step, -1 when the schedule has ended. */
  readonly thread: number;
  /** One clause, e.g. `the schedule runs B, which cannot run here: B (release) is blocked: spin_lock(&L) waits for L held by A (unregister)`. */
  readonly reason: string;
}

/** Follows `schedule`; on a choice that does not fit it records a Divergence and abandons the run. */
export class ScheduleFollower implements Scheduler {
  private divergedAt: Divergence | null = null;

  constructor(
    private readonly schedule: readonly number[],
    /** Thread names by id, for the reason text. */
    private readonly names: readonly string[],
    /** The values of the choose() steps, per thread (none: the schedule makes no choice). */
    private readonly picks: Picks = [],
  ) {}

  // invariant: used[t] of thread t's picks were handed out in this run
  private readonly used: number[] = [];

  pick(step: number, thread: number, n: number, nth: number): number {
    const v = this.picks[thread]?.[nth];
    this.used[thread] = nth + 1;
    if (v !== undefined && v < n) return v;
    const who = this.who(thread);
    this.divergedAt =
      v === undefined
        ? { step: step + 1, kind: 'choice-missing', thread, reason: `${who} makes its choice ${nth + 1} here (among ${n}), and the schedule gives it ${nth === 0 ? 'none' : `only ${nth}`}` }
        : { step: step + 1, kind: 'choice-out-of-range', thread, reason: `${who} chooses among ${n} here, and the schedule gives it ${v}` };
    return ABANDON;
  }

  /** The divergence of the last run, or null when the schedule fitted to its end. */
  get divergence(): Divergence | null {
    return this.divergedAt;
  }

  /** Call before each run. */
  reset(): void {
    this.divergedAt = null;
    this.used.length = 0;
  }

  choose(point: ChoicePoint): number {
    const t = this.schedule[point.step];
    const step = point.step + 1;
    if (t === undefined) {
      const runnable = point.enabled.map((i) => this.who(i)).join(', ');
      this.divergedAt = { step, kind: 'schedule-ended', thread: -1, reason: `the schedule ends after ${this.schedule.length} steps but ${runnable} can still run` };
      return ABANDON;
    }
    if (point.enabled.indexOf(t) >= 0) return t;
    const op = t < point.pending.length ? point.pending[t] : undefined;
    if (op === undefined) {
      this.divergedAt = { step, kind: 'no-such-thread', thread: t, reason: `the schedule runs thread ${letterOf(t)}, which the variant does not have` };
    } else if (op === null) {
      this.divergedAt = { step, kind: 'thread-finished', thread: t, reason: `the schedule runs ${letterOf(t)}, which cannot run here: ${this.who(t)} has no more steps` };
    } else {
      this.divergedAt = { step, kind: 'thread-blocked', thread: t, reason: `the schedule runs ${letterOf(t)}, which cannot run here: ${this.who(t)} is blocked: ${op.label} ${this.waits(op, t)}` };
    }
    return ABANDON;
  }

  /** After the run: a schedule longer than the execution also diverges. */
  finish(outcome: ExecutionOutcome): void {
    if (this.divergedAt !== null) return;
    if (outcome.steps >= this.schedule.length) {
      const extra = this.picks.findIndex((p, t) => p.length > (this.used[t] ?? 0));
      if (extra >= 0) {
        const made = this.used[extra] ?? 0;
        this.divergedAt = {
          step: outcome.steps + 1,
          kind: 'choice-unused',
          thread: extra,
          reason: `${this.who(extra)} made ${made} choice${made === 1 ? '' : 's'} but the schedule gives it ${this.picks[extra]!.length}`,
        };
      }
      return;
    }
    const why = outcome.violations.find((v) => v.fatal);
    const end = why ? `stopped at ${why.check} in step ${why.step}` : 'ended';
    this.divergedAt = {
      step: outcome.steps + 1,
      kind: 'execution-ended',
      thread: this.schedule[outcome.steps]!,
      reason: `the execution ${end} after ${outcome.steps} steps but the schedule has ${this.schedule.length}`,
    };
  }

  /**
   * What a blocked thread waits for. The runtime's own context of the thread is out of reach here,
   * so the op sees a stand-in with the same id and name: owners then read as `A`, never `A itself`.
   */
  private waits(op: Op, t: number): string {
    if (op.waitsFor === undefined) return 'cannot run yet';
    const name = this.names[t] ?? '?';
    const stub: ThreadContext = { id: t, name, letter: letterOf(t), held: [], step: 0, ghost: new Map(), warn: () => {} };
    try {
      return `waits for ${op.waitsFor(stub)}`;
    } catch {
      return 'cannot run yet';
    }
  }

  private who(t: number): string {
    return `${letterOf(t)} (${this.names[t] ?? '?'})`;
  }
}

/**
 * Failing-schedule minimization: from a schedule that violates a check, find one that violates the
 * same check with the fewest preemptions, then the fewest steps up to the violation.
 *
 * Two passes, every candidate verified by running it:
 * 1. preemption-bounded search (`BoundedStrategy`, fewest preemptions first) for the same check; the
 *    first pass that hits it gives the minimal preemption count, and the pass is finished to keep
 *    its shortest hit;
 * 2. delta debugging over the choices up to the violation (Zeller & Hildebrandt, TSE 2002): drop a
 *    thread's steps (all, then halves, …, then single ones, uninvolved threads first), which moves
 *    them after the violation; keep a candidate when it still violates the check with no more
 *    preemptions and fewer steps, and start over from it until nothing more can go.
 *
 * Past the chosen prefix a candidate runs on without preemptions (the running thread goes on; when
 * it cannot, the lowest runnable one), so the returned schedule is complete and replays exactly.
 * Everything is counted in executions, never in time, so the result is deterministic.
 */
import type { CheckId } from '../runtime/check-id';
import { BoundedStrategy } from '../search/strategies/bounded';
import { ScenarioError } from '../runtime/errors';
import {
  copyPicks,
  DEFAULT_STEPS_PER_THREAD_MAX,
  type Picks,
  ExecutionRunner,
  type ChoicePoint,
  type ExecutionOutcome,
  type RuntimeLimits,
  type Scheduler,
} from '../runtime/execution';
import type { Params, Scenario, Variant } from '../runtime/scenario';

/** How hard a failing schedule is to read. */
export interface ScheduleCost {
  /** Switches away from a thread that could have continued, up to the violation. */
  readonly preemptions: number;
  /** Steps up to and including the one at which the check fired. */
  readonly steps: number;
}

/** What minimization found. */
export interface Minimization {
  /** The check the schedule violates, before and after. */
  readonly check: CheckId;
  /** The minimized schedule, complete (it runs to the end of its execution). */
  readonly schedule: readonly number[];
  /** The values of its choose() steps, per thread; absent when it makes none. */
  readonly picks?: Picks;
  /** Cost of the schedule minimization started from. */
  readonly found: ScheduleCost;
  /** Cost of the minimized schedule. */
  readonly minimized: ScheduleCost;
  /** Executions run to get there. */
  readonly executions: number;
  /** True when every schedule with fewer preemptions was run and none violated the check. */
  readonly preemptionsProvenMinimal: boolean;
  /**
   * What was proven, exactly: every schedule with fewer preemptions than this (up to the
   * violation) was run, and none violates the check. Equal to `minimized.preemptions` when the
   * minimum is proven; lower when the budget ran out first.
   */
  readonly preemptionsRuledOutBelow: number;
  /** The budget the two passes had, in executions. */
  readonly budget: number;
}

export interface MinimizeRequest {
  readonly scenario: Scenario;
  readonly variant: Variant<object>;
  readonly params: Params;
  /** A schedule whose execution violates `check`. */
  readonly schedule: readonly number[];
  /** The values of that execution's choose() steps, per thread. */
  readonly picks?: Picks;
  readonly check: CheckId;
  readonly limits?: RuntimeLimits;
  /** Budget for both passes together; past it the best schedule so far is returned. */
  readonly executionsMax?: number;
  /** Where the runner notes where it is, for a watchdog (WATCH in runtime/execution.ts); absent: nowhere. */
  readonly watch?: Int32Array | null;
}

/** Enough for every CORE scenario many times over, small enough to stay well under a second. */
export const MINIMIZE_EXECUTIONS_MAX = 20_000;

/** Thrown inside a run when a candidate chooses a thread that cannot run at that point. */
class Unfollowable extends Error {}
const UNFOLLOWABLE = new Unfollowable('candidate does not fit');

/** Follows a choice prefix, then lets the running thread go on: no preemption past the prefix. */
class PrefixThenRunOn implements Scheduler {
  prefix: readonly number[] = [];
  /**
   * Each thread's choose() values, kept with the thread wherever its steps move; a choice past
   * the recorded ones takes 0 (the candidate runs on, as past the prefix).
   */
  picks: Picks = [];

  pick(_step: number, thread: number, n: number, nth: number): number {
    const v = this.picks[thread]?.[nth] ?? 0;
    if (v >= n) throw UNFOLLOWABLE;
    return v;
  }

  choose(point: ChoicePoint): number {
    const i = point.step;
    if (i < this.prefix.length) {
      const t = this.prefix[i]!;
      if (point.enabled.indexOf(t) < 0) throw UNFOLLOWABLE;
      return t;
    }
    return point.enabled.indexOf(point.previous) >= 0 ? point.previous : point.enabled[0]!;
  }
}

/** Wraps a scheduler and counts the preemptions its choices make. */
class PreemptionMeter implements Scheduler {
  inner: Scheduler;
  // invariant: preemptionsThrough[i] counts the preemptions among the choices of steps 0..i
  readonly preemptionsThrough: number[] = [];

  constructor(inner: Scheduler) {
    this.inner = inner;
  }

  pick(step: number, thread: number, n: number, nth: number): number {
    return this.inner.pick!(step, thread, n, nth);
  }

  choose(point: ChoicePoint): number {
    const t = this.inner.choose(point);
    const p = point.previous;
    const preempts = p >= 0 && t !== p && point.enabled.indexOf(p) >= 0 ? 1 : 0;
    this.preemptionsThrough[point.step] = (point.step > 0 ? this.preemptionsThrough[point.step - 1]! : 0) + preempts;
    return t;
  }
}

interface Candidate {
  /** The complete schedule of the run. */
  readonly schedule: number[];
  readonly picks: Picks | undefined;
  readonly cost: ScheduleCost;
  /** The violating thread, -1 when no single thread's step fired it (deadlock). */
  readonly violator: number;
}

function better(a: ScheduleCost, b: ScheduleCost): boolean {
  return a.preemptions < b.preemptions || (a.preemptions === b.preemptions && a.steps < b.steps);
}

/** Minimizes a failing schedule; see the file comment for how. */
export function minimizeSchedule(req: MinimizeRequest): Minimization {
  const runner = new ExecutionRunner(req.scenario, req.variant, req.params, req.limits ?? { stepsPerThreadMax: DEFAULT_STEPS_PER_THREAD_MAX }, req.watch ?? null);
  const follower = new PrefixThenRunOn();
  const meter = new PreemptionMeter(follower);
  const budget = req.executionsMax ?? MINIMIZE_EXECUTIONS_MAX;
  let executions = 0;

  const judge = (outcome: ExecutionOutcome): Candidate | null => {
    const v = outcome.violations.find((x) => x.check === req.check);
    if (v === undefined) return null;
    const steps = Math.min(v.step, outcome.steps);
    const preemptions = steps > 0 ? meter.preemptionsThrough[steps - 1]! : 0;
    return { schedule: outcome.schedule.slice(), picks: copyPicks(outcome.picks), cost: { preemptions, steps }, violator: v.thread };
  };
  const probe = (prefix: readonly number[], picks: Picks | undefined): Candidate | null => {
    follower.prefix = prefix;
    follower.picks = picks ?? [];
    meter.inner = follower;
    executions++;
    try {
      return judge(runner.run(meter));
    } catch (e) {
      if (e instanceof Unfollowable) return null;
      throw e;
    }
  };

  const found = probe(req.schedule, req.picks);
  if (found === null) {
    throw new ScenarioError(
      `${req.scenario.id}: the failing schedule no longer violates ${req.check} when run again; setup() and threads must depend only on the schedule`,
    );
  }
  // Pass 1: fewest preemptions first. A hit in pass b has exactly b preemptions up to its
  // violation, since a prefix with fewer, run on without preemptions, lies in an earlier pass.
  // why start from null, not from `found`: among equally cheap schedules the search's first one
  // wins, so the result does not depend on which strategy happened to find the failure.
  let best: Candidate | null = null;
  const bounded = new BoundedStrategy({ preemptionsMax: found.cost.preemptions });
  let hitBound: number | null = null;
  let boundedDone = false;
  for (;;) {
    if (executions >= budget) break;
    if (!bounded.beginExecution() || (hitBound !== null && bounded.currentBound > hitBound)) {
      boundedDone = true;
      break;
    }
    meter.inner = bounded;
    executions++;
    const outcome = runner.run(meter);
    bounded.endExecution(outcome);
    const hit = judge(outcome);
    if (hit === null) continue;
    hitBound ??= bounded.currentBound;
    if (best === null || better(hit.cost, best.cost)) best = hit;
  }
  if (best === null || better(found.cost, best.cost)) best = found;
  // why not "boundedDone" alone: a finished pass with no hit at all means the bounded search
  // missed what the search found, so nothing is proven (the differential test pins that it never
  // happens on blocking programs, but the claim must not rest on it)
  const ruledOutBelow = hitBound ?? (boundedDone ? 0 : bounded.currentBound);
  const preemptionsProvenMinimal = hitBound !== null && hitBound >= best.cost.preemptions;

  // Pass 2: delta debugging over the prefix up to the violation.
  let improved = true;
  while (improved && executions < budget) {
    improved = false;
    for (const candidate of removals(best.schedule.slice(0, best.cost.steps), best.violator)) {
      if (executions >= budget) break;
      const hit = probe(candidate, best.picks);
      if (hit !== null && hit.cost.preemptions <= best.cost.preemptions && hit.cost.steps < best.cost.steps) {
        best = hit;
        improved = true;
        break;
      }
    }
  }

  // Canonical tail: the returned schedule runs on without preemptions past the violation.
  const final = probe(best.schedule.slice(0, best.cost.steps), best.picks) ?? best;
  return {
    check: req.check,
    schedule: final.schedule,
    ...(final.picks ? { picks: final.picks } : {}),
    found: found.cost,
    minimized: final.cost,
    executions,
    preemptionsProvenMinimal,
    preemptionsRuledOutBelow: Math.min(ruledOutBelow, final.cost.preemptions),
    budget,
  };
}

/**
 * Candidate prefixes with some of one thread's steps removed (so they run after the violation, if
 * at all). Uninvolved threads first; for each, all its steps, then halves, quarters, … down to
 * single steps, later chunks first. The violating step itself always stays.
 *
 * Worked example: prefix A B B A B A with violator A (last step kept): B's steps are at 1, 2, 4;
 * candidates drop {1,2,4}, then {2,4} and {1} (chunks of 2, the last first), then {4}, {2}, {1}.
 */
export function* removals(prefix: readonly number[], violator: number): Generator<number[]> {
  const keepLast = violator >= 0 ? prefix.length - 1 : prefix.length;
  const threads = [...new Set(prefix)].sort((a, b) => (a === violator ? 1 : 0) - (b === violator ? 1 : 0) || a - b);
  for (const t of threads) {
    const at: number[] = [];
    for (let i = 0; i < keepLast; i++) if (prefix[i] === t) at.push(i);
    for (let size = at.length; size >= 1; size = size === 1 ? 0 : Math.ceil(size / 2)) {
      for (let end = at.length; end > 0; end -= size) {
        const drop = new Set(at.slice(Math.max(0, end - size), end));
        yield prefix.filter((_, i) => !drop.has(i));
      }
    }
  }
}

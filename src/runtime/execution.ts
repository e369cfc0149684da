import { armedThreadEndChecks, invariantCheck, type Check, type Violation } from './check';
import { checkVariantShape } from './variant-shape';
import { describeDeadlock, type BlockedThread } from './deadlock';
import { lockLeak } from './lock-leak';
import { InternalError, KernelFault, ScenarioError, UsageError } from './errors';
import { malformedOp, plainOp } from './op-check';
import { conditionObjects, copiesOfCondition, enabledOnCopy } from './state-copies';
import { checkConditionAfterRun, conditionBefore } from './condition-audit';
import { FootprintAudit } from './footprint-audit';
import { compareEnds, compareSetups, ScheduleReplay, StepComparison, StepLog, worldShape } from './determinism-audit';
import type { Op, SharedObject, Steps, ThreadContext } from './op';
import { letterOf, type Params, type Scenario, type Variant } from './scenario';

/**
 * What `choose` returns to stop the execution before this step without running anything more:
 * a strategy that sees the rest is redundant (every continuation was explored already, as when
 * all runnable threads sleep in a DPOR sleep set). The outcome is then `abandoned`; no checks run
 * on the unfinished state, and the explorer counts it apart from real executions.
 */
export const ABANDON = -1;

/** What the runtime asks of whoever picks the next thread. It knows nothing else of strategies. */
export interface Scheduler {
  /** Pick one of `point.enabled`, or return ABANDON. The point object is reused: copy what you keep. */
  choose(point: ChoicePoint): number;
  /**
   * The value of a nondeterministic choice (an op with `choices`, models/choose.ts): thread
   * `thread`, just chosen at 0-based step `step`, makes its `nth` choice (0-based, counted per
   * thread) among `n` values; return one of 0 … n − 1, or ABANDON. A scheduler without it cannot
   * run a program that chooses (an internal error: every strategy and replay has one).
   */
  pick?(step: number, thread: number, n: number, nth: number): number;
  /** Told after each step what ran, for strategies that track dependencies: after the op ran, before its thread resumes. */
  observe?(step: number, thread: number, op: Op): void;
  /**
   * Told when no thread can run but some have not finished, just before the deadlock is recorded.
   * `point.enabled` is empty and `point.pending` says what each blocked thread waits to do.
   */
  deadlocked?(point: ChoicePoint): void;
}

/** A scheduling decision to make. */
export interface ChoicePoint {
  /** Threads that can run now, ascending ids; never empty in `choose`. Reused between steps. */
  readonly enabled: readonly number[];
  /**
   * Each thread's announced op, enabled or not, by thread id; null once the thread has returned.
   * Lets a strategy see what a blocked thread waits to do. Reused between steps.
   */
  readonly pending: readonly (Op | null)[];
  /** Each thread's context, by thread id (what `Op.enabledAt`'s Waiter is made from). */
  readonly contexts: readonly ThreadContext[];
  /** Thread that ran the previous step, -1 before the first. */
  readonly previous: number;
  /** 0-based index of the step about to be chosen. */
  readonly step: number;
  /**
   * The kinds of op (ANNOUNCED_CHOICE, ANNOUNCED_ENABLED_ON) some thread has announced since the
   * runner began, as bits: a strategy that acts on the first of a kind reads one number per step
   * instead of a field of every op (a megamorphic load each).
   */
  readonly announced: number;
}

/** ChoicePoint.announced: some thread has announced a choose(n) (Op.choices). */
export const ANNOUNCED_CHOICE = 1;
/** ChoicePoint.announced: some thread has announced an op with Op.enabledOn. */
export const ANNOUNCED_ENABLED_ON = 2;

/** Hears every step when a trace is being recorded; exploration passes none. */
export interface StepRecorder {
  /**
   * After a step ran (or faulted). `blocked` lists the threads that could not run at this point,
   * with what they waited for; it is only computed when a recorder is present.
   */
  onStep(record: {
    step: number;
    thread: number;
    op: Op;
    result: unknown;
    blocked: readonly { thread: number; label: string; waitsFor: string | null }[];
    violations: readonly Violation[];
    world: object;
  }): void;
}

/** Which bound cut an execution or a search short, and the flag that lifts it. */
export interface LimitHit {
  /** Stable name of the limit. */
  readonly limit: 'steps-per-thread' | 'executions' | 'time' | 'preemptions';
  /** The command-line flag that raises it. */
  readonly flag: string;
  /** The value in force. */
  readonly value: number;
  /** What happened, in words. */
  readonly detail: string;
}

/** How one execution ended. */
export interface ExecutionOutcome {
  /**
   * complete: every thread returned; violated: some check fired; cut: a bound stopped it;
   * abandoned: the scheduler returned ABANDON (a redundant execution, not a result).
   */
  readonly status: 'complete' | 'violated' | 'cut' | 'abandoned';
  /** Violations in the order they fired (several invariants can fire in one execution). */
  readonly violations: readonly Violation[];
  /** Steps executed. */
  readonly steps: number;
  /** Set when status is `cut`. */
  readonly cutBy: LimitHit | null;
  /** The thread chosen at each step. Reused buffer: copy it to keep it. */
  readonly schedule: readonly number[];
  /**
   * The values of the nondeterministic choices, per thread id, in the order each thread made
   * them (`Picks`). Reused buffers: copy them (copyPicks) to keep them.
   */
  readonly picks: Picks;
}

/**
 * The values a run's choose() steps got, per thread id, each thread's in its own order. Keyed by
 * thread and not by step, so that a schedule that moves a thread's steps (minimization) keeps
 * each step's value. A schedule and its picks together are one execution.
 */
export type Picks = readonly (readonly number[])[];

/** A kept copy of a run's picks, or undefined when it made no choice (the common case). */
export function copyPicks(picks: Picks): Picks | undefined {
  let any = false;
  for (const p of picks) if (p.length > 0) any = true;
  return any ? picks.map((p) => p.slice()) : undefined;
}

export interface RuntimeLimits {
  /** A thread that takes more steps than this is assumed never to finish; the execution is cut. */
  readonly stepsPerThreadMax: number;
  /**
   * How many of a runner's first executions are audit executions (footprint and determinism,
   * docs/modeling.md); absent: none. The check use case (the CLI) asks for
   * DEFAULT_AUDIT_EXECUTIONS per search and replay; `--audit` makes it every one.
   */
  readonly auditExecutions?: number;
}

export const DEFAULT_STEPS_PER_THREAD_MAX = 1000;

/**
 * Layout of a watch: an Int32Array (shared with another thread) in which a runner notes where it
 * is, so that the thread that owns the search can say which model thread never yields when it has
 * to stop a search that does not answer. Plain stores, a few a step; read only after the stop.
 */
export const WATCH = {
  /** What the runner is doing: one of the PHASE values. */
  phase: 0,
  /** The model thread being started or stepped. */
  thread: 1,
  /** 1-based number of the step being run (its index + 1). */
  step: 2,
  /** From here on, the thread chosen at each step of the current execution, while there is room. */
  schedule: 3,
} as const;

export const PHASE = {
  /** Between executions. */
  idle: 0,
  /** Setup, or a thread's code before its first op (`thread`). */
  begin: 1,
  /** An op's `run`, or its thread's code after it up to the next op (`thread`, `step`). */
  step: 2,
  /** The checks after a step, and the `enabled` predicates before the next choice. */
  checks: 3,
} as const;

/** Audit executions at the start of every search (and of every replay). */
export const DEFAULT_AUDIT_EXECUTIONS = 50;

interface MutableThreadContext extends ThreadContext {
  step: number;
}

interface ThreadState {
  readonly ctx: MutableThreadContext;
  readonly body: (world: object, self: ThreadContext) => Steps<void>;
  gen: Steps<void> | null;
  pending: Op | null;
  // invariant: gated is true when pending has an `enabled` predicate
  gated: boolean;
  // invariant: choosing is pending's `choices` (a nondeterministic choice among that many), 0 when none
  choosing: number;
  // invariant: checked holds the last CHECKED_OPS distinct ops this thread announced that passed
  // malformedOp (ops are mostly made once and announced again, and the check is a dozen property
  // tests per step; a thread cycles through a few: lock, read, write, unlock), checkedNext the slot
  // the next one replaces
  readonly checked: unknown[];
  checkedNext: number;
  steps: number;
}

/**
 * Runs executions of one variant: a fresh world per execution, one scheduling choice per step,
 * every check after every step. Buffers are reused across executions; nothing is allocated per
 * step by the runtime itself.
 */
export class ExecutionRunner {
  private readonly threads: ThreadState[];
  // why not readonly: an audit execution swaps in the audited invariants for its duration
  private checksAfterStep: Check[];
  private readonly plainChecks: Check[];
  private readonly checksAtThreadEnd: Check[] = [lockLeak];
  private readonly checksAtEnd: Check[];
  // invariant: fired[i] is true once checksAfterStep[i] has fired in the current execution
  private readonly fired: boolean[];
  private readonly enabled: number[] = [];
  private readonly pending: (Op | null)[] = [];
  private readonly schedule: number[] = [];
  // invariant: during run, alive lists the threads that have not returned, ascending, and
  // pending[i] is thread i's announced op
  private readonly alive: number[] = [];
  // invariant: during run, runnableAt[i] === pointStamp exactly when thread i is in `enabled`
  private runnableAt = new Int32Array(0);
  private pointStamp = 0;
  private readonly point: { enabled: readonly number[]; pending: readonly (Op | null)[]; contexts: readonly ThreadContext[]; previous: number; step: number; announced: number } = {
    enabled: this.enabled,
    pending: this.pending,
    contexts: [],
    previous: -1,
    step: 0,
    announced: 0,
  };
  private violations: Violation[] = [];
  // invariant: during run, picks[t] lists thread t's chosen values so far, in order
  private readonly picks: number[][];

  constructor(
    readonly scenario: Scenario,
    readonly variant: Variant<object>,
    readonly params: Params,
    readonly limits: RuntimeLimits = { stepsPerThreadMax: DEFAULT_STEPS_PER_THREAD_MAX },
    /** Where to note progress for a watchdog (WATCH); null: nowhere, as in every test and replay. */
    private readonly watch: Int32Array | null = null,
  ) {
    if (variant.threads === null || typeof variant.threads !== 'object' || Object.keys(variant.threads).length === 0) {
      throw new UsageError(`${scenario.id}: the variant has no threads (declare at least one under threads: { name: function* (w) { … } })`);
    }
    checkVariantShape(scenario, variant);
    this.threads = Object.entries(variant.threads).map(([name, body], id) => ({
      ctx: this.newContext(id, name),
      body,
      gen: null,
      pending: null,
      gated: false,
      choosing: 0,
      checked: new Array<unknown>(CHECKED_OPS).fill(NOT_YIELDED),
      checkedNext: 0,
      steps: 0,
    }));
    this.picks = this.threads.map(() => []);
    this.point.contexts = this.threads.map((t) => t.ctx);
    this.plainChecks = (variant.invariants ?? []).map(invariantCheck);
    this.checksAfterStep = this.plainChecks;
    this.checksAtEnd = (variant.finalState ?? []).map(invariantCheck);
    this.fired = this.checksAfterStep.map(() => false);
    this.auditsLeft = limits.auditExecutions ?? 0;
  }

  // invariant: auditsLeft executions of this runner are still to be audited
  private auditsLeft: number;
  private footprint: FootprintAudit | null = null;
  /** Set for the first run of an audit execution: the world is instrumented after setup. */
  private auditing: FootprintAudit | null = null;
  /** What the first run's setup built, for the re-run to compare; null outside audit executions. */
  private setupShape: ReturnType<typeof worldShape> | null = null;
  private rerun = false;

  private readonly ghost = new Map<string, unknown>();

  private newContext(id: number, name: string): MutableThreadContext {
    const ctx: MutableThreadContext = {
      id,
      name,
      letter: letterOf(id),
      held: [],
      step: 0,
      ghost: this.ghost,
      warn: (check, message, state) => {
        this.record({ check, message, ...(state === undefined ? {} : { state }), step: ctx.step, thread: id, fatal: false });
      },
    };
    return ctx;
  }

  /** Number of threads, fixed for the variant. */
  get threadCount(): number {
    return this.threads.length;
  }

  /** Thread names and letters in id order. */
  threadNames(): { name: string; letter: string }[] {
    return this.threads.map((t) => ({ name: t.ctx.name, letter: t.ctx.letter }));
  }

  /** Runs one execution to its end under `scheduler`. */
  run(scheduler: Scheduler, recorder?: StepRecorder): ExecutionOutcome {
    if (this.auditsLeft > 0) {
      this.auditsLeft--;
      return this.runAudited(scheduler, recorder);
    }
    return this.loop(scheduler, recorder);
  }

  /**
   * An audit execution: the first run on an instrumented world (every access attributed and
   * checked against the declarations), then a re-run of the same schedule on a fresh world,
   * compared with the first step by step. A breach is a ScenarioError (a model error, exit 2).
   */
  private runAudited(scheduler: Scheduler, recorder?: StepRecorder): ExecutionOutcome {
    const names = this.threads.map((t) => t.ctx.name);
    const fp = (this.footprint ??= new FootprintAudit(this.threadLocalObjects(), this.threads.length));
    const log = new StepLog(names, recorder);
    let first: ExecutionOutcome;
    this.auditing = fp;
    this.checksAfterStep = (this.variant.invariants ?? []).map((inv) => invariantCheck(fp.wrapInvariant(inv)));
    try {
      first = this.loop(scheduler, log);
    } catch (e) {
      const breach = fp.finish();
      if (breach !== null) throw new ScenarioError(breach);
      throw e;
    } finally {
      this.auditing = null;
      this.checksAfterStep = this.plainChecks;
    }
    const breach = fp.finish();
    if (breach !== null) throw new ScenarioError(breach);
    // why a copy: the re-run reuses the schedule buffer
    const kept: ExecutionOutcome = { ...first, schedule: first.schedule.slice(), picks: first.picks.map((p) => p.slice()) };
    this.rerun = true;
    let second: ExecutionOutcome;
    try {
      second = this.loop(new ScheduleReplay(kept.schedule, kept.status === 'abandoned' ? kept.steps : -1, ABANDON, names, kept.picks), new StepComparison(names, log.lines));
    } finally {
      this.rerun = false;
      this.setupShape = null;
    }
    const ends = compareEnds(kept, second);
    if (ends !== null) throw new ScenarioError(ends);
    return kept;
  }

  /** What belongs to the threads and not to the world: never instrumented. */
  private threadLocalObjects(): Set<object> {
    const local = new Set<object>([this.ghost]);
    for (const t of this.threads) (local.add(t.ctx), local.add(t.ctx.held));
    return local;
  }

  private loop(scheduler: Scheduler, recorder?: StepRecorder): ExecutionOutcome {
    const world = this.begin();
    const threads = this.threads;
    const enabled = this.enabled;
    const pending = this.pending;
    const point = this.point;
    const alive = this.alive;
    truncate(pending, 0);
    truncate(alive, 0);
    for (let i = 0; i < threads.length; i++) {
      pending.push(threads[i]!.pending);
      if (threads[i]!.pending !== null) alive.push(i);
    }
    if (this.runnableAt.length !== threads.length) this.runnableAt = new Int32Array(threads.length);
    let previous = -1;
    let step = 0;
    const runnableAt = this.runnableAt;
    const watch = this.watch;
    const watchRoom = watch === null ? 0 : watch.length - WATCH.schedule;
    for (;;) {
      // why a stamp: marking the enabled threads costs one store each, and nothing to clear
      if (this.pointStamp === 0x7fffffff) {
        runnableAt.fill(0);
        this.pointStamp = 0;
      }
      const stamp = ++this.pointStamp;
      let count = 0;
      for (let k = 0; k < alive.length; k++) {
        const i = alive[k]!;
        const t = threads[i]!;
        // why: read from the thread, not the op: op classes are many, so `op.enabled` is a
        // megamorphic load for every thread at every step
        if (!t.gated || t.pending!.enabled!(t.ctx)) {
          enabled[count++] = i;
          runnableAt[i] = stamp;
        }
      }
      // why: not `length = count` (see truncate), and not through truncate: this one stays monomorphic
      while (enabled.length > count) enabled.pop();
      if (this.auditing !== null) this.auditEnabledAt(alive, stamp, step);
      point.previous = previous;
      point.step = step;
      if (enabled.length === 0) {
        if (alive.length > 0) {
          scheduler.deadlocked?.(point);
          this.deadlock(step);
        } else if (this.checksAtEnd.length > 0) this.checkFinalState(world, step);
        return this.finish(step, null);
      }
      const choice = scheduler.choose(point);
      if (choice === ABANDON) return this.finish(step, null, true);
      const t = threads[choice];
      if (t === undefined || runnableAt[choice] !== stamp) {
        throw new InternalError(`scheduler chose thread ${choice}, not among enabled [${enabled.join(',')}]`);
      }
      const blocked = recorder ? this.blockedThreads() : NO_BLOCKED;
      const firedBefore = this.violations.length;
      // why: overwritten in place across executions (finish cuts off the rest), so no clearing
      this.schedule[step] = choice;
      step++;
      t.ctx.step = step;
      const op = t.pending!;
      if (watch !== null) {
        if (step <= watchRoom) watch[WATCH.schedule + step - 1] = choice;
        watch[WATCH.thread] = choice;
        watch[WATCH.step] = step;
        watch[WATCH.phase] = PHASE.step;
      }
      const before = this.auditing !== null && t.choosing === 0 ? conditionBefore(op, t.ctx) : null;
      const ran = this.runStep(t, op, step, scheduler);
      if (before !== null && ran === RAN) checkConditionAfterRun(op, t.ctx, step, before);
      if (ran === PICK_ABANDONED) return this.finish(step - 1, null, true);
      // why before the thread resumes: a scheduler that decides there on a waiting op's condition
      // (dfs, on Op.enabledAt or enabledOn) must see the locals it closes over as they were when
      // the op was announced, not as the thread's code after it sets them
      scheduler.observe?.(step - 1, choice, op);
      const running = ran === RAN && this.advance(t, this.lastResult, step);
      if (watch !== null) watch[WATCH.phase] = PHASE.checks;
      pending[choice] = t.pending;
      if (t.pending === null) removeFrom(alive, choice);
      if (running) {
        t.steps++;
        this.checkAfterStep(world, step, choice);
      }
      if (recorder) {
        recorder.onStep({
          step,
          thread: choice,
          op,
          result: this.lastResult,
          blocked: blocked.map((b) => ({ thread: b.thread.id, label: b.label, waitsFor: b.waitsFor })),
          violations: this.violations.slice(firedBefore),
          world,
        });
      }
      if (!running) return this.finish(step, null);
      if (t.steps > this.limits.stepsPerThreadMax && t.pending !== null) {
        return this.finish(step, {
          limit: 'steps-per-thread',
          flag: '--max-steps',
          value: this.limits.stepsPerThreadMax,
          detail: `${t.ctx.letter} (${t.ctx.name}) took more than ${this.limits.stepsPerThreadMax} steps without finishing`,
        });
      }
      previous = choice;
    }
  }

  private lastResult: unknown = undefined;

  /** Fresh world and generators; every thread runs up to its first announced op. */
  private begin(): object {
    this.violations = [];
    this.ghost.clear();
    this.fired.fill(false);
    let world: object;
    const watch = this.watch;
    if (watch !== null) {
      watch[WATCH.thread] = -1;
      watch[WATCH.phase] = PHASE.begin;
    }
    try {
      world = this.scenario.setup(this.params);
    } catch (e) {
      throw new ScenarioError(`${this.scenario.id}: setup() threw: ${messageOf(e)}`);
    }
    if (this.auditing !== null) {
      this.setupShape = worldShape(world);
      this.auditing.begin(world);
    } else if (this.rerun && this.setupShape !== null) {
      const differs = compareSetups(this.scenario.id, this.setupShape, worldShape(world));
      if (differs !== null) throw new ScenarioError(differs);
    }
    for (const p of this.picks) if (p.length > 0) truncate(p, 0);
    for (const t of this.threads) {
      if (t.ctx.held.length > 0) truncate(t.ctx.held, 0);
      t.ctx.step = 0;
      t.steps = 0;
      t.pending = null;
      t.gen = t.body(world, t.ctx);
      if (watch !== null) watch[WATCH.thread] = t.ctx.id;

      if (this.auditing !== null) t.gen = this.auditing.wrapThread(t.gen, t.ctx);
      this.advance(t, undefined, 0);
    }
    if (!this.initialChecked) this.checkInitial(world);
    return world;
  }

  private initialChecked = false;

  /**
   * Invariants on the world before any step, once (setup is deterministic). Why an error and not a
   * violation: partial-order reduction sees the state before the first step only in the schedules
   * whose first step changes nothing the invariant reads, so a violation there would be found or
   * not depending on the order explored; and an invariant already false before anything ran states
   * nothing about the race.
   */
  private checkInitial(world: object): void {
    this.initialChecked = true;
    for (const c of this.checksAfterStep) {
      let msg: string | null;
      try {
        msg = c.afterStep!(world);
      } catch (e) {
        throw new ScenarioError(`invariant ${c.id} threw on the world setup() built, before any step: ${messageOf(e)}`);
      }
      if (msg !== null) {
        throw new ScenarioError(`invariant ${c.id} is already false on the world setup() built, before any step (${msg}): it must hold in the initial state too`);
      }
    }
  }

  /** Runs the op's effect and the thread's code up to its next op. False when the execution must stop. */
  /** Runs op (or takes thread t's choice) for the step; the thread resumes after, in advance. */
  private runStep(t: ThreadState, op: Op, step: number, scheduler: Scheduler): number {
    if (t.choosing > 0) {
      const value = this.pick(t, step, scheduler);
      if (value === ABANDON) return PICK_ABANDONED;
      this.lastResult = value;
      return RAN;
    }
    try {
      this.lastResult = op.run(t.ctx);
    } catch (e) {
      this.lastResult = undefined;
      if (e instanceof KernelFault) {
        this.record({ check: e.check, message: `${op.label}: ${e.message}`, ...stateOf(e), step, thread: t.ctx.id, fatal: true });
        return FAULTED;
      }
      if (isAssertionError(e)) {
        this.record({ check: 'assertion', message: `${op.label}: ${oneLine(e.message)}`, step, thread: t.ctx.id, fatal: true });
        return FAULTED;
      }
      throw new ScenarioError(`${t.ctx.letter} (${t.ctx.name}) step ${step} ${op.label} threw: ${messageOf(e)}`);
    }
    return RAN;
  }

  /** The scheduler's value for thread t's choice at this step, checked, and noted in picks. */
  private pick(t: ThreadState, step: number, scheduler: Scheduler): number {
    const n = t.choosing;
    const mine = this.picks[t.ctx.id]!;
    if (scheduler.pick === undefined) throw new InternalError(`${t.ctx.letter} (${t.ctx.name}) chooses at step ${step}, and this scheduler cannot pick a value`);
    const value = scheduler.pick(step - 1, t.ctx.id, n, mine.length);
    if (value === ABANDON) return ABANDON;
    if (!Number.isInteger(value) || value < 0 || value >= n) throw new InternalError(`scheduler picked ${value} for a choice among ${n} at step ${step}`);
    mine.push(value);
    return value;
  }

  private advance(t: ThreadState, result: unknown, step: number): boolean {
    let r: IteratorResult<Op, void>;
    try {
      r = t.gen!.next(result);
    } catch (e) {
      if (e instanceof KernelFault) {
        this.record({ check: e.check, message: e.message, ...stateOf(e), step, thread: t.ctx.id, fatal: true });
        t.pending = null;
        return false;
      }
      if (isAssertionError(e)) {
        this.record({ check: 'assertion', message: `after step ${step}: ${oneLine(e.message)}`, step, thread: t.ctx.id, fatal: true });
        t.pending = null;
        return false;
      }
      throw new ScenarioError(`${t.ctx.letter} (${t.ctx.name}) threw after step ${step}: ${messageOf(e)}`);
    }
    if (r.done) {
      t.pending = null;
      for (const c of this.checksAtThreadEnd) {
        const msg = c.atThreadEnd!(t.ctx);
        if (msg !== null) this.record({ check: c.id, message: msg, step, thread: t.ctx.id, fatal: false });
      }
      for (const c of armedThreadEndChecks(this.ghost)) {
        const msg = c.atThreadEnd!(t.ctx);
        if (msg !== null) this.record({ check: c.id, message: msg, step, thread: t.ctx.id, fatal: false });
      }
      return true;
    }
    const op = r.value;
    const checked = t.checked;
    if (op !== checked[0] && op !== checked[1] && op !== checked[2] && op !== checked[3]) {
      // why the kinds only off the fast path: a plain op has no choices and no enabledOn
      if (!plainOp(op)) {
        const wrong = malformedOp(op, step);
        if (wrong !== null) throw new ScenarioError(`${t.ctx.letter} (${t.ctx.name}) ${wrong}`);
        if ((op as Op).choices !== undefined) this.point.announced |= ANNOUNCED_CHOICE;
        if ((op as Op).enabledOn !== undefined) this.point.announced |= ANNOUNCED_ENABLED_ON;
      }
      checked[t.checkedNext] = op;
      t.checkedNext = (t.checkedNext + 1) & (CHECKED_OPS - 1);
    }
    t.pending = op as Op;
    t.gated = (op as Op).enabled !== undefined;
    t.choosing = (op as Op).choices ?? 0;
    return true;
  }

  private checkAfterStep(world: object, step: number, thread: number): void {
    const checks = this.checksAfterStep;
    for (let i = 0; i < checks.length; i++) {
      if (this.fired[i]) continue;
      let msg: string | null;
      try {
        msg = checks[i]!.afterStep!(world);
      } catch (e) {
        // why: an invariant written with assert()/expect() fails by throwing; that is it firing
        if (!isAssertionError(e)) throw new ScenarioError(`invariant ${checks[i]!.id} threw after step ${step}: ${messageOf(e)}`);
        msg = oneLine(e.message);
      }
      if (msg !== null) {
        this.fired[i] = true;
        this.record({ check: checks[i]!.id, message: msg, step, thread, fatal: false });
      }
    }
  }

  /** Final-state invariants, once every thread has returned; a violation names no thread. */
  private checkFinalState(world: object, step: number): void {
    for (const c of this.checksAtEnd) {
      let msg: string | null;
      try {
        msg = c.afterStep!(world);
      } catch (e) {
        if (!isAssertionError(e)) throw new ScenarioError(`final-state invariant ${c.id} threw: ${messageOf(e)}`);
        msg = oneLine(e.message);
      }
      if (msg !== null) this.record({ check: c.id, message: `final state: ${msg}`, step, thread: -1, fatal: false });
    }
  }

  /**
   * In an audit execution, at every point: each pending op that declares enabledAt agrees with its
   * enabled on its object's stateKey(); the reduction decides reorderings by enabledAt alone.
   */
  private auditEnabledAt(alive: readonly number[], stamp: number, step: number): void {
    for (let k = 0; k < alive.length; k++) {
      const t = this.threads[alive[k]!]!;
      const op = t.pending!;
      if (!t.gated) continue;
      if (op.enabledAt === undefined) {
        if (op.enabledOn !== undefined && op.object.stateKey === undefined) this.auditEnabledOn(t, op, this.runnableAt[alive[k]!] === stamp, step);
        continue;
      }
      const o = op.object;
      const key = o.stateKey!();
      if (o.threadKey !== undefined) {
        let least = Number.POSITIVE_INFINITY;
        for (let u = 0; u < this.threads.length; u++) least = Math.min(least, o.threadKey(u));
        if (least !== key) {
          throw new ScenarioError(`${o.name}: stateKey() gives ${key} after step ${step} but the least of its threadKey() parts is ${least}; stateKey must be that least part`);
        }
      }
      const said = op.enabledAt(key, t.ctx);
      const is = this.runnableAt[alive[k]!] === stamp;
      if (said !== is) {
        throw new ScenarioError(
          `${t.ctx.letter} (${t.ctx.name}) waits at ${op.label} after step ${step}: its enabledAt(${key}) gives ${said} and its enabled ${is}; ` +
            `enabledAt must restate enabled on ${op.object.name}'s stateKey() (a stateKey that leaves out something enabled reads?)`,
        );
      }
    }
  }

  /** auditEnabledAt for an op that restates its enabled on copies of its objects' data (Op.enabledOn). */
  private auditEnabledOn(t: { readonly ctx: ThreadContext }, op: Op, is: boolean, step: number): void {
    // why nothing for an object that is not plain data: the reduction keeps no copy of it either
    const copies = copiesOfCondition(op);
    if (copies === null) return;
    const named = conditionObjects(op).map((o) => o.name);
    const said = enabledOnCopy(op, copies[0]!, copies.slice(1), `${t.ctx.letter} (${t.ctx.name}) waits at ${op.label} after step ${step}`);
    if (said !== is) {
      const data = named.length === 1 ? `${named[0]}'s data` : `the data of ${named.join(', ')}`;
      throw new ScenarioError(
        `${t.ctx.letter} (${t.ctx.name}) waits at ${op.label} after step ${step}: its enabledOn gives ${said} on a copy of ${data} and its enabled ${is}; ` +
          `enabledOn must restate enabled on the objects' data alone (does enabled read the thread or an object it does not name?)`,
      );
    }
  }

  private blockedThreads(): BlockedThread[] {
    const out: BlockedThread[] = [];
    for (const t of this.threads) {
      const op = t.pending;
      if (op === null || op.enabled === undefined || op.enabled(t.ctx)) continue;
      out.push({ thread: t.ctx, label: op.label, waitsFor: op.waitsFor ? op.waitsFor(t.ctx) : null });
    }
    return out;
  }

  private deadlock(step: number): void {
    this.record({ check: 'deadlock', message: describeDeadlock(this.blockedThreads()), step, thread: -1, fatal: true });
  }

  private record(v: Violation): void {
    this.violations.push(v);
  }

  private finish(steps: number, cutBy: LimitHit | null, abandoned = false): ExecutionOutcome {
    if (this.watch !== null) this.watch[WATCH.phase] = PHASE.idle;
    truncate(this.schedule, steps);
    const violations = this.violations;
    const status = abandoned ? 'abandoned' : violations.length > 0 ? 'violated' : cutBy ? 'cut' : 'complete';
    return { status, violations, steps, cutBy, schedule: this.schedule, picks: this.picks };
  }
}

const NO_BLOCKED: readonly BlockedThread[] = [];

/** How many validated ops each thread remembers (ThreadState.checked); the test unrolls 4. */
const CHECKED_OPS = 4;
/** What fills ThreadState.checked before any op: nothing a thread can yield (null and undefined it can). */
const NOT_YIELDED: unknown = Symbol('not yielded');

/** runStep's answers: the op ran (or the choice was taken); it faulted; the scheduler abandoned the run at a choice, before the step ran. */
const RAN = 0;
const FAULTED = 1;
const PICK_ABANDONED = 2;

function stateOf(e: KernelFault): { state?: string } {
  return e.state === undefined ? {} : { state: e.state };
}

/**
 * node:assert, chai (and so vitest's expect) and most assertion libraries throw an Error named
 * AssertionError; weft does not depend on any of them, so it goes by the name.
 */
function isAssertionError(e: unknown): e is Error {
  return e instanceof Error && e.name === 'AssertionError';
}

/** node:assert's messages span lines (`Expected values…:\n\n1 !== 0`); a violation is one line. */
function oneLine(message: string): string {
  return message.replace(/\s+/g, ' ').trim();
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Shortens an array to n elements. Why not `length = n`: that is a runtime call in V8, and at 0 it
 * also drops the backing store, so the next pushes allocate again; `pop` is inline and keeps it.
 */
function truncate(a: unknown[], n: number): void {
  while (a.length > n) a.pop();
}

/** Removes one value from an ascending list of distinct ones, in place. */
function removeFrom(list: number[], value: number): void {
  const at = list.indexOf(value);
  if (at < 0) return;
  for (let k = at; k + 1 < list.length; k++) list[k] = list[k + 1]!;
  list.pop();
}

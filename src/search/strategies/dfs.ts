import { ScenarioError } from '../../runtime/errors';
import { ABANDON, ANNOUNCED_CHOICE, ANNOUNCED_ENABLED_ON, type ChoicePoint, type ExecutionOutcome, type LimitHit } from '../../runtime/execution';
import type { HeldResource, Op, SharedObject, ThreadContext, Waiter } from '../../runtime/op';
import { commuteGroup, EXCLUSIVE, type Observed } from '../dpor/dependency';
import { type KeyedGate, NO, PRESUMED, reversalPoints, truncate, UNKNOWN, YES } from '../dpor/blocking';
import { type CopiesGate, reversalPointsOver } from '../dpor/blocking-several';
import type { EventLog } from '../dpor/event-log';
import { giveBack, takeLog, takeSequence, takeTree } from '../dpor/dfs-tables';
import { NotdepView } from '../dpor/notdep';
import { enabledOnCopy, StateCopies } from '../../runtime/state-copies';
import { enabledOnLiveCopies } from '../../runtime/enabled-on-copies';
import { atLeast, EMPTY_BYTES, EMPTY_INTS } from '../dpor/typed-array';
import type { ExecutionCount, SearchSetup, Strategy, StrategyDescriptor } from '../strategy';
import { NONE, type Sequence } from '../dpor/wakeup-tree';
import { choiceInPrefix } from '../forced-prefix';

/**
 * Optimal dynamic partial-order reduction: source sets, sleep sets and wakeup trees (Abdulla,
 * Aronis, Jonsson, Sagonas, "Source Sets: A Foundation for Optimal Dynamic Partial Order
 * Reduction", JACM 2017, Algorithm 2 "Optimal-DPOR"), by re-execution. It runs one execution per
 * Mazurkiewicz trace of the dependency relation of `dependency.ts`, which reads only each op's
 * declared objects and access kinds.
 *
 * Departures from the paper, and why:
 * - Races are found once, as each event is first added (its direct conflicting predecessors, from
 *   vector clocks), and their reversal points are kept with the event while it stays on the path.
 *   The wakeup sequences are built when each execution ends, for every race of the execution,
 *   replayed events included, with v = notdep(e, E).e' over the whole execution as in the paper:
 *   the events after e' that do not happen after e steer v into the branch that owns its class.
 *   (Taking notdep only over the events before e', once per race, loses classes: a lock program of
 *   four threads in test/src/explore/dfs-regressions.test.ts.)
 * - Blocking (blocking.ts). A disabled thread is not a choice. An op's `enabled` reads only its
 *   own object and thread, so when e' races with e but could not run before e (e released the
 *   lock e' waits for), the reversal point walks back over the earlier conflicting accesses to
 *   e''s object to the latest one before which e' can run (the acquisition that the release
 *   ended): lock acquisitions race with each other, as in Concuerror and Nidhugg. Whether e' can
 *   run at a point is known from the enabled sets where its thread already waited there, or, for
 *   an op that declares `enabledAt`, from its object's `stateKey` recorded before each step that
 *   changed it (as Nidhugg evaluates await conditions on recorded values), and for a wait on plain
 *   data without a `stateKey`, from a copy of that data recorded before each step (its `enabledOn`
 *   on the copy, or its own `enabled` with the copy put in place: enabled-on-copies.ts). Copying
 *   begins at the first announced op with `enabledOn`, or at the first reordering of a wait that
 *   restates nothing left undecided without copies, and that execution is run again. Where none
 *   tells, a sequence is tried, and a branch that proves not runnable is dropped when reached (the
 *   execution then goes on with a fresh choice).
 * - An execution ends with every thread returned, or with threads still pending: deadlocked
 *   (blocked), halted by a fatal fault, or cut by a bound. Each pending op then races like a next
 *   event, so a reordering that would have let it run (or run first) is still explored.
 * - Invariants are observers that read the world after every step: each invariant that declares
 *   what it reads (`observes`) has a virtual observer object, which every step that changes one of
 *   those objects also writes, so the states it sees are ordered like the steps that make them;
 *   an invariant that declares nothing makes one observer of the whole world, written by every
 *   step that is not a `read` (docs/modeling.md). Steps that change nothing an invariant reads
 *   still commute.
 * - Subtrees (`DfsOptions`): a prefix is replayed as given and races reversing into it are
 *   ignored; the `sleeping` threads are sleep-set entries at the end of the prefix.
 * - Abandoned executions (all runnable threads asleep) still race their pending ops, blocked
 *   threads included: a subtree explored apart has no sibling to insert those reversals.
 *
 * - Fresh choices (where the wakeup tree says nothing) go, once some thread has announced a
 *   choose(n), to a thread about to choose (it commutes with everything: bench section 7's choose
 *   rows went from 21,230 sleep-set blocked executions to 9,499), then to a thread whose step can
 *   block and can run now (the last one first), then to the thread that ran last. Why: a race with a step that
 *   can block is reversed only where the log says that step can run (blocking.ts), and the log
 *   knows that only for points at which its thread was already waiting at it. A waiter that goes
 *   as soon as it can reaches its next blocking step before the other threads change that step's
 *   object, so the reversals later find recorded what they need. Any order is as sound
 *   (Algorithm 2 picks any thread not asleep); this one makes fewer reversals that prove not
 *   runnable, each of which can cost an abandoned execution. (Also running next a thread whose
 *   step touches the object of the last step made fewer still on lock programs, 111 to 37 of
 *   117,950, but alternates threads on every shared object, which moved the first violation of
 *   most buggy variants and of the tests built on dfs's first schedules.)
 *
 * Counting: every execution that runs to its end is a distinct trace. An execution all of whose
 * runnable threads are asleep is abandoned (ABANDON) and counted apart; optimal DPOR has none on
 * programs without blocking, and tests pin that for the benchmark programs. With blocking, an
 * execution is abandoned only after a wakeup-tree branch proved not runnable: `abandonedBy()`
 * counts them by what inserted that branch (AbandonCause).
 */
export interface DfsOptions {
  /**
   * A schedule prefix replayed as-is: the search covers the executions that start with it. No race
   * reversal lands inside it (races whose reversal point is within the prefix are ignored).
   */
  readonly prefix?: readonly number[];
  /**
   * Threads in the sleep set at the end of the prefix: each sleeps with its announced op at that
   * point until a dependent step runs, and no fresh choice runs it before then.
   *
   * Guarantee (for splitting a search): the search of `{ prefix: P, sleeping: S }` counts each
   * Mazurkiewicz class that extends P and in which no thread of S can run first after P, once. So
   * for a thread t runnable after P and not in S, the searches of `{ P.t, the threads of S whose
   * next op at P is independent of t's }` and `{ P, S + t }` together count exactly the classes of
   * `{ P, S }`, each once: those in which t can run first, and the others (sleep-splits.ts splits
   * this way).
   * "Independent" must be the relation dfs uses: `dependent(a, b, observed)` of dependency.ts,
   * with the `observed` dfs was prepared with (pruning with a weaker relation loses classes).
   *
   * Why a given sleeper is weaker than a sibling explored in the same search: there, a sleeping
   * sibling cuts every wakeup sequence it is a weak initial of, because the sequences its own
   * subtree inserted at the root carry the classes it cannot cover. A partition alone never sees
   * those, so a given sleeper cuts only the sequences in which it runs with no dependent step
   * before it (classes of an earlier partition). An execution in which a sleeper could still have
   * run first is run to its end, for its races, and counted apart (`endExecution` says `redundant`);
   * test/src/explore/partition-differential.test.ts checks the guarantee on random programs.
   */
  readonly sleeping?: readonly number[];
}

/**
 * Why an execution was abandoned (all runnable threads asleep) or redundant, for `abandonedBy()`.
 * All but the last two name what inserted the wakeup-tree branch that proved not runnable on the
 * way (the last such branch of the execution):
 * - `unobserved-runnability`: a race with a step that can block and ran, reversed at a point where
 *   the log had not recorded whether that step could run (its thread was not yet waiting at it);
 * - `pending-deadlocked`: the same for a step still blocked when its execution deadlocked;
 * - `pending-stopped`: the same for a step pending when its execution stopped early (a fault, a
 *   bound, or abandoned itself);
 * - `presumed-acquisition`: a point presumed runnable because another acquisition of the same
 *   kind got through there (blocking.ts);
 * - `known-runnable`: a step the log said could run there (a model whose `enabled` reads more
 *   than its own object and thread);
 * - `sleep-set`: no branch proved not runnable: sleep-set blocking proper;
 * - `partition-sleeper`: a subtree's execution in which a given sleeper could have run first
 *   (DfsOptions.sleeping), run to its end and counted by another partition;
 * - `run-again-for-copies`: the execution in which copying began after its first step, run again
 *   along the same path so that its reversals on copies are decided (at most one a search).
 */
export const ABANDON_CAUSES = [
  'unobserved-runnability',
  'pending-deadlocked',
  'pending-stopped',
  'presumed-acquisition',
  'known-runnable',
  'sleep-set',
  'partition-sleeper',
  'run-again-for-copies',
] as const;
export type AbandonCause = (typeof ABANDON_CAUSES)[number];

// the origin of a wakeup-tree node (WakeupTree.originOf), an index into ABANDON_CAUSES plus one;
// 0 for a node of a fresh choice or of the prefix
const ORIGIN_UNOBSERVED = 1;
const ORIGIN_DEADLOCKED = 2;
const ORIGIN_STOPPED = 3;
const ORIGIN_PRESUMED = 4;
const ORIGIN_KNOWN = 5;
const CAUSE_SLEEP_SET = 5;
const CAUSE_PARTITION = 6;
const CAUSE_COPIES = 7;

/** Name of the virtual objects invariants read, `#k` for footprint k (nothing in a world may use it). */
const OBSERVER = '\u0000invariant-observer';
/**
 * Footprints get one bit each of an object's observer mask; any beyond the last bit share it, which
 * orders more steps than needed and loses nothing.
 */
const OBSERVER_BITS = 31;

export class DfsStrategy implements Strategy {
  readonly id = 'dfs';
  private readonly prefix: readonly number[];
  private readonly sleeping: readonly number[];
  private readonly tree = takeTree();
  // invariant: path[0] is the root; path[k + 1] is the node of event k of the current execution
  private readonly path: number[] = [this.tree.root];
  private pathLength = 1;
  /** Events of the next execution that replay the current path (their clocks are kept). */
  private replayTo = 0;
  // invariant: sleep[k][0..sleepCount[k]) are the inherited sleep entries at depth k (the sleep
  // list of path[k] has the rest)
  private readonly sleep: number[][] = [[]];
  private sleepCount: Int32Array = new Int32Array(16);
  // invariant: once the prefix was first reached, sleepers are the `sleeping` threads not yet
  // returned there, and prefixCounts[t] is how many steps thread t took in the prefix
  private sleepersRecorded = false;
  private readonly sleepers: number[] = [];
  private prefixCounts = EMPTY_INTS;
  private log: EventLog | null = null;
  private observed: Observed = false;
  // invariant: observerIds[k] is the object id of the observer of footprint bit k
  private observerIds = EMPTY_INTS;
  // invariant: bit k of observedMask[o] is set when footprint k contains object o (ids past the end
  // are objects no footprint names); with a whole-world observer, every object has bit 0
  private observedMask = EMPTY_INTS;
  private wholeWorld = false;
  private started = false;
  /** Set once the search is over and its tables went back to dfs-tables.ts. */
  private finished = false;
  private asleep = EMPTY_BYTES;
  private readonly v = takeSequence();
  private readonly notdep = new NotdepView();
  /** Reversal points of one race with a step that can block, reused. */
  private readonly points: number[] = [];
  // invariant: the reversal points of the races of event i of the current execution are
  // reversalAt[reversalEnd[i - 1] .. reversalEnd[i]) (from 0 for i = 0); those of replayed events
  // are kept from the execution that ran them first
  private readonly reversalAt: number[] = [];
  /** reversalOrigin[k] is the origin (ORIGIN_*) of the branch reversalAt[k] would insert. */
  private readonly reversalOrigin: number[] = [];
  private reversalEnd: Int32Array = new Int32Array(16);
  // invariant: bit k of gates[i] is set when event i's `enabled` reads the object of its access k
  // (bit 0, its own object, always); kept for pending ops at the execution's end too
  private gates: Int32Array = new Int32Array(16);
  // invariant: for event i of the current execution that is a choose(n), choiceCount[i] = n and
  // choiceValue[i] is the value it got; choiceCount[i] = 0 for other events
  private choiceCount: Int32Array = new Int32Array(16);
  private choiceValue: Int32Array = new Int32Array(16);
  /** Whether this search has met a choose(n), announced or picked (freshChoice then runs one first). */
  private chose = false;
  private reversals = 0;
  /** The runtime's pending-op array of the last choice point, read when the execution ends. */
  private pending: readonly (Op | null)[] = [];
  private contexts: readonly ThreadContext[] = [];
  // invariant: for event i of the current execution (or the pending op recorded at the end),
  // keyedOps[i] is its op when that op can block and declares enabledAt, or its object has no
  // stateKey (enabledOn, or its own enabled asked on copies), else null; then waiterHeld[i] is what
  // its thread held while the op was pending (refilled in place, so no allocation per step), noted
  // for an op that restates nothing only while copying (no copy before: nothing to ask it on)
  private readonly keyedOps: (Op | null)[] = [];
  private readonly waiterHeld: HeldResource[][] = [];
  private readonly gate = new OpGate();
  /** Interned copies of objects' data (Op.enabledOn), for the whole search. */
  private readonly copies = new StateCopies();
  /**
   * Whether some thread has announced an op with enabledOn in this search; from then on every
   * step's object without a stateKey is copied. Why every object and not only those such ops
   * wait on: a wait announced for the first time late in an execution races with steps noted
   * before it, whose copies must already be there.
   */
  private copying = false;
  /** Whether copying began after the first step of the current execution (beginCopying). */
  private copiesBeganLate = false;
  /** Whether a reversal of this execution was left undecided on copies (reverse). */
  private undecidedOnCopies = false;
  /**
   * Steps of the execution being run again to record copies (endExecution, "why run again"):
   * their choose(n) values are kept as they were; 0 when no execution is run again.
   */
  private rerunTo = 0;
  private rerunPending = false;
  // invariant: copyKeys[i] is the key of a copy of event i's object before it ran, or NaN (not
  // plain data, a stateKey of its own, or noted before copying began and not replayed since);
  // entries never written are NaN
  private copyKeys = new Float64Array(0);
  /** Whether the step being chosen or observed is on an object with a threadKey (noteWaiter). */
  private threadKeyed = false;
  private lastThread = -1;
  private deadlockSeen = false;
  /** Origin of the last wakeup-tree branch of this execution that proved not runnable, 0: none. */
  private droppedOrigin = 0;
  private readonly causes = new Float64Array(ABANDON_CAUSES.length);

  constructor(options: DfsOptions = {}) {
    this.prefix = options.prefix ?? [];
    this.sleeping = options.sleeping ?? [];
  }

  prepare(setup: SearchSetup): void {
    this.observed = setup.observed ?? setup.invariants > 0;
  }

  beginExecution(): boolean {
    this.lastThread = -1;
    this.deadlockSeen = false;
    this.droppedOrigin = 0;
    this.undecidedOnCopies = false;
    if (!this.started) {
      this.started = true;
      return true;
    }
    if (this.finished) return false;
    if (this.rerunPending) {
      // the same path again from the end of the prefix, whose events keep their clocks
      this.rerunPending = false;
      this.replayTo = this.prefix.length;
    } else if (!this.backtrack()) {
      this.finished = true;
      giveBack(this.log, this.tree, this.v);
      return false;
    }
    this.reversals = this.replayTo > 0 ? this.reversalEnd[this.replayTo - 1]! : 0;
    this.log?.beginExecution();
    return true;
  }

  choose(point: ChoicePoint): number {
    const i = point.step;
    if (this.choiceCount.length <= i) {
      this.choiceCount = atLeast(this.choiceCount, i + 1);
      this.choiceValue = atLeast(this.choiceValue, i + 1);
    }
    // why before the step: pick, called between choose and observe, sets it for a choice step only
    this.choiceCount[i] = 0;
    // why before the decision: freshChoice runs a thread about to choose first, from the first
    // execution on; met only at the first pick, the first executions would order choices late and
    // leave value siblings whose classes were reached already (a sleep-set block each)
    if (!this.chose && (point.announced & ANNOUNCED_CHOICE) !== 0) this.chose = true;
    const t = this.decide(point);
    if (!this.copying && (point.announced & ANNOUNCED_ENABLED_ON) !== 0) this.beginCopying(i);
    if (t !== ABANDON && i >= this.replayTo) this.noteWaiter(i, point.pending[t]!, point.contexts[t]!);
    // why a replayed step too: it was first noted before copying began, and runs from the same state
    else if (t !== ABANDON && this.copying && !(this.copyKeys[i]! >= 0)) this.noteCopy(i, point.pending[t]!);
    return t;
  }

  /**
   * What the reversals of blocking.ts read of event i before it runs: its object's state key
   * (SharedObject.stateKey) and, when its op declares enabledAt, the op and its thread's Waiter.
   */
  private noteWaiter(i: number, op: Op, ctx: ThreadContext): void {
    const o = op.object;
    // why nothing for an object without a stateKey: keyBefore is read only for steps on keyed objects
    this.threadKeyed = false;
    if (o.stateKey !== undefined) {
      this.threadKeyed = o.threadKey !== undefined;
      const key = this.threadKeyed ? checkedKey(o.threadKey!(ctx.id), o, 'threadKey', 'before', i, op) : checkedKey(o.stateKey(), o, 'stateKey', 'before', i, op);
      this.log!.setKeyBefore(i, key);
    }
    if (this.copying) this.noteCopy(i, op);
    // why only for a step that can block: keyedOps is read only for those (reverse)
    if (op.enabled === undefined) return;
    if (op.enabledAt === undefined && o.stateKey !== undefined) {
      this.keyedOps[i] = null;
      return;
    }
    this.keyedOps[i] = op;
    if (op.enabledAt === undefined && op.enabledOn === undefined && !this.copying) return;
    while (this.waiterHeld.length <= i) this.waiterHeld.push([]);
    const held = this.waiterHeld[i]!;
    truncate(held, 0);
    for (let k = 0; k < ctx.held.length; k++) held.push(ctx.held[k]!);
  }

  /** copyKeys[i] for event i (or the pending op recorded at i): see the invariant at copyKeys. */
  private noteCopy(i: number, op: Op): void {
    if (this.copyKeys.length <= i) {
      const grown = new Float64Array(Math.max(i + 1, this.copyKeys.length * 2, 64)).fill(Number.NaN);
      grown.set(this.copyKeys);
      this.copyKeys = grown;
    }
    const o = op.object;
    this.copyKeys[i] = o.stateKey === undefined ? this.copies.keyOf(o) : Number.NaN;
  }

  /**
   * Turns copying on at step i: at the first announced op with enabledOn (ChoicePoint.announced,
   * or pendingWantCopies when the execution ends), or at a reversal that needs copies (reverse).
   */
  private beginCopying(i: number): void {
    this.copying = true;
    if (i > 0) this.copiesBeganLate = true;
  }

  /** Whether an op pending when the execution ended would be asked its own enabled on copies (a wait on an object without stateKey that restates nothing). */
  private static pendingAskedOnCopies(pending: readonly (Op | null)[]): boolean {
    for (let q = 0; q < pending.length; q++) {
      const op = pending[q];
      if (op != null && op.enabled !== undefined && op.enabledAt === undefined && op.object.stateKey === undefined) return true;
    }
    return false;
  }

  /** Whether an op pending when the execution ended has enabledOn (announced after the last choice point). */
  private static pendingWantCopies(pending: readonly (Op | null)[]): boolean {
    for (let q = 0; q < pending.length; q++) if (pending[q]?.enabledOn !== undefined) return true;
    return false;
  }

  private decide(point: ChoicePoint): number {
    const i = point.step;
    this.pending = point.pending;
    this.contexts = point.contexts;
    if (this.log === null) this.init(point.pending.length);
    const enabled = point.enabled;
    const tree = this.tree;
    if (i < this.replayTo) return this.replayed(tree.threadOf(this.path[i + 1]!), enabled, i);
    this.log!.setEnabled(i, enabled);
    if (i === this.prefix.length && !this.sleepersRecorded) this.recordSleepers(i);
    const node = this.path[i]!;
    if (i < this.prefix.length) {
      const t = this.replayed(this.prefix[i]!, enabled, i);
      if (!tree.hasChildren(node)) tree.pushChild(node, tree.node(t));
      return this.enter(i, tree.firstChild(node));
    }
    // follow the wakeup tree; a branch whose thread cannot run here was an infeasible reversal
    while (tree.hasChildren(node)) {
      const c = tree.firstChild(node);
      if (this.log!.isEnabledAt(i, tree.threadOf(c))) return this.enter(i, c);
      this.droppedOrigin = tree.originOf(c);
      tree.release(tree.shiftChild(node));
    }
    const t = this.freshChoice(i, point);
    if (t === ABANDON) return ABANDON;
    const c = tree.node(t);
    tree.pushChild(node, c);
    return this.enter(i, c);
  }

  /**
   * A choose(n) step's value: the one of its node on the path. Each value is a node of its own,
   * siblings under the point where the thread chose, so the tree explores each like another
   * thread's step there (a wakeup sequence follows its own value's node, and a sleeping value does
   * not cover another); the step touches nothing shared, so it races with nothing. A choice met
   * afresh gets value 0; every value gets its sibling where the choice runs (valueSiblings).
   */
  pick(step: number, thread: number, n: number): number {
    if (step < this.prefix.length) throw choiceInPrefix(step, this.prefix.length);
    // why no room check: choose() made room for this step before it ran
    const tree = this.tree;
    const node = this.path[step + 1]!;
    let v = tree.chosenAt(node);
    if (v < 0 || v >= n) {
      if (step < this.replayTo || step < this.rerunTo) {
        throw new ScenarioError(`nondeterministic scenario: replaying step ${step + 1} found a choice among ${n}, not the ${v < 0 ? 'step without one' : `${v + 1} or more`} it had`);
      }
      v = 0;
      tree.setChosen(node, 0);
    }
    // why every value here, also for a node a wakeup sequence made with its value: the reversal
    // that put the choice at this point was found under that value, and under another the same
    // point is a class of its own that the fresh choice's siblings elsewhere need not reach
    if (step >= this.replayTo && step >= this.rerunTo) this.valueSiblings(this.path[step]!, thread, n);
    this.choiceCount[step] = n;
    this.choiceValue[step] = v;
    this.chose = true;
    return v;
  }

  /** Adds under `parent` a node of `thread` for each value 0 … n − 1 of its choice it has neither as a child nor asleep. */
  private valueSiblings(parent: number, thread: number, n: number): void {
    const tree = this.tree;
    for (let k = 0; k < n; k++) {
      let found = false;
      for (let c = tree.firstChild(parent); c !== NONE && !found; c = tree.nextSibling(c)) found = tree.threadOf(c) === thread && tree.chosenAt(c) === k;
      for (let c = tree.firstSlept(parent); c !== NONE && !found; c = tree.nextSibling(c)) found = tree.threadOf(c) === thread && tree.chosenAt(c) === k;
      if (found) continue;
      const c = tree.node(thread);
      tree.setChosen(c, k);
      tree.pushChild(parent, c);
    }
  }

  observe(step: number, thread: number, op: Op): void {
    const log = this.log!;
    this.lastThread = thread;
    if (step < this.replayTo) {
      log.commit(step);
      return;
    }
    this.recordEvent(step, thread, op);
    if (this.threadKeyed) log.setKeyAfter(step, checkedKey(op.object.threadKey!(thread), op.object, 'threadKey', 'after', step, op));
    const node = this.path[step + 1]!;
    this.tree.setAccesses(node, log.accObj, log.accGroup, log.accStart[step]!, log.accEnd[step]!);
    const races = log.computeClockAndRaces(step);
    log.commit(step);
    for (let r = 0; r < races; r++) this.reverse(log.races[r]!, step, YES);
    if (this.reversalEnd.length <= step) this.reversalEnd = atLeast(this.reversalEnd, step + 1);
    this.reversalEnd[step] = this.reversals;
    this.propagateSleep(step, node);
  }

  deadlocked(_point: ChoicePoint): void {
    this.deadlockSeen = true;
  }

  endExecution(outcome: ExecutionOutcome): ExecutionCount {
    if (this.log === null) return 'counted';
    if (!this.copying && DfsStrategy.pendingWantCopies(this.pending)) this.beginCopying(outcome.steps);
    const abandoned = outcome.status === 'abandoned';
    // why: threads still pending when the execution stopped race like next events, in an
    // abandoned execution too (a thread blocked there would otherwise never race). After a fault
    // or a cut the array is from the last choice point, stale only for the last thread.
    const fresh = abandoned || this.deadlockSeen;
    const n = outcome.steps;
    const halted = !fresh && n > this.prefix.length && this.haltedBy(outcome, this.lastThread);
    // why a dry pass while not copying: a pending wait that restates nothing may need copies (reverse),
    // and then this execution is run again before it inserts anything
    if (!this.copying && DfsStrategy.pendingAskedOnCopies(this.pending)) this.racePending(n, fresh, false, false);
    if (this.copiesBeganLate) {
      this.racePending(n, fresh, false, false);
      if (this.runAgainForCopies(n)) return 'redundant';
    }
    this.rerunTo = 0;
    // why every event, replayed ones too: the wakeup sequence of a race depends on the whole
    // execution (insertReversal), and each execution brings a new one
    for (let i = 0, k = 0; i < n; i++) {
      for (; k < this.reversalEnd[i]!; k++) this.insertReversal(this.reversalAt[k]!, i, n, this.reversalOrigin[k]!);
    }
    const redundant = !abandoned && this.sleepers.length > 0 && this.sleeperRanFirst(n);
    if (halted) this.tree.markHalts(this.path[n]!);
    this.racePending(n, fresh, halted, true);
    if (abandoned) this.causes[this.droppedOrigin === 0 ? CAUSE_SLEEP_SET : this.droppedOrigin - 1]!++;
    else if (redundant) this.causes[CAUSE_PARTITION]!++;
    return redundant ? 'redundant' : 'counted';
  }

  /**
   * The races of the ops still pending at the end of an execution of n steps, each as event n;
   * `insert`: their reversals go into the wakeup tree (otherwise they are only decided, which
   * notes any left undecided on copies).
   */
  private racePending(n: number, fresh: boolean, halted: boolean, insert: boolean): void {
    const log = this.log!;
    const pending = this.pending;
    for (let q = 0; q < pending.length; q++) {
      const op = pending[q];
      if (op === null || op === undefined) continue;
      if (q === this.lastThread && !fresh) continue;
      this.recordEvent(n, q, op);
      this.noteWaiter(n, op, this.contexts[q]!);
      const races = log.computeClockAndRaces(n);
      // a deadlocked thread cannot run where it stands; after a fault or cut it is not known,
      // unless the op restates its enabled on its object's stateKey
      const runnable = this.deadlockSeen ? NO : op.enabledAt === undefined ? UNKNOWN : op.enabledAt(op.object.stateKey!(), this.contexts[q]!) ? YES : NO;
      const mark = this.reversals;
      for (let r = 0; r < races; r++) this.reverse(log.races[r]!, n, runnable);
      if (insert) for (let k = mark; k < this.reversals; k++) this.insertReversal(this.reversalAt[k]!, n, n, this.reversalOrigin[k]!);
      this.reversals = mark;
      // why: a fault ends the execution, so the fatal step does not commute with what other threads
      // would have done after it; without this, a thread whose later steps race only with steps
      // before the fault never runs them there (the fault sleeps, the other thread runs on)
      if (insert && halted && log.isEnabledAt(n - 1, q)) this.insertReversal(n - 1, n, n, ORIGIN_KNOWN);
    }
  }

  /**
   * Why run again: copying began late in this execution, so the steps before had no copies and a
   * reversal that waits on one was left to be tried. Run again along the same path, every step
   * has its copy and each such reversal is decided; this one inserts nothing and is not counted
   * (its run again finds what it found). Once a search, as copying then stays on.
   */
  private runAgainForCopies(steps: number): boolean {
    this.copiesBeganLate = false;
    const undecided = this.undecidedOnCopies;
    this.undecidedOnCopies = false;
    if (!undecided) return false;
    this.rerunPending = true;
    this.rerunTo = steps;
    this.causes[CAUSE_COPIES]!++;
    return true;
  }

  /** Whether the execution stopped at a fault of its last step (not a cut, not a deadlock). */
  private haltedBy(outcome: ExecutionOutcome, thread: number): boolean {
    if (outcome.status !== 'violated') return false;
    const vs = outcome.violations;
    for (let k = 0; k < vs.length; k++) if (vs[k]!.fatal && vs[k]!.thread === thread && vs[k]!.step === outcome.steps) return true;
    return false;
  }

  cuts(): readonly LimitHit[] {
    return [];
  }

  /** Abandoned and redundant executions so far, by cause (every cause present, most often 0). */
  abandonedBy(): Record<AbandonCause, number> {
    const out = {} as Record<AbandonCause, number>;
    ABANDON_CAUSES.forEach((c, k) => (out[c] = this.causes[k]!));
    return out;
  }

  private init(threads: number): void {
    this.log = takeLog(threads);
    this.log.beginExecution();
    this.internObservers(this.log);
    this.asleep = new Uint8Array(threads);
  }

  /** Observer objects and the mask of every object a footprint names, interned before any step. */
  private internObservers(log: EventLog): void {
    const observed = this.observed;
    this.wholeWorld = observed === true;
    if (observed === false) return;
    if (observed === true) {
      this.observerIds = Int32Array.of(log.objectId(OBSERVER));
      return;
    }
    const bits = Math.min(observed.length, OBSERVER_BITS);
    this.observerIds = new Int32Array(bits);
    for (let k = 0; k < bits; k++) this.observerIds[k] = log.objectId(`${OBSERVER}#${k}`);
    const masks: number[] = [];
    for (let k = 0; k < observed.length; k++) {
      for (const name of observed[k]!) {
        const o = log.objectId(name);
        masks[o] = (masks[o] ?? 0) | (1 << Math.min(k, bits - 1));
      }
    }
    this.observedMask = Int32Array.from(masks, (m) => m ?? 0);
  }

  /** Footprint bits of object o that an access of this kind changes (none for a `read`). */
  private writtenBits(o: number, access: Op['access']): number {
    if (access === 'read') return 0;
    if (this.wholeWorld) return 1;
    return o < this.observedMask.length ? this.observedMask[o]! : 0;
  }

  private replayed(t: number, enabled: readonly number[], i: number): number {
    if (enabled.indexOf(t) < 0) {
      throw new ScenarioError(
        `nondeterministic scenario: replaying step ${i + 1} found thread ${t} not runnable; ` +
          'setup() and threads must depend only on the schedule',
      );
    }
    return t;
  }

  private enter(i: number, c: number): number {
    this.path[i + 1] = c;
    this.pathLength = i + 2;
    return this.tree.threadOf(c);
  }

  /**
   * The thread to run at a point the wakeup tree says nothing about, among those awake: a waiter
   * that can go, then the last one, then the first (why: the class comment, "Fresh choices").
   */
  private freshChoice(i: number, point: ChoicePoint): number {
    const asleep = this.asleep;
    asleep.fill(0);
    const tree = this.tree;
    const inherited = this.sleep[i]!;
    for (let k = 0; k < this.sleepCount[i]!; k++) asleep[tree.threadOf(inherited[k]!)] = 1;
    for (let s = tree.firstSlept(this.path[i]!); s !== NONE; s = tree.nextSibling(s)) asleep[tree.threadOf(s)] = 1;
    const enabled = point.enabled;
    const pending = point.pending;
    const previous = point.previous;
    // why a choice first, once the search has met one (announced or picked): it commutes with
    // every step, so a branch that leaves it for later only puts off the same classes, and ends
    // blocked by its sleep set
    if (this.chose) {
      for (let k = 0; k < enabled.length; k++) {
        const q = enabled[k]!;
        if (asleep[q] === 0 && pending[q]!.choices !== undefined) return q;
      }
    }
    const previousAwake = previous >= 0 && asleep[previous] === 0 && enabled.indexOf(previous) >= 0;
    if (previousAwake && pending[previous]!.enabled !== undefined) return previous;
    for (let k = 0; k < enabled.length; k++) {
      const q = enabled[k]!;
      if (asleep[q] === 0 && pending[q]!.enabled !== undefined) return q;
    }
    if (previousAwake) return previous;
    for (let k = 0; k < enabled.length; k++) if (asleep[enabled[k]!] === 0) return enabled[k]!;
    return ABANDON;
  }

  private recordSleepers(i: number): void {
    this.sleepersRecorded = true;
    const log = this.log!;
    this.prefixCounts = new Int32Array(log.threads);
    for (let k = 0; k < i; k++) this.prefixCounts[log.thread[k]!]!++;
    for (const q of this.sleeping) if (this.pending[q] != null) this.sleepers.push(q);
    // why: the sleepers are sleep-set entries at the end of the prefix, so no fresh choice runs
    // one before a dependent step wakes it (insertReversal says which wakeup sequences they cut)
    let here = this.sleep[i];
    if (here === undefined) {
      here = [];
      this.sleep[i] = here;
    }
    if (this.sleepCount.length < i + 2) this.sleepCount = atLeast(this.sleepCount, i + 2);
    let n = 0;
    for (const q of this.sleepers) {
      const node = this.tree.node(q);
      this.tree.markGivenAsleep(node);
      this.addNodeAccesses(node, this.pending[q]!);
      here[n++] = node;
    }
    this.sleepCount[i] = n;
  }

  /**
   * Whether some sleeper's first step after the prefix has no step of the suffix before it in
   * happens-before: it could then have run first, and the execution's class belongs to the
   * partition of that sleeper.
   */
  private sleeperRanFirst(n: number): boolean {
    const log = this.log!;
    for (const q of this.sleepers) {
      let x = this.prefix.length;
      while (x < n && log.thread[x] !== q) x++;
      if (x === n) continue;
      let woken = false;
      for (let t = 0; t < log.threads && !woken; t++) woken = t !== q && log.clockOf(x, t) > this.prefixCounts[t]!;
      if (!woken) return true;
    }
    return false;
  }

  /** An event slot past the current execution, for accesses that are never committed. */
  private eventScratch(): number {
    return this.pathLength - 1;
  }

  private recordEvent(i: number, thread: number, op: Op): void {
    this.log!.beginEvent(i, thread, op.enabled !== undefined);
    this.addAccesses(i, op);
    if (this.gates.length <= i) this.gates = atLeast(this.gates, i + 1);
    this.gates[i] = op.enabled === undefined ? 1 : gateOf(op);
  }

  private addAccesses(i: number, op: Op): void {
    const log = this.log!;
    const o = log.objectId(op.object.name);
    log.addAccess(i, o, commuteGroup(op.access));
    let written = this.writtenBits(o, op.access);
    const also = op.alsoTouches;
    if (also !== undefined) {
      for (const x of also) {
        const xo = log.objectId(x.object.name);
        log.addAccess(i, xo, commuteGroup(x.access));
        written |= this.writtenBits(xo, x.access);
      }
    }
    // why once per observer: a step that changes several objects of one footprint is one change
    // of what that invariant sees
    for (let k = 0; written !== 0; k++, written >>>= 1) if ((written & 1) !== 0) log.addAccess(i, this.observerIds[k]!, EXCLUSIVE);
  }

  /** A sleep entry's accesses: those an event of `op` would have (addAccesses), via a scratch event. */
  private addNodeAccesses(node: number, op: Op): void {
    const log = this.log!;
    const i = this.eventScratch();
    log.beginEvent(i, this.tree.threadOf(node), false);
    this.addAccesses(i, op);
    this.tree.setAccesses(node, log.accObj, log.accGroup, log.accStart[i]!, log.accEnd[i]!);
  }

  /** sleep[i + 1]: the entries of depth i that commute with event i. */
  private propagateSleep(i: number, event: number): void {
    let next = this.sleep[i + 1];
    if (next === undefined) {
      next = [];
      this.sleep[i + 1] = next;
    }
    if (this.sleepCount.length < i + 2) this.sleepCount = atLeast(this.sleepCount, i + 2);
    const here = this.sleep[i]!;
    let n = 0;
    for (let k = 0; k < this.sleepCount[i]!; k++) if (this.stillAsleep(here[k]!, event)) next[n++] = here[k]!;
    const tree = this.tree;
    for (let s = tree.firstSlept(this.path[i]!); s !== NONE; s = tree.nextSibling(s)) if (this.stillAsleep(s, event)) next[n++] = s;
    this.sleepCount[i + 1] = n;
  }

  // why a fault wakes on any event: it does not commute with what it stopped from running, so a
  // branch that runs another thread first must be free to run it again later
  private stillAsleep(s: number, event: number): boolean {
    const tree = this.tree;
    return !tree.halts(s) && tree.threadOf(s) !== tree.threadOf(event) && !tree.conflict(s, event);
  }

  /**
   * Handles a race of event e with event (or pending op) j: a wakeup sequence at the right point.
   * `runnableAtJ` says whether j's op could run where it stands (YES for a step that ran).
   */
  private reverse(e: number, j: number, runnableAtJ: number): void {
    const log = this.log!;
    if (log.canBlock[j] !== 1) {
      this.reverseAt(e, ORIGIN_KNOWN);
      return;
    }
    const points = this.points;
    // why the walk may go into the prefix: a point decided there is the one the whole search would
    // take, so this part inserts nothing for that race; stopping at the prefix instead would leave
    // undecided points here that the whole search never tries (wasted executions on mpat)
    const gate = this.gates[j]!;
    const keyedOp = this.keyedOps[j] ?? null;
    const keyed = keyedOp === null ? null : this.gate.of(keyedOp, this.contexts[log.thread[j]!]!, this.waiterHeld[j], this.copies, this.copyKeys);
    const found = gate === 1 ? reversalPoints(log, e, j, runnableAtJ, points, keyed) : reversalPointsOver(log, e, j, runnableAtJ, gate, points, keyed !== null && keyedOp!.enabledAt === undefined ? this.gate.onCopies() : null);
    if (found !== YES && keyedOp !== null && keyedOp.enabledAt === undefined && points.length > 0) {
      // why copies only now for a wait that restates nothing (its own enabled is asked on them):
      // copying every step costs a serialization each, and locks (decided or presumed) never need it
      if (!this.copying && found === UNKNOWN) this.beginCopying(j + 1);
      if (this.copying) this.undecidedOnCopies = true;
    }
    const origin =
      found === YES ? ORIGIN_KNOWN
      : found === PRESUMED ? ORIGIN_PRESUMED
      : runnableAtJ === YES ? ORIGIN_UNOBSERVED
      : runnableAtJ === NO ? ORIGIN_DEADLOCKED
      : ORIGIN_STOPPED;
    for (let k = 0; k < points.length; k++) this.reverseAt(points[k]!, origin);
  }

  /** Notes a reversal of step j at point `at`; it is inserted when the whole execution is known. */
  private reverseAt(at: number, origin: number): void {
    if (at < this.prefix.length) return;
    this.reversalOrigin[this.reversals] = origin;
    this.reversalAt[this.reversals++] = at;
  }

  /**
   * Inserts the wakeup sequence notdep(at, E).j at point `at`, unless a sleeping thread covers it.
   * notdep runs over the whole execution E (its first `end` events), not only up to j: the events
   * after j that do not happen after `at` steer the sequence into the branch whose class it is,
   * and without them a class can be lost (test/src/explore/dfs-regressions.test.ts).
   */
  private insertReversal(at: number, j: number, end: number, origin: number): void {
    const log = this.log!;
    const view = this.notdep;
    view.select(log, at, j, end);
    const tree = this.tree;
    const inherited = this.sleep[at]!;
    for (let k = 0; k < this.sleepCount[at]!; k++) {
      const s = inherited[k]!;
      const w = this.weakInitialOf(s);
      // why a given sleeper cuts only a sequence it runs first in: the sequences its own subtree
      // would have inserted here never reach a subtree explored apart (DfsOptions.sleeping)
      if (tree.isGivenAsleep(s) ? w >= 0 : w !== -2) return;
    }
    const node = this.path[at]!;
    // a fault asleep here covers only a sequence that starts with it: nothing runs after a fault
    for (let s = tree.firstSlept(node); s !== NONE; s = tree.nextSibling(s)) if (!tree.halts(s) && this.weakInitialOf(s) !== -2) return;
    const v = this.v;
    v.clear();
    for (let m = at + 1; m < end; m++) if (m !== j && !log.happensBefore(at, m)) this.pushEvent(v, m);
    this.pushEvent(v, j);
    for (let s = tree.firstSlept(node); s !== NONE; s = tree.nextSibling(s)) if (tree.halts(s) && tree.threadOf(s) === v.thread[0]) return;
    tree.insert(node, v, origin);
  }

  /** NotdepView.weakInitial of sleep entry s, for the v last selected. */
  private weakInitialOf(s: number): number {
    const tree = this.tree;
    const from = tree.accStartOf(s);
    const w = this.notdep.weakInitial(tree.threadOf(s), tree.accObj, tree.accGroup, from, from + tree.accCountOf(s));
    // why: a sleeping choice of one value does not cover a sequence whose choice takes another
    if (w >= 0 && tree.chosenAt(s) !== this.chosenBy(w)) return -2;
    return w;
  }

  /** The value event m of this execution chose when it is a choose(n), else -1 (WakeupTree.chosenAt). */
  private chosenBy(m: number): number {
    return m < this.choiceCount.length && this.choiceCount[m]! > 0 ? this.choiceValue[m]! : -1;
  }

  private pushEvent(v: Sequence, m: number): void {
    const log = this.log!;
    v.push(log.thread[m]!);
    v.chosen[v.length - 1] = this.chosenBy(m);
    for (let a = log.accStart[m]!; a < log.accEnd[m]!; a++) v.access(log.accObj[a]!, log.accGroup[a]!);
  }

  /** Marks the explored branch done and moves to the next one; false when the search is over. */
  private backtrack(): boolean {
    const floor = this.prefix.length;
    const tree = this.tree;
    for (let d = this.pathLength - 1; d > floor; d--) {
      const parent = this.path[d - 1]!;
      const child = this.path[d]!;
      if (tree.firstChild(parent) !== child) throw new Error('[weft internal bug] dfs: path is not the first branch');
      tree.shiftChild(parent);
      tree.releaseChildren(child);
      tree.releaseSlept(child);
      tree.pushSlept(parent, child);
      if (tree.hasChildren(parent)) {
        this.replayTo = d - 1;
        this.pathLength = d;
        return true;
      }
    }
    return false;
  }
}

/** A stateKey or threadKey value, or a model error naming the object and the step. */
function checkedKey(key: unknown, o: Op['object'], what: string, when: string, i: number, op: Op): number {
  if (typeof key !== 'number' || key !== key) throw new ScenarioError(`${o.name}: ${what}() gave ${String(key)} ${when} step ${i + 1} (${op.label}), not a number`);
  return key;
}

/**
 * KeyedGate over an op's enabledAt for one waiter, over its enabledOn and the copies of its
 * objects' data, or, for an op that restates nothing, over its own enabled asked on those copies
 * (enabledOnLiveCopies); one reused instance, so no allocation per race.
 */
class OpGate implements KeyedGate, CopiesGate {
  private op: Op | null = null;
  private readonly waiter: { id: number; held: readonly HeldResource[] } = { id: 0, held: [] };
  livePart: ((thread: number) => number) | null = null;
  keysBefore: Float64Array | null = null;
  private copies: StateCopies | null = null;
  /** Whether the op restates nothing: its own enabled is asked, on the copies put in place. */
  private own = false;
  private ctx: ThreadContext | null = null;
  /** The copies the condition is asked on (conditionObjects' order), and all but the first; reused. */
  private readonly picked: SharedObject[] = [];
  private readonly others: SharedObject[] = [];
  private readonly partOfObject = (thread: number): number => this.op!.object.threadKey!(thread);

  of(op: Op, ctx: ThreadContext, held: readonly HeldResource[] | undefined, copies: StateCopies, copyKeys: Float64Array): KeyedGate {
    this.op = op;
    this.ctx = ctx;
    this.waiter.id = ctx.id;
    this.waiter.held = held ?? NO_HELD;
    const onCopies = op.enabledAt === undefined;
    this.own = onCopies && op.enabledOn === undefined;
    this.copies = onCopies ? copies : null;
    this.keysBefore = onCopies ? copyKeys : null;
    this.livePart = !onCopies && op.object.threadKey !== undefined ? this.partOfObject : null;
    return this;
  }

  runnableAt(key: number): number {
    if (this.copies === null) return this.op!.enabledAt!(key, this.waiter as Waiter) ? YES : NO;
    truncate(this.picked, 0);
    this.picked.push(this.copies.copyOf(key));
    return this.askPicked();
  }

  /** This gate as a CopiesGate, for an op on copies whose condition reads several objects. */
  onCopies(): CopiesGate | null {
    return this.copies === null ? null : this;
  }

  liveKey(k: number): number {
    const x = this.op!.alsoTouches?.[k - 1];
    if (x === undefined || x.object.stateKey !== undefined) return Number.NaN;
    return this.copies!.keyOf(x.object);
  }

  runnableOnKeys(keys: readonly number[]): number {
    truncate(this.picked, 0);
    for (let k = 0; k < keys.length; k++) this.picked.push(this.copies!.copyOf(keys[k]!));
    return this.askPicked();
  }

  /** The condition on the picked copies: enabledOn, or the op's own enabled with them put in place. */
  private askPicked(): number {
    const op = this.op!;
    const where = `${op.label}, reordered`;
    if (this.own) {
      const r = enabledOnLiveCopies(op, this.ctx!, this.waiter.held, this.picked, where);
      return r === null ? UNKNOWN : r ? YES : NO;
    }
    truncate(this.others, 0);
    for (let k = 1; k < this.picked.length; k++) this.others.push(this.picked[k]!);
    return enabledOnCopy(op, this.picked[0]!, this.others, where) ? YES : NO;
  }
}

const NO_HELD: readonly HeldResource[] = Object.freeze([]);

/** The gate bits of an op with `enabled`: its own object, and each `alsoTouches` entry it reads there. */
function gateOf(op: Op): number {
  const also = op.alsoTouches;
  let gate = 1;
  if (also === undefined) return gate;
  for (let k = 0; k < also.length && k < 30; k++) if (also[k]!.readByEnabled === true) gate |= 1 << (k + 1);
  return gate;
}

export const dfs: StrategyDescriptor = {
  id: 'dfs',
  help: 'every schedule that matters: optimal partial-order reduction (the default)',
  exhaustive: true,
  seeded: false,
  options: [],
  make: () => new DfsStrategy(),
  split: { sleepSets: true, make: (part) => new DfsStrategy({ prefix: part.prefix, sleeping: part.sleeping }) },
};

/**
 * Several kernel steps of one thread announced as one op, for steps that no other thread of the
 * scenario can observe: a lock nobody else takes, a field nobody else reads, a read of a list nobody
 * else writes. Such a step commutes with every step of every other thread, so where it interleaves
 * makes no difference (the executions that differ only in its position are one Mazurkiewicz trace);
 * announcing it together with its neighbour loses no behaviour and divides the schedules a plain
 * depth-first search must run. This is races.md §0's "merge steps where nothing else can observe
 * the intermediate state", done by the scenario that knows what its other threads touch.
 *
 * Contract:
 * - The fused op is enabled when its first inner op is; every later inner op must be enabled when
 *   it is reached (a later op that would block is a scenario error: it was not private).
 * - It declares the object and access of its first inner op (and what that op declares in
 *   `alsoTouches`), unless `fusedAs` names the one inner op that other threads can observe (and,
 *   in its `alsoTouches`, what else the step touches that they see). At most one inner op may
 *   touch a shared object.
 * - The trace shows the inner labels joined with `; `, so every kernel step stays visible.
 *
 * Checked at run time, on every fused step (a breach is a model error, exit 2):
 * - No lock or read-side section is dropped and then used again inside one step (spin_unlock(L)
 *   followed by spin_lock(L), rcu_read_unlock followed by rcu_read_lock), and no declared one is
 *   taken after a declared one was dropped (spin_unlock(L) followed by spin_lock(M), both in the
 *   declaration): other threads can run between the two in the kernel, and take L, or M first; a
 *   fused step would hide every such schedule. A private lock (one the step does not declare,
 *   which the footprint audit holds no other thread touches) may be dropped before another is
 *   taken.
 * - At most one data object (an op's object when it reads or writes it, and the objects an inner
 *   op's `alsoTouches` says it writes) is touched while the thread holds no lock, besides what the
 *   fused op declares in `alsoTouches`. A data object touched under a held lock is ordered by that lock's
 *   steps; two touched under none are two observable steps announced as one.
 * What the runtime cannot see from here, whether another thread touches an inner object at all, is
 * the footprint audit's job (docs/modeling.md, "What weft checks about the model").
 */
import { type Access, type Op, ScenarioError, type SharedObject, type Steps, type ThreadContext } from '../../src/index';
import type { Touch } from './lifetime';

/** Which object and access the fused op declares, when not its first inner op's. */
export interface FusedDeclaration {
  readonly object: SharedObject;
  readonly access: Access;
  /** Other objects the inner ops touch that other threads can observe (see `Op.alsoTouches`). */
  readonly alsoTouches?: Op['alsoTouches'];
}

/**
 * The run-time check of one fused step (see the header). Made per run: a fused step is one
 * allocation already (its op), and the books are a few entries long.
 */
class FusedCheck {
  /** Locks and sections an inner op released, with the op that did. */
  private released: Op[] | null = null;
  /** The first data object touched while no lock was held, and the op that touched it. */
  private unguarded: SharedObject | null = null;
  private unguardedBy: Op | null = null;

  constructor(
    private readonly self: ThreadContext,
    /** The fused op's own object: with `declared`, what other threads see of the step. */
    private readonly object: SharedObject,
    private readonly declared: Op['alsoTouches'],
  ) {}

  /** Before `op` runs. */
  before(op: Op): void {
    if (this.released !== null) {
      for (const r of this.released) {
        if (r.object === op.object) {
          throw new ScenarioError(
            `fused step of ${this.self.letter} (${this.self.name}) drops ${r.object.name} at ${r.label} and uses it again at ${op.label}: ` +
              `other threads can run between the two, so they must be separate steps`,
          );
        }
      }
      // why declared objects only: the footprint audit holds every undeclared inner object to be
      // private, and dropping or taking a private lock is not a point other threads can see
      const r = (op.access === 'acquire' || op.access === 'rcu-enter') && this.observable(op.object) ? this.released.find((x) => this.observable(x.object)) : undefined;
      if (r !== undefined) {
        throw new ScenarioError(
          `fused step of ${this.self.letter} (${this.self.name}) drops ${r.object.name} at ${r.label} and then takes ${op.object.name} at ${op.label}: ` +
            `other threads can run between the two (and take ${op.object.name} first), so they must be separate steps`,
        );
      }
    }
    if (holdsLock(this.self)) return;
    if (op.access === 'read' || op.access === 'write') this.touch(op.object, op);
    // why writes only: an inner op's other reads are its own checks (is the container still
    // live), atomic with it; a write is a second change other threads can see
    if (op.alsoTouches !== undefined) for (const t of op.alsoTouches) if (t.access === 'write') this.touch(t.object, op);
  }

  /** After `op` ran. */
  after(op: Op): void {
    if (op.access === 'release' || op.access === 'rcu-exit') (this.released ??= []).push(op);
  }

  /** Whether other threads see `object` through this step's declaration. */
  private observable(object: SharedObject): boolean {
    if (object === this.object) return true;
    if (this.declared !== undefined) for (const d of this.declared) if (d.object === object) return true;
    return false;
  }

  private touch(object: SharedObject, op: Op): void {
    if (object === this.unguarded) return;
    if (this.declared !== undefined) for (const d of this.declared) if (d.object === object) return;
    if (this.unguarded === null) {
      this.unguarded = object;
      this.unguardedBy = op;
      return;
    }
    throw new ScenarioError(
      `fused step of ${this.self.letter} (${this.self.name}) touches ${this.unguarded.name} (at ${this.unguardedBy!.label}) and ${object.name} (at ${op.label}) ` +
        `holding no lock: a fused step may touch one shared object; make the other a step of its own, or declare it in fusedAs's alsoTouches if other threads only see it with the first`,
    );
  }
}

/** Whether the thread holds a lock (a lock-tracking LockObject: it has a lockdep class); read-side sections guard no data. */
function holdsLock(self: ThreadContext): boolean {
  for (const h of self.held) if (typeof (h.object as { lockClass?: unknown }).lockClass === 'string') return true;
  return false;
}

/**
 * The fused op. A class, so that every fused step has one shape and its run is one prototype
 * method: fused steps are on the hot path of every execution.
 */
class FusedOp<R> implements Op<R> {
  readonly object: SharedObject;
  readonly access: Access;
  /** The first inner label until the op runs, then every inner label joined. */
  label: string;
  readonly enabled: ((self: ThreadContext) => boolean) | undefined;
  readonly enabledAt: Op['enabledAt'];
  readonly waitsFor: ((self: ThreadContext) => string) | undefined;
  /** What `steps()` returned, once the op has run. */
  result: R | undefined = undefined;
  /** Whether `fusedAs` named the declaration (then the first op's `alsoTouches` is not ours). */
  private readonly declared: boolean;
  /** What `fusedAs` declared besides its object. */
  private readonly declaredAlso: Op['alsoTouches'];

  constructor(
    private readonly first: Op,
    private readonly body: Steps<R>,
    declare: FusedDeclaration | undefined,
  ) {
    this.object = declare === undefined ? first.object : declare.object;
    this.access = declare === undefined ? first.access : declare.access;
    this.label = first.label;
    // why: an op's `enabled` may read only its own object (src/explore/dependency.ts); when the
    // fused op declares another object, the first op's lock is private and checked in run instead.
    const own = declare === undefined || declare.object === first.object;
    this.enabled = own ? first.enabled : undefined;
    // why not with readByEnabled entries declared: enabledAt reads only the op's own object
    this.enabledAt = own && !(declare?.alsoTouches ?? []).some((t) => (t as { readByEnabled?: boolean }).readByEnabled === true) ? first.enabledAt : undefined;
    this.waitsFor = own ? first.waitsFor : undefined;
    this.declared = declare !== undefined;
    this.declaredAlso = declare?.alsoTouches;
  }

  // why a getter: an inner op's declaration may depend on the state when it is asked (models/pte.ts)
  get alsoTouches(): Op['alsoTouches'] {
    return this.declared ? this.declaredAlso : this.first.alsoTouches;
  }

  run(self: ThreadContext): R {
    let next = this.first;
    let label = next.label;
    if (this.enabled === undefined && next.enabled !== undefined && !next.enabled(self)) blocked(self, next);
    const check = new FusedCheck(self, this.object, this.alsoTouches);
    for (;;) {
      check.before(next);
      const value = next.run(self);
      check.after(next);
      const r = this.body.next(value);
      if (r.done) {
        this.label = label;
        this.result = r.value;
        return r.value; // shown in traces as the step's result
      }
      next = r.value;
      label += `; ${next.label}`;
      if (next.enabled !== undefined && !next.enabled(self)) blocked(self, next);
    }
  }
}

function blocked(self: ThreadContext, op: Op): never {
  const why = op.waitsFor ? ` (waits for ${op.waitsFor(self)})` : '';
  throw new ScenarioError(`fused step of ${self.letter} (${self.name}) would block at ${op.label}${why}: its steps were not private`);
}

/** One kernel step (or a few) to fuse: a thunk, so no generator is created before it is needed. */
export type StepThunk<R> = () => Steps<R>;

/**
 * Runs the steps of each part in order as one op; returns what the last part returns. Parts are
 * thunks (`() => spinLock(l)`) rather than inline `function*` bodies: creating a generator function
 * per call costs more than the step it runs.
 */
export function fused<R>(...parts: [...StepThunk<unknown>[], StepThunk<R>]): Steps<R> {
  return fusedAs(undefined, ...parts);
}

/** `fused`, declaring the object and access of the one inner op other threads can observe. */
export function* fusedAs<R>(declare: FusedDeclaration | undefined, ...parts: [...StepThunk<unknown>[], StepThunk<R>]): Steps<R> {
  const body = chain(parts) as Steps<R>;
  const r0 = body.next();
  if (r0.done) return r0.value;
  const op = new FusedOp(r0.value, body, declare);
  yield op;
  return op.result as R;
}

function* chain(parts: readonly StepThunk<unknown>[]): Steps<unknown> {
  let value: unknown = undefined;
  for (const part of parts) value = yield* part();
  return value;
}

/**
 * Runs the private steps of `before` inside the first step of `inner`; `inner`'s steps keep their
 * own objects and accesses. Returns what `inner` returns.
 */
export function* fuseBefore<R>(before: StepThunk<unknown>, inner: StepThunk<R>): Steps<R> {
  return (yield* around(before, inner, null, null)).inner as R;
}

/**
 * Runs the private steps of `after` inside the last step of `inner`. Returns what `after` returns
 * (the next pointer a walk loads after a callback, say). `alsoTouches` declares, on each step of
 * `inner` (any of them may turn out to be the last), what `after` touches that another thread
 * writes: a step is private only as long as nobody else writes what it reads (a notifier's
 * liveness, once some thread frees it). The footprint audit reports what is missing.
 */
export function* fuseAfter<A>(inner: StepThunk<unknown>, after: StepThunk<A>, alsoTouches?: readonly Touch[]): Steps<A> {
  return (yield* around(null, inner, after, alsoTouches ?? null)).after as A;
}

/**
 * The helpers above: for a helper whose first or last step is the one others can observe, and
 * private neighbours that would otherwise cost schedules of their own.
 */
function* around(
  before: StepThunk<unknown> | null,
  inner: StepThunk<unknown>,
  after: StepThunk<unknown> | null,
  extra: readonly Touch[] | null,
): Steps<{ inner: unknown; after: unknown }> {
  const gen = inner();
  let r = gen.next();
  let first = true;
  let last: AroundOp | null = null;
  while (!r.done) {
    last = new AroundOp(r.value, gen, first ? before : null, after, extra);
    first = false;
    yield last;
    r = last.ahead!; // set by last.run, which ran before the thread resumed
  }
  if (last === null) throw new ScenarioError('fuseBefore/fuseAfter: the inner helper took no step');
  return { inner: r.value, after: last.afterResult };
}

/** One step of `fuseBefore`/`fuseAfter`'s inner helper, with the private steps run before or after it. */
class AroundOp implements Op<unknown> {
  readonly object: SharedObject;
  readonly access: Access;
  label: string;
  readonly enabled: ((self: ThreadContext) => boolean) | undefined;
  readonly enabledAt: Op['enabledAt'];
  readonly waitsFor: ((self: ThreadContext) => string) | undefined;
  /** The inner helper advanced past this step: the next op, or its return value. */
  ahead: IteratorResult<Op, unknown> | null = null;
  /** What `after` returned, when it ran in this step. */
  afterResult: unknown = undefined;

  constructor(
    private readonly op: Op,
    private readonly gen: Steps<unknown>,
    private readonly before: StepThunk<unknown> | null,
    private readonly after: StepThunk<unknown> | null,
    private readonly extra: readonly Touch[] | null,
  ) {
    this.object = op.object;
    this.access = op.access;
    this.label = op.label;
    this.enabled = op.enabled;
    this.enabledAt = op.enabledAt;
    this.waitsFor = op.waitsFor;
  }

  /** What the inner op declares, and what the caller declared for the private steps around it. */
  get alsoTouches(): Op['alsoTouches'] {
    const own = this.op.alsoTouches;
    if (this.extra === null) return own;
    // why cached on the inner declaration's identity: it may change as state changes (models/pte.ts)
    if (own !== this.mergedFrom || this.merged === null) {
      this.mergedFrom = own;
      this.merged = own === undefined ? this.extra : [...own, ...this.extra];
    }
    return this.merged;
  }
  private mergedFrom: Op['alsoTouches'] = undefined;
  private merged: readonly Touch[] | null = null;

  run(self: ThreadContext): unknown {
    const labels: string[] = [];
    const check = new FusedCheck(self, this.object, this.op.alsoTouches);
    if (this.before) runPrivate(self, this.before(), labels, check);
    check.before(this.op);
    const result = this.op.run(self);
    check.after(this.op);
    labels.push(this.op.label);
    // why advance here: the thread would run this code right after the step anyway, and only then
    // do we know whether this was the helper's last step.
    this.ahead = this.gen.next(result);
    if (this.ahead.done && this.after) this.afterResult = runPrivate(self, this.after(), labels, check);
    this.label = labels.join('; ');
    return result;
  }
}

/** Runs every op of `steps` now, inside the current step; each must be able to run. */
function runPrivate(self: ThreadContext, steps: Steps<unknown>, labels: string[], check: FusedCheck): unknown {
  let r = steps.next();
  while (!r.done) {
    const op = r.value;
    if (op.enabled !== undefined && !op.enabled(self)) blocked(self, op);
    labels.push(op.label);
    check.before(op);
    const value = op.run(self);
    check.after(op);
    r = steps.next(value);
  }
  return r.value;
}

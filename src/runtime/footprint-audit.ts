import type { Op, SharedObject, Steps, ThreadContext } from './op';
import type { Invariant } from './scenario';

/**
 * The footprint audit: in an audit execution every read and write of the world's state is
 * attributed to whoever made it and compared with what the dependency relation was told.
 *
 * Why in place and not through a proxy: models allocate their ops in setup, and the ops' closures
 * hold the raw objects, so a proxy handed to thread bodies would never see what `run` does. After
 * setup the world graph is walked from its root and every data property of every object reached
 * is replaced by an accessor that logs (owner, field, read or write) under the current actor.
 *
 * Who owns what:
 * - an object with a string `name` is a shared object and owns its own fields;
 * - an unnamed object, array, Map or Set belongs to the nearest named object it was first reached
 *   from; a change inside a container counts as a write of the field that holds it;
 * - what hangs only from the world root (root fields such as `unregisterReturned`) is ghost state:
 *   it belongs to no shared object, so no step can declare it, and it may be touched only where no
 *   other thread's access conflicts with it (a thread's own flags, what invariants read);
 * - thread contexts (and the detectors' books in ThreadContext.ghost) are thread-local and never
 *   instrumented; functions are opaque.
 * A write that bypasses the accessors (a new property, an array element, a Map entry) is caught by
 * a shallow comparison after each run and each stretch of thread code: the backstop for writes.
 *
 * Which access is a breach: an access counts only when another thread's access conflicts with it
 * (one of the two writes), in this or an earlier audit execution of the same search; reading a
 * field nobody else ever writes (a pointer set in setup, a list head's name) commutes with
 * everything. Then:
 * - thread code between steps belongs to the step before it: it may touch only what that step
 *   declares (as its object or in alsoTouches), writes only what it declares with a non-read access;
 * - an op's run may touch only its object and alsoTouches, and write only those not declared `read`;
 * - an op's enabled may read only its object, the alsoTouches entries marked `readByEnabled` and
 *   the acting thread, and never writes; a blocked op has no clock yet, so its enabled is ordered
 *   with the steps its declaration conflicts with;
 * - an invariant never writes, and every step that writes a field it reads declares changing an
 *   object it observes (anything, without `observes`): the observer rule's own condition, so the
 *   attribution follows the declarations (an hlist node's links through its list), not owner names.
 */

type Actor =
  | { readonly kind: 'body'; readonly thread: ThreadContext; readonly step: number; readonly after: Op | null }
  | { readonly kind: 'run'; readonly thread: ThreadContext; readonly step: number; readonly op: Op }
  | { readonly kind: 'enabled'; readonly thread: ThreadContext; readonly op: Op }
  | { readonly kind: 'invariant'; readonly id: string; readonly observes: readonly SharedObject[] | undefined };

/** Where one field's state lives: its owner (a named object, or the root) and the field path. */
interface Owner {
  /** The named object, or null for the world root. */
  readonly object: SharedObject | null;
  /** `name` of the owner, or `world`. */
  readonly name: string;
}

interface Meta {
  readonly owner: Owner;
  /** Path of this object inside its owner, ending in `.` (empty for the owner itself). */
  readonly prefix: string;
  /** Raw values of the instrumented fields. */
  readonly store: Record<string, unknown>;
  /** For arrays, Maps and Sets: the label of the field that holds the container, and its contents. */
  readonly container: { readonly label: string; snapshot: unknown[] } | null;
  readonly kind: number;
  /** Own keys when last looked at: a different count means a property was added or removed. */
  keyCount: number;
  /** The walk that last queued it. */
  epoch: number;
}

const PLAIN = 0;
const ARRAY = 1;
const MAP = 2;
const SET = 3;
const OP = 4;
const OPAQUE = 5;
const ROOT_OWNER: Owner = { object: null, name: 'world' };

/** One access kept for a field: who, whether it writes, under which declared footprint. */
interface Kept {
  readonly thread: number;
  readonly write: boolean;
  /** The field's owner (a shared object's name, or `world`). */
  readonly owner: string;
  /** How the acting step declares the owner, when it does. */
  readonly declaredAs: string | null;
  /** The thread's clock at the access; null for an invariant (ordered with nothing). */
  readonly clock: readonly number[] | null;
  /** Whether the step's own declaration names the field's owner with enough access. */
  readonly covered: boolean;
  /** Where it happened and the fix, in words (built only for a message). */
  readonly describe: () => { where: string; fix: string };
  /** The field, without its owner. */
  readonly shown: string;
  /** The op whose declaration the access falls under (for an `enabled`, the op it gates). */
  readonly op: Op | null;
  /** Whether it was made by an `enabled`. */
  readonly gate: boolean;
}

const NOT_INSTRUMENTED = new Set<unknown>([Date.prototype, RegExp.prototype, Promise.prototype, WeakMap.prototype, WeakSet.prototype]);

export class FootprintAudit {
  private actor: Actor | null = null;
  // invariant: metas has an entry for exactly the objects instrumented in the current execution
  private metas = new WeakMap<object, Meta>();
  private wrappedOps = new WeakMap<Op, Op>();
  private root: object = {};
  private breach: string | null = null;
  // why across the audit executions of one search, keyed by owner name and field (names are
  // stable): the conflicting access may show up only in a later execution
  private kept = new Map<string, Kept[]>();
  // invariant: clocks[t] is thread t's vector clock after its last declared step in this execution
  private clocks: (readonly number[])[] = [];
  /** Access kinds declared on each object, across the search's audit executions. */
  private readonly kindsOn = new Map<string, Set<string>>();
  private declaredSteps = new Map<string, { thread: number; access: string; clock: readonly number[] }[]>();
  /**
   * Fields that have held a thread (a lock's owner, a rwsem's holders): reading them is how a step
   * tests that the acting thread holds the lock (lockdep_assert_held), whose outcome no other
   * thread's order can change, so models declare no such read (models/kit/lifetime.ts).
   */
  private readonly holderFields = new Set<string>();
  /** Whether the variant has invariants (wrapInvariant was called): else no observer to check. */
  private invariants = false;
  // why across the search's audit executions, like kept: an invariant may first read a field in
  // a later execution than the step that writes it
  /** Per field, the invariants that have read it: id, and the names they observe (null: everything). */
  private readonly observers = new Map<string, { readonly id: string; readonly observes: ReadonlySet<string> | null; readonly shown: string }[]>();
  /** Per field, each distinct step that has written it: what it declares changing, and where. */
  private readonly writers = new Map<string, { readonly sig: string; readonly changes: readonly string[]; readonly where: string; readonly declares: string }[]>();

  constructor(
    private readonly threadLocal: ReadonlySet<object>,
    private readonly threadCount: number,
  ) {}

  /** Instruments a freshly set-up world; nothing is logged until an actor is set. */
  begin(world: object): void {
    this.metas = new WeakMap();
    this.wrappedOps = new WeakMap();
    this.root = world;
    this.kept = new Map();
    this.clocks = [];
    this.declaredSteps = new Map();
    this.breach = null;
    this.actor = null;
    this.walk();
  }

  /** The first breach of this execution, as a one-line model error; null when there is none. */
  finish(): string | null {
    this.actor = null;
    return this.breach;
  }

  /** A thread's generator whose code between steps runs as that thread's body actor. */
  wrapThread(gen: Steps<void>, thread: ThreadContext): Steps<void> {
    let after: Op | null = null;
    const next = (value: unknown): IteratorResult<Op, void> => {
      const prev = this.actor;
      this.actor = { kind: 'body', thread, step: thread.step, after };
      try {
        const r = gen.next(value);
        this.walk();
        if (r.done) return r;
        const op = r.value as unknown;
        if (op === null || typeof op !== 'object' || typeof (op as Op).run !== 'function') return r;
        after = op as Op;
        return { done: false, value: this.wrapOp(op as Op) };
      } finally {
        this.actor = prev;
      }
    };
    const it = {
      next,
      return: (v: void) => gen.return(v),
      throw: (e: unknown) => gen.throw(e),
      [Symbol.iterator]() {
        return it;
      },
    };
    return it as unknown as Steps<void>;
  }

  /** An invariant whose check runs as the invariant actor. */
  wrapInvariant<W>(inv: Invariant<W>): Invariant<W> {
    this.invariants = true;
    const observes = inv.observes;
    return {
      ...inv,
      check: (world) => {
        const prev = this.actor;
        this.actor = { kind: 'invariant', id: inv.id, observes };
        try {
          return inv.check(world);
        } finally {
          this.actor = prev;
        }
      },
    };
  }

  private wrapOp(op: Op): Op {
    const cached = this.wrappedOps.get(op);
    if (cached !== undefined) return cached;
    const enabled = op.enabled;
    const waitsFor = op.waitsFor;
    // why a prototype and not a copy: some ops change their label as they run (fused steps), and
    // every field but the three wrapped functions must read through to the op as it is now
    const wrapped = Object.create(op) as Op;
    // why defineProperty: assignment would fail on an op that is frozen (a read-only inherited field)
    const own = <K extends 'enabled' | 'waitsFor' | 'run'>(k: K, f: Op[K]) => Object.defineProperty(wrapped, k, { value: f, enumerable: true });
    if (enabled !== undefined) {
      own('enabled', (self: ThreadContext) => {
        const prev = this.actor;
        this.actor = { kind: 'enabled', thread: self, op };
        try {
          return enabled.call(op, self);
        } finally {
          this.actor = prev;
        }
      });
    }
    if (waitsFor !== undefined) {
      own('waitsFor', (self: ThreadContext) => {
        const prev = this.actor;
        this.actor = null;
        try {
          return waitsFor.call(op, self);
        } finally {
          this.actor = prev;
        }
      });
    }
    own('run', (self: ThreadContext) => {
      this.stepStarts(self.id, op);
      const prev = this.actor;
      this.actor = { kind: 'run', thread: self, step: self.step, op };
      try {
        return op.run(self);
      } finally {
        this.walk();
        this.actor = prev;
      }
    });
    this.wrappedOps.set(op, wrapped);
    return wrapped;
  }

  // ---- logging -----------------------------------------------------------------------------

  private access(meta: Meta, field: string, write: boolean, key = `${meta.owner.name}\u0000${field}`): void {
    const a = this.actor;
    if (a === null) return;
    const owner = meta.owner;
    if (a.kind === 'invariant') {
      const shown = owner.object === null ? `the world's ${field}` : `${owner.name}.${field}`;
      if (write) this.breachNow(`invariant ${a.id} writes ${shown}; an invariant only reads: move the update into a step or the thread code`);
      else this.invariantReads(key, a, shown);
      return;
    }
    if (a.kind === 'enabled' && write) {
      this.breachNow(`${a.thread.letter} (${a.thread.name}) ${a.op.label}: its enabled writes ${owner.name}.${field}; enabled only tests whether the step can run: move the update into run`);
      return;
    }
    if (write && this.invariants && (a.kind === 'run' || (a.kind === 'body' && a.after !== null))) this.stepWrites(key, a);
    // why: the world's own fields are ghost state, which thread code may keep (docs/modeling.md)
    if (owner.object === null && a.kind === 'body') return;
    if (!write && this.holderFields.has(key)) return;
    const op = a.kind === 'body' ? a.after : a.op;
    this.actor = null;
    const cover = owner.object === null || op === null ? null : declared(op, owner.object, a.kind === 'enabled');
    this.actor = a;
    const covered = cover === 'write' || (cover === 'read' && !write);
    const declaredAs = owner.object === null || op === null ? null : this.kindOn(op, owner.object);
    const describe = (): { where: string; fix: string } => {
      const who = `${a.thread.letter} (${a.thread.name})`;
      const where =
        a.kind === 'body'
          ? a.after === null
            ? `${who} in thread code before its first step`
            : `${who} in thread code after step ${a.step} ${a.after.label}`
          : a.kind === 'run'
            ? `${who} step ${a.step} ${a.op.label}: its run`
            : `${who} ${a.op.label}: its enabled`;
      const fix = cover === 'read' && write ? `declare ${owner.name} with access 'write' ${a.kind === 'body' ? 'in that step' : 'in the op'}` : fixFor(a, owner, write);
      return { where, fix };
    };
    this.record(key, { thread: a.thread.id, write, owner: owner.name, declaredAs, clock: this.clockOf(a.thread.id), covered, describe, shown: field, op, gate: a.kind === 'enabled' });
  }

  /**
   * The observer rule (src/search/dpor/dependency.ts) orders a step against an invariant's
   * observer only when the step declares changing (an access other than `read`) an object the
   * invariant observes, or, for an invariant without `observes`, anything at all. So every write of
   * a field an invariant reads must happen in such a step (its run, or the thread code after it);
   * otherwise dfs may show the invariant only some of the states it can be in. The two sides meet
   * in either order, so both are kept: an invariant's reads, a step's writes.
   */
  private invariantReads(key: string, a: Extract<Actor, { kind: 'invariant' }>, shown: string): void {
    let obs = this.observers.get(key);
    if (obs === undefined) this.observers.set(key, (obs = []));
    if (obs.some((o) => o.id === a.id)) return;
    const o = { id: a.id, observes: a.observes === undefined ? null : new Set(a.observes.map((x) => x.name)), shown };
    obs.push(o);
    for (const w of this.writers.get(key) ?? []) if (this.observerMissed(o, w)) return;
  }

  private stepWrites(key: string, a: Extract<Actor, { kind: 'run' | 'body' }>): void {
    const op = a.kind === 'run' ? a.op : a.after!;
    this.actor = null;
    const changes: string[] = [];
    const declares: string[] = [];
    try {
      if (op.access !== 'read') changes.push(op.object.name);
      declares.push(`${op.object.name} '${op.access}'`);
      for (const t of op.alsoTouches ?? []) {
        if (t.access !== 'read') changes.push(t.object.name);
        declares.push(`${t.object.name} '${t.access}'`);
      }
    } finally {
      this.actor = a;
    }
    const sig = `${a.thread.id}\u0000${op.label}\u0000${changes.join('\u0000')}`;
    let ws = this.writers.get(key);
    if (ws === undefined) this.writers.set(key, (ws = []));
    if (ws.some((w) => w.sig === sig)) return;
    const who = `${a.thread.letter} (${a.thread.name})`;
    const where = a.kind === 'run' ? `${who} step ${a.step} ${op.label}` : `${who}, in thread code after step ${a.step} ${op.label},`;
    const w = { sig, changes, where, declares: declares.join(', ') };
    ws.push(w);
    for (const o of this.observers.get(key) ?? []) if (this.observerMissed(o, w)) return;
  }

  /** Breaches (and says so) when step `w` writes what invariant `o` reads without writing its observer. */
  private observerMissed(
    o: { readonly id: string; readonly observes: ReadonlySet<string> | null; readonly shown: string },
    w: { readonly changes: readonly string[]; readonly where: string; readonly declares: string },
  ): boolean {
    if (o.observes === null ? w.changes.length > 0 : w.changes.some((n) => o.observes!.has(n))) return false;
    const fix =
      w.changes.length === 0
        ? o.shown.startsWith("the world's")
          ? 'keep that state in a ghost object (ghostObject) written by writesGhost or a ghostStep, and observe it'
          : "that step declares only reads: declare what it writes with access 'write' (writesGhost for thread code after it)"
        : `add ${w.changes.length === 1 ? w.changes[0] : `one of ${w.changes.join(', ')}`} to its observes`;
    const missed = o.observes === null ? 'declares changing nothing' : `changes nothing the invariant observes (it declares ${w.declares})`;
    this.breachNow(`invariant ${o.id} reads ${o.shown}, which ${w.where} writes, and that step ${missed}, so dfs need not show the invariant every order of it; ${fix}`);
    return true;
  }

  /**
   * Checks an access against the earlier ones of this execution to the same field: two accesses
   * of different threads, one a write, that the declared steps do not order (no chain of
   * conflicting declared steps leads from one to the other) are a race the explorer cannot see,
   * since it reorders only what the declarations say conflicts. The argument is the one for race
   * detectors: accesses ordered by the declared synchronisation in every execution are explored
   * in every order they can happen in. Only the last read and write of each thread are kept.
   */
  private record(key: string, r: Kept): void {
    let kept = this.kept.get(key);
    if (kept === undefined) this.kept.set(key, (kept = []));
    if (this.breach === null) {
      for (const k of kept) {
        if (k.thread === r.thread || (!k.write && !r.write)) continue;
        // why both covered is enough: the declarations name the owner on both sides, and the
        // access kinds are the model's claim of what commutes (two read-side entries counting readers)
        if (k.covered && r.covered) continue;
        // why: a read-side domain's state is the readers' entries and exits, which commute with
        // each other by the dependency relation's own rule; only a grace period orders them
        if (this.isDomain(r.owner) && k.declaredAs !== 'rcu-sync' && r.declaredAs !== 'rcu-sync') continue;
        // why one more for an enabled: it tests the op its thread has not run yet, an event no
        // other thread can have seen (its thread's clock counts only the steps already taken)
        if (k.clock !== null && r.clock !== null && k.clock[k.thread]! + (k.gate ? 1 : 0) <= r.clock[k.thread]!) continue;
        // why: a disabled op is not a step yet, so no clock orders its enabled; the explorer
        // races a blocked op against every step its declaration conflicts with (dpor/blocking.ts)
        if ((k.gate || r.gate) && k.op !== null && r.op !== null && this.conflict(k.op, r.op, k.gate, r.gate)) continue;
        const [bad, other] = !r.covered || k.covered ? [r, k] : [k, r];
        const b = bad.describe();
        const shown = bad.owner === ROOT_OWNER.name ? `the world's ${bad.shown}` : `${bad.owner}.${bad.shown}`;
        this.breach = `${b.where} ${bad.write ? 'writes' : 'reads'} ${shown}, which ${brief(other.describe().where)} ${other.write ? 'writes' : 'reads'}, and no declared step orders the two; ${b.fix}`;
        break;
      }
    }
    const same = kept.findIndex((k) => k.thread === r.thread && k.write === r.write);
    if (same >= 0) kept[same] = r;
    else kept.push(r);
  }

  /**
   * Whether two ops' declarations conflict: an object both name, with accesses that do not commute.
   * For the side that is a gate (an enabled), only what can unblock it counts: its own object and
   * the alsoTouches entries marked readByEnabled, as the explorer's blocking walk sees it.
   */
  private conflict(a: Op, b: Op, aGate = false, bGate = false): boolean {
    const actor = this.actor;
    this.actor = null;
    try {
      const all = (op: Op, gate: boolean): (readonly [string, string])[] => [
        [op.object.name, op.access],
        ...(op.alsoTouches ?? []).filter((t) => !gate || t.readByEnabled === true).map((t) => [t.object.name, t.access] as const),
      ];
      const bs = all(b, bGate);
      return all(a, aGate).some(([n, x]) => bs.some(([m, y]) => n === m && !commute(x, y)));
    } finally {
      this.actor = actor;
    }
  }

  /** The access kind `op` declares on `object` (its own, else its first alsoTouches entry), or null. */
  private kindOn(op: Op, object: SharedObject): string | null {
    const actor = this.actor;
    this.actor = null;
    try {
      if (op.object === object) return op.access;
      for (const t of op.alsoTouches ?? []) if (t.object === object) return t.access;
      return null;
    } finally {
      this.actor = actor;
    }
  }

  /** Whether every declared step on the object so far is an rcu-enter, rcu-exit or rcu-sync. */
  private isDomain(name: string): boolean {
    const kinds = this.kindsOn.get(name);
    if (kinds === undefined) return false;
    for (const k of kinds) if (k !== 'rcu-enter' && k !== 'rcu-exit' && k !== 'rcu-sync') return false;
    return true;
  }

  // ---- the order the declarations impose (vector clocks over declared conflicts) --------------

  private clockOf(thread: number): readonly number[] {
    return this.clocks[thread] ?? (this.clocks[thread] = new Array<number>(this.threadCount).fill(0));
  }

  /** A declared step of `thread` starts: its clock joins every earlier conflicting declared step's. */
  private stepStarts(thread: number, op: Op): void {
    const mine = [...this.clockOf(thread)];
    mine[thread] = mine[thread]! + 1;
    const actor = this.actor;
    this.actor = null;
    const touches: (readonly [string, string])[] = [[op.object.name, op.access]];
    for (const t of op.alsoTouches ?? []) touches.push([t.object.name, t.access]);
    this.actor = actor;
    for (const [name, access] of touches) {
      for (const earlier of this.declaredSteps.get(name) ?? []) {
        if (earlier.thread === thread || commute(earlier.access, access)) continue;
        for (let i = 0; i < mine.length; i++) if (earlier.clock[i]! > mine[i]!) mine[i] = earlier.clock[i]!;
      }
    }
    this.clocks[thread] = mine;
    for (const [name, access] of touches) {
      let kinds = this.kindsOn.get(name);
      if (kinds === undefined) this.kindsOn.set(name, (kinds = new Set()));
      kinds.add(access);
      let list = this.declaredSteps.get(name);
      if (list === undefined) this.declaredSteps.set(name, (list = []));
      list.push({ thread, access, clock: mine });
    }
  }

  private breachNow(message: string): void {
    if (this.breach === null) this.breach = message;
  }

  // ---- instrumentation ---------------------------------------------------------------------

  /**
   * Instruments whatever is not yet instrumented and compares containers and objects with what
   * they held, logging differences as writes of the current actor. Reads go through the raw stores,
   * so the walk itself logs nothing.
   */
  private walk(): void {
    const actor = this.actor;
    this.actor = null;
    const epoch = ++this.epoch;
    const changes: { meta: Meta; field: string }[] = [];
    const queue = this.queue;
    queue.length = 0;
    this.visit(this.root, ROOT_OWNER, '', '', epoch);
    for (let i = 0; i < queue.length; i++) {
      const o = queue[i]!;
      const m = this.metas.get(o)!;
      if (m.kind === ARRAY || m.kind === MAP || m.kind === SET) {
        if (!unchanged(o, m.container!.snapshot)) {
          m.container!.snapshot = contents(o);
          changes.push({ meta: m, field: m.container!.label });
        }
        const label = m.container!.label;
        if (m.kind === ARRAY) for (const v of o as unknown[]) this.visit(v, m.owner, m.prefix, label, epoch);
        else if (m.kind === MAP) for (const [k, v] of o as Map<unknown, unknown>) (this.visit(k, m.owner, m.prefix, label, epoch), this.visit(v, m.owner, m.prefix, label, epoch));
        else for (const v of o as Set<unknown>) this.visit(v, m.owner, m.prefix, label, epoch);
      } else if (m.kind === OP) {
        this.visit((o as Op).object, m.owner, '', '', epoch);
      } else if (m.kind === PLAIN) {
        const keys = Object.keys(o);
        if (keys.length !== m.keyCount) {
          // a property added (or removed) after instrumentation: a write that bypassed the accessors
          m.keyCount = keys.length;
          for (const k of keys) {
            if (k in m.store || k === 'name') continue;
            const d = Object.getOwnPropertyDescriptor(o, k);
            if (d !== undefined && 'value' in d && typeof d.value !== 'function' && d.writable === true && d.configurable === true) {
              changes.push({ meta: m, field: m.prefix + k });
              this.instrumentField(o, m, k, d.value);
            }
          }
        }
        for (const k of keys) {
          // why the descriptor: reading through a model's own getter would run its code
          const v = k in m.store ? m.store[k] : Object.getOwnPropertyDescriptor(o, k)?.value;
          if (v !== null && typeof v === 'object') this.visit(v, m.owner, `${m.prefix}${k}.`, m.prefix + k, epoch);
        }
      }
    }
    this.actor = actor;
    for (const c of changes) this.access(c.meta, c.field, true);
  }

  private epoch = 0;
  private readonly queue: object[] = [];

  /** Queues `v` once per walk, instrumenting it the first time it is seen in this execution. */
  private visit(v: unknown, owner: Owner, prefix: string, label: string, epoch: number): void {
    if (v === null || typeof v !== 'object') return;
    let meta = this.metas.get(v);
    if (meta !== undefined) {
      if (meta.epoch === epoch) return;
      meta.epoch = epoch;
      this.queue.push(v);
      return;
    }
    if (this.threadLocal.has(v)) {
      if (label !== '') this.holderFields.add(`${owner.name}\u0000${label}`);
      return;
    }
    const name = v === this.root ? undefined : rawName(v);
    const mine: Owner = name !== undefined ? { object: v as SharedObject, name } : owner;
    const kind = Array.isArray(v) ? ARRAY : v instanceof Map ? MAP : v instanceof Set ? SET : isOp(v) ? OP : NOT_INSTRUMENTED.has(Object.getPrototypeOf(v)) || ArrayBuffer.isView(v) ? OPAQUE : PLAIN;
    const container = kind === ARRAY || kind === MAP || kind === SET ? { label: label || mine.name, snapshot: contents(v) } : null;
    meta = { owner: mine, prefix: name !== undefined ? '' : prefix, store: Object.create(null) as Record<string, unknown>, container, kind, keyCount: 0, epoch };
    this.metas.set(v, meta);
    if (kind === PLAIN) {
      this.instrument(v, meta);
      meta.keyCount = Object.keys(v).length;
    }
    this.queue.push(v);
  }

  private instrument(o: object, meta: Meta): void {
    for (const k of Object.keys(o)) {
      const d = Object.getOwnPropertyDescriptor(o, k);
      // why only writable, configurable data fields: accessors are the model's own code, functions
      // are behaviour, and a frozen field cannot change
      if (d === undefined || !('value' in d) || typeof d.value === 'function' || d.writable !== true || d.configurable !== true) continue;
      // why not the name: it is the object's identity, fixed by the contract of SharedObject
      if (k === 'name' && typeof d.value === 'string') continue;
      this.instrumentField(o, meta, k, d.value);
    }
  }

  private instrumentField(o: object, meta: Meta, k: string, value: unknown): void {
    meta.store[k] = value;
    const field = meta.prefix + k;
    const key = `${meta.owner.name}\u0000${field}`;
    const store = meta.store;
    Object.defineProperty(o, k, {
      enumerable: true,
      configurable: true,
      get: () => {
        if (this.actor !== null) this.access(meta, field, false, key);
        return store[k];
      },
      set: (v: unknown) => {
        if (v !== null && typeof v === 'object' && this.threadLocal.has(v)) this.holderFields.add(key);
        if (this.actor !== null) this.access(meta, field, true, key);
        store[k] = v;
      },
    });
  }
}

/** How `op` declares `object`: 'write' for any non-read access, 'read', or null when it does not. */
function declared(op: Op, object: SharedObject, byEnabled: boolean): 'read' | 'write' | null {
  let found: 'read' | 'write' | null = null;
  if (op.object === object) found = op.access === 'read' ? 'read' : 'write';
  if (found === 'write') return found;
  for (const t of op.alsoTouches ?? []) {
    // why only the marked entries for enabled: the explorer treats only those as able to unblock the step
    if (t.object !== object || (byEnabled && t.readByEnabled !== true)) continue;
    if (t.access !== 'read') return 'write';
    found = 'read';
  }
  return found;
}

function fixFor(a: Actor, owner: Owner, write: boolean): string {
  if (owner.object === null) {
    return `the world's own fields are ghost state that no step can declare: keep it in a named shared object that the steps touching it declare`;
  }
  const n = owner.name;
  switch (a.kind) {
    case 'body':
      return a.after === null
        ? `make it a step (yield* a model helper such as ${write ? 'writeField' : 'readField'}) instead of plain code`
        : `make it a step (yield* a model helper such as ${write ? 'writeField' : 'readField'}) or declare { object: ${n}, access: '${write ? 'write' : 'read'}' } in that step's alsoTouches`;
    case 'run':
      return `add { object: ${n}, access: '${write ? 'write' : 'read'}' } to the op's alsoTouches`;
    case 'enabled':
      return `enabled may read only the op's own object (${a.op.object.name}), the acting thread and the alsoTouches entries marked readByEnabled: add { object: ${n}, access: 'read', readByEnabled: true } to the op's alsoTouches`;
    case 'invariant':
      return `add ${n} to its observes`;
  }
}

/**
 * Whether two access kinds on one object commute: the rule of src/search/dpor/dependency.ts,
 * restated because the runtime imports nothing above it.
 */
function commute(a: string, b: string): boolean {
  const readers = (k: string) => k === 'rcu-enter' || k === 'rcu-exit';
  return (a === 'read' && b === 'read') || (readers(a) && readers(b));
}

/** `B (release) step 5 x: its run` → `B (release) step 5 x` (where the other side acted). */
function brief(where: string): string {
  return where.replace(/: its (run|enabled)$/, '').replace(' in thread code after', ', in thread code after');
}

function rawName(o: object): string | undefined {
  const d = Object.getOwnPropertyDescriptor(o, 'name');
  if (d === undefined) return undefined;
  if ('value' in d) return typeof d.value === 'string' ? d.value : undefined;
  return undefined;
}

function isOp(o: object): boolean {
  const op = o as Partial<Op>;
  return typeof op.run === 'function' && typeof op.label === 'string' && typeof op.object === 'object';
}

function contents(o: object): unknown[] {
  if (Array.isArray(o)) return [o.length, ...(o as unknown[])];
  if (o instanceof Map) return [...o].flat();
  if (o instanceof Set) return [...o];
  return [];
}

/** Whether a container still holds what `contents` took of it, without copying it again. */
function unchanged(o: object, snapshot: readonly unknown[]): boolean {
  let i = 0;
  if (Array.isArray(o)) {
    if (snapshot.length !== o.length + 1 || snapshot[i++] !== o.length) return false;
    for (const v of o as unknown[]) if (!Object.is(v, snapshot[i++])) return false;
    return true;
  }
  if (o instanceof Map) {
    if (snapshot.length !== o.size * 2) return false;
    for (const [k, v] of o) if (!Object.is(k, snapshot[i++]) || !Object.is(v, snapshot[i++])) return false;
    return true;
  }
  if (o instanceof Set) {
    if (snapshot.length !== o.size) return false;
    for (const v of o) if (!Object.is(v, snapshot[i++])) return false;
    return true;
  }
  return true;
}

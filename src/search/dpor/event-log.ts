/**
 * The events of the current execution as `dfs` needs them: which thread ran each one, which
 * objects it touched in which commute group, and the happens-before order as one vector clock per
 * event. Event i is step i.
 *
 * An event has one or more accesses (an op's own object, the extra objects it declares, the
 * invariant observer). Happens-before is the transitive closure of program order and of the order
 * of conflicting accesses (`dependency.ts`). Each object keeps its last exclusive access and the
 * non-exclusive ones since it, so an event's direct conflicting predecessors are found without
 * scanning the execution.
 *
 * Everything lives in typed arrays indexed by event or by access, grown by doubling and reused
 * across executions: a replayed prefix keeps its clocks and accesses, and only new events are
 * computed. Per-object state is invalidated by an epoch counter, not cleared.
 */
import { EXCLUSIVE, groupsCommute } from './dependency';
import { atLeast, EMPTY_BYTES, EMPTY_FLOATS, EMPTY_INTS } from './typed-array';

const NO_SHARED = -1;
const MIXED = -2;

export class EventLog {
  /** Thread that ran event i. */
  thread = EMPTY_INTS;
  /** 1 when event i's op could block (it had an `enabled` predicate). */
  canBlock = EMPTY_BYTES;
  /** 1-based position of event i among its thread's events. */
  local = EMPTY_INTS;
  /** The thread's previous event, -1 for its first. */
  poPrev = EMPTY_INTS;
  /**
   * The `stateKey()` of event i's own object just before it ran (SharedObject.stateKey), NaN when
   * that object declares none.
   */
  keyBefore = EMPTY_FLOATS;
  /** For an object with SharedObject.threadKey, keyBefore[i] is event i's thread's part, and keyAfter[i] that part after it ran. */
  keyAfter = EMPTY_FLOATS;
  /** Event i's accesses are accObj/accGroup[accStart[i] .. accEnd[i]). */
  accStart = EMPTY_INTS;
  accEnd = EMPTY_INTS;
  /** Interned object of access a. */
  accObj = EMPTY_INTS;
  /** Commute group of access a. */
  accGroup = EMPTY_INTS;
  /** Event of access a. */
  accEvent = EMPTY_INTS;
  /** The previous access to the same object in this execution, -1 for the first. */
  accObjPrev = EMPTY_INTS;
  // invariant: sharedPrev[a] links non-exclusive access a to the previous one on its object since
  // that object's last exclusive access (-1 at the end of the chain)
  private sharedPrev = EMPTY_INTS;
  // invariant: clock[i * threads + t] = number of thread t's events that happen before or are event i
  private clock = EMPTY_INTS;
  // invariant: enabledRows[k * threads + t] = 1 when thread t could run at point k (before event k)
  private enabledRows = EMPTY_BYTES;
  // invariant: nth[(k - 1) * threads + t] is thread t's k-th committed event of this execution
  private nth = EMPTY_INTS;
  private capacity = 0;
  private accCapacity = 0;

  /** Per thread, in the current execution: its last event (-1: none yet) and its event count. */
  readonly lastEvent: Int32Array;
  private readonly count: Int32Array;

  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  private objEpoch = EMPTY_INTS;
  private objLastX = EMPTY_INTS;
  private objLastAccess = EMPTY_INTS;
  private objSharedHead = EMPTY_INTS;
  // invariant: objSharedKind[o] is NO_SHARED, MIXED, or the one group of all shared accesses since lastX
  private objSharedKind = EMPTY_INTS;
  private epoch = 0;

  /** Direct conflicting predecessor events found by `collectRaces`: `races[0..raceCount)`. */
  races = EMPTY_INTS;
  raceCount = 0;

  constructor(readonly threads: number) {
    this.lastEvent = new Int32Array(threads);
    this.count = new Int32Array(threads);
    this.grow(32);
    this.growAccesses(64);
    this.growObjects(16);
    this.races = atLeast(this.races, 16);
  }

  /** Interned id of an object name, stable for the whole search. */
  objectId(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(name, id);
      this.names.push(name);
      if (id >= this.objEpoch.length) this.growObjects(id * 2 + 2);
    }
    return id;
  }

  objectName(id: number): string {
    return this.names[id] ?? `#${id}`;
  }

  /** Empties the log for another search of as many threads, keeping its tables. */
  clear(): void {
    this.ids.clear();
    this.names.length = 0;
    this.raceCount = 0;
  }

  /** How many events the tables hold room for. */
  get eventCapacity(): number {
    return this.capacity;
  }

  /** Forget the previous execution's per-thread and per-object state (not its events). */
  beginExecution(): void {
    this.epoch++;
    this.lastEvent.fill(-1);
    this.count.fill(0);
  }

  /** Records the enabled set at point k. */
  setEnabled(k: number, enabled: readonly number[]): void {
    this.ensure(k + 1);
    const base = k * this.threads;
    for (let t = 0; t < this.threads; t++) this.enabledRows[base + t] = 0;
    for (let i = 0; i < enabled.length; i++) this.enabledRows[base + enabled[i]!] = 1;
  }

  /** Records keyBefore[i], before event i runs. */
  setKeyBefore(i: number, key: number): void {
    this.ensure(i + 1);
    this.keyBefore[i] = key;
  }

  /** Records keyAfter[i], after event i ran. */
  setKeyAfter(i: number, key: number): void {
    this.ensure(i + 1);
    this.keyAfter[i] = key;
  }

  isEnabledAt(k: number, thread: number): boolean {
    return this.enabledRows[k * this.threads + thread] === 1;
  }

  /**
   * Starts event i of `thread` (or, with i = the execution's length, a thread's would-be next
   * event that is never committed). Its accesses follow with `addAccess`.
   */
  beginEvent(i: number, thread: number, canBlock: boolean): void {
    this.ensure(i + 1);
    this.thread[i] = thread;
    this.canBlock[i] = canBlock ? 1 : 0;
    this.local[i] = this.count[thread]! + 1;
    this.poPrev[i] = this.lastEvent[thread]!;
    const start = i === 0 ? 0 : this.accEnd[i - 1]!;
    this.accStart[i] = start;
    this.accEnd[i] = start;
  }

  addAccess(i: number, obj: number, group: number): void {
    const a = this.accEnd[i]!;
    if (a >= this.accCapacity) this.growAccesses(this.accCapacity * 2);
    this.accObj[a] = obj;
    this.accGroup[a] = group;
    this.accEvent[a] = i;
    this.accEnd[i] = a + 1;
  }

  /**
   * Event i's clock from its program-order predecessor and its direct conflicting predecessors,
   * and into `races` the ones that race with it: predecessors of other threads that happen before
   * neither its program-order predecessor nor another predecessor. Returns the race count.
   */
  computeClockAndRaces(i: number): number {
    this.collectPredecessors(i);
    const t = this.threads;
    const c = this.clock;
    const base = i * t;
    const prev = this.poPrev[i]!;
    // why loops: copyWithin and fill are builtin calls, dearer than a dozen stores
    if (prev >= 0) for (let k = 0, from = prev * t; k < t; k++) c[base + k] = c[from + k]!;
    else for (let k = 0; k < t; k++) c[base + k] = 0;
    const preds = this.races;
    const n = this.raceCount;
    for (let p = 0; p < n; p++) {
      const pb = preds[p]! * t;
      for (let k = 0; k < t; k++) if (c[pb + k]! > c[base + k]!) c[base + k] = c[pb + k]!;
    }
    c[base + this.thread[i]!] = this.local[i]!;
    return this.keepRaces(i);
  }

  private collectPredecessors(i: number): void {
    let n = 0;
    for (let a = this.accStart[i]!; a < this.accEnd[i]!; a++) {
      const obj = this.accObj[a]!;
      const group = this.accGroup[a]!;
      this.freshen(obj);
      const lastX = this.objLastX[obj]!;
      if (lastX >= 0) n = this.pushPred(this.accEvent[lastX]!, n);
      const kind = this.objSharedKind[obj]!;
      if (kind !== NO_SHARED && (group === EXCLUSIVE || kind === MIXED || kind !== group)) {
        for (let s = this.objSharedHead[obj]!; s >= 0; s = this.sharedPrev[s]!) {
          if (!groupsCommute(group, this.accGroup[s]!)) n = this.pushPred(this.accEvent[s]!, n);
        }
      }
    }
    this.raceCount = n;
  }

  private pushPred(e: number, n: number): number {
    const preds = this.races;
    for (let k = 0; k < n; k++) if (preds[k] === e) return n;
    if (n >= preds.length) this.races = atLeast(preds, n * 2);
    this.races[n] = e;
    return n + 1;
  }

  private keepRaces(i: number): number {
    const preds = this.races;
    const n = this.raceCount;
    const thread = this.thread[i]!;
    const poPrev = this.poPrev[i]!;
    let kept = 0;
    for (let a = 0; a < n; a++) {
      const x = preds[a]!;
      if (this.thread[x] === thread) continue;
      if (poPrev >= 0 && this.happensBefore(x, poPrev)) continue;
      let covered = false;
      for (let b = 0; b < n && !covered; b++) {
        const y = preds[b]!;
        covered = y !== x && this.happensBefore(x, y);
      }
      if (!covered) preds[kept++] = x;
    }
    this.raceCount = kept;
    return kept;
  }

  /** Event i becomes the latest on its objects and its thread. */
  commit(i: number): void {
    for (let a = this.accStart[i]!; a < this.accEnd[i]!; a++) {
      const o = this.accObj[a]!;
      const g = this.accGroup[a]!;
      this.freshen(o);
      this.accObjPrev[a] = this.objLastAccess[o]!;
      this.objLastAccess[o] = a;
      if (g === EXCLUSIVE) {
        this.objLastX[o] = a;
        this.objSharedHead[o] = -1;
        this.objSharedKind[o] = NO_SHARED;
      } else {
        this.sharedPrev[a] = this.objSharedHead[o]!;
        this.objSharedHead[o] = a;
        const kind = this.objSharedKind[o]!;
        this.objSharedKind[o] = kind === NO_SHARED || kind === g ? g : MIXED;
      }
    }
    const t = this.thread[i]!;
    this.nth[(this.local[i]! - 1) * this.threads + t] = i;
    this.lastEvent[t] = i;
    this.count[t]!++;
  }

  /** Thread t's k-th event (k ≥ 1) of this execution, which must have been committed. */
  eventOfThread(t: number, k: number): number {
    return this.nth[(k - 1) * this.threads + t]!;
  }

  /** How many of thread t's events happen before or are event i. */
  clockOf(i: number, t: number): number {
    return this.clock[i * this.threads + t]!;
  }

  /** The latest committed access to obj in this execution, -1 if none. */
  latestAccess(obj: number): number {
    this.freshen(obj);
    return this.objLastAccess[obj]!;
  }

  /** Whether event a happens before (or is) event b. */
  happensBefore(a: number, b: number): boolean {
    return this.clock[b * this.threads + this.thread[a]!]! >= this.local[a]!;
  }

  private freshen(o: number): void {
    if (this.objEpoch[o] === this.epoch) return;
    this.objEpoch[o] = this.epoch;
    this.objLastX[o] = -1;
    this.objLastAccess[o] = -1;
    this.objSharedHead[o] = -1;
    this.objSharedKind[o] = NO_SHARED;
  }

  private ensure(events: number): void {
    if (events > this.capacity) this.grow(Math.max(events, this.capacity * 2));
  }

  private grow(n: number): void {
    const t = this.threads;
    this.thread = atLeast(this.thread, n);
    this.canBlock = atLeast(this.canBlock, n);
    this.keyBefore = atLeast(this.keyBefore, n);
    this.keyAfter = atLeast(this.keyAfter, n);
    this.local = atLeast(this.local, n);
    this.poPrev = atLeast(this.poPrev, n);
    this.accStart = atLeast(this.accStart, n);
    this.accEnd = atLeast(this.accEnd, n);
    this.clock = atLeast(this.clock, n * t);
    this.enabledRows = atLeast(this.enabledRows, (n + 1) * t);
    this.nth = atLeast(this.nth, n * t);
    this.capacity = n;
  }

  private growAccesses(n: number): void {
    this.accObj = atLeast(this.accObj, n);
    this.accGroup = atLeast(this.accGroup, n);
    this.accEvent = atLeast(this.accEvent, n);
    this.accObjPrev = atLeast(this.accObjPrev, n);
    this.sharedPrev = atLeast(this.sharedPrev, n);
    this.accCapacity = n;
  }

  private growObjects(n: number): void {
    this.objEpoch = atLeast(this.objEpoch, n);
    this.objLastX = atLeast(this.objLastX, n);
    this.objLastAccess = atLeast(this.objLastAccess, n);
    this.objSharedHead = atLeast(this.objSharedHead, n);
    this.objSharedKind = atLeast(this.objSharedKind, n);
  }
}

/**
 * The partial-order-reduction benchmark programs of shared/benchmarks.md as weft programs, each
 * with the published number of Mazurkiewicz traces (complete executions of an optimal explorer).
 *
 * Conventions the counts assume, and how they are kept here: a step is one access to one shared
 * cell or mutex; a successful or failed CAS and `x := x + 1` are one `write` step; thread-private
 * work (loop counters, hashing) is computed inside a step, never a step of its own; lock and
 * unlock of one mutex are dependent. The ops are bare (no lockdep or data-race books), so the
 * benchmark measures the explorer, not the models.
 */
import type { Op, SharedObject, Steps, ThreadContext } from '../src/runtime/op';
import { defineScenario, type Params, type Scenario, type ThreadBody } from '../src/runtime/scenario';
import { DEFAULT_LIMITS, type SearchLimits } from '../src/search/explorer';

/**
 * Search limits for these programs: no audit executions. Their ops take arguments from per-thread
 * slots of a cell's array (so a step allocates nothing), and the audit, whose unit is a whole
 * field, takes each slot's write by thread code for a write of the shared cell.
 */
export const BENCH_LIMITS: SearchLimits = { ...DEFAULT_LIMITS, auditExecutions: 0 };

/** A benchmark program with its published execution count. */
export interface BenchProgram {
  /** Family id (`lastzero`). */
  readonly id: string;
  readonly params: Params;
  /** Complete executions an optimal explorer must report: one per Mazurkiewicz trace. */
  readonly expected: number;
  build(params: Params): Scenario;
}

/**
 * A shared cell. Its ops are made once per cell and world (lazily, on first use) and take their
 * argument from the acting thread's slot in `args`, so a step allocates nothing. Ops are class
 * instances with methods rather than literals with closures: building a world stays cheap.
 */
interface Cell extends SharedObject {
  value: number;
  readonly args: number[];
  readOp?: ReadOp;
  writeOp?: WriteOp;
  incrementOp?: IncrementOp;
  casZeroOp?: CasZeroOp;
}

interface Mutex extends SharedObject {
  owner: number;
  lockOp?: LockOp;
  unlockOp?: UnlockOp;
}

class ReadOp implements Op<number> {
  readonly access = 'read';
  readonly label: string;
  constructor(readonly object: Cell) {
    this.label = `r := ${object.name}`;
  }
  run(): number {
    return this.object.value;
  }
}

class WriteOp implements Op<void> {
  readonly access = 'write';
  readonly label: string;
  constructor(readonly object: Cell) {
    this.label = `${object.name} := v`;
  }
  run(self: ThreadContext): void {
    this.object.value = this.object.args[self.id]!;
  }
}

/** x := x + 1 as one atomic step. */
class IncrementOp implements Op<void> {
  readonly access = 'write';
  readonly label: string;
  constructor(readonly object: Cell) {
    this.label = `${object.name} := ${object.name} + 1`;
  }
  run(): void {
    this.object.value++;
  }
}

/** CAS(c, 0, v): one write step, successful or not. */
class CasZeroOp implements Op<boolean> {
  readonly access = 'write';
  readonly label: string;
  constructor(readonly object: Cell) {
    this.label = `CAS(${object.name}, 0, v)`;
  }
  run(self: ThreadContext): boolean {
    if (this.object.value !== 0) return false;
    this.object.value = this.object.args[self.id]!;
    return true;
  }
}

class LockOp implements Op<void> {
  readonly access = 'acquire';
  readonly label: string;
  constructor(readonly object: Mutex) {
    this.label = `lock(${object.name})`;
  }
  enabled(): boolean {
    return this.object.owner < 0;
  }
  run(self: ThreadContext): void {
    this.object.owner = self.id;
  }
}

class UnlockOp implements Op<void> {
  readonly access = 'release';
  readonly label: string;
  constructor(readonly object: Mutex) {
    this.label = `unlock(${object.name})`;
  }
  run(): void {
    this.object.owner = -1;
  }
}

const cell = (name: string, args: number[]): Cell => ({ name, value: 0, args });
const mutex = (name: string): Mutex => ({ name, owner: -1 });

function* load(c: Cell): Steps<number> {
  return (yield (c.readOp ??= new ReadOp(c))) as number;
}

function* store(c: Cell, self: ThreadContext, value: number): Steps<void> {
  c.args[self.id] = value;
  yield (c.writeOp ??= new WriteOp(c));
}

function* increment(c: Cell): Steps<void> {
  yield (c.incrementOp ??= new IncrementOp(c));
}

function* casZero(c: Cell, self: ThreadContext, desired: number): Steps<boolean> {
  c.args[self.id] = desired;
  return (yield (c.casZeroOp ??= new CasZeroOp(c))) as boolean;
}

function* lock(m: Mutex): Steps<void> {
  yield (m.lockOp ??= new LockOp(m));
}

function* unlock(m: Mutex): Steps<void> {
  yield (m.unlockOp ??= new UnlockOp(m));
}

function program<W extends object>(id: string, setup: () => W, threads: Record<string, ThreadBody<W>>): Scenario {
  return defineScenario<W>({
    id,
    title: `benchmark ${id}`,
    commits: [],
    setup,
    variants: { main: { summary: id, expect: 'holds', threads } },
  });
}

function num(params: Params, name: string): number {
  const v = params[name];
  if (v === undefined || !Number.isInteger(v) || v < 0) throw new RangeError(`parameter ${name} must be a natural number, got ${v}`);
  return v;
}

/** readers(n): W writes x, R1..Rn read it. */
export function readers(params: Params): Scenario {
  const n = num(params, 'n');
  const threads: Record<string, ThreadBody<{ x: Cell }>> = {
    writer: function* (w, self) {
      yield* store(w.x, self, 42);
    },
  };
  for (let i = 1; i <= n; i++) {
    threads[`reader${i}`] = function* (w) {
      yield* load(w.x);
    };
  }
  return program('readers', () => ({ x: cell('x', []) }), threads);
}

/** lastzero(n): thread 0 scans a[n..0] for the last zero; thread j copies a[j-1] + 1 into a[j]. */
export function lastzero(params: Params): Scenario {
  const n = num(params, 'n');
  type W = { a: Cell[] };
  const threads: Record<string, ThreadBody<W>> = {
    scan: function* (w) {
      for (let i = n; i >= 0; i--) if ((yield* load(w.a[i]!)) === 0) return;
    },
  };
  for (let j = 1; j <= n; j++) {
    threads[`copy${j}`] = function* (w, self) {
      const r = yield* load(w.a[j - 1]!);
      yield* store(w.a[j]!, self, r + 1);
    };
  }
  return program('lastzero', () => {
    const args: number[] = [];
    return { a: Array.from({ length: n + 1 }, (_, i) => cell(`a[${i}]`, args)) };
  }, threads);
}

const INDEXER_SIZE = 128;

/** indexer(n): n threads each insert 4 keys into a 128-slot open-addressing table by CAS. */
export function indexer(params: Params): Scenario {
  const n = num(params, 'n');
  type W = { table: Cell[] };
  const threads: Record<string, ThreadBody<W>> = {};
  for (let t = 0; t < n; t++) {
    threads[`indexer${t}`] = function* (w, self) {
      for (let i = 0; i < 4; i++) {
        const key = 11 * i + t;
        for (let h = (7 * key) % INDEXER_SIZE; !(yield* casZero(w.table[h]!, self, key)); h = (h + 1) % INDEXER_SIZE);
      }
    };
  }
  return program('indexer', () => {
    const args: number[] = [];
    return { table: Array.from({ length: INDEXER_SIZE }, (_, i) => cell(`table[${i}]`, args)) };
  }, threads);
}

/** writers-reader(w): w threads write x, one reads it. */
export function writersReader(params: Params): Scenario {
  const writers = num(params, 'w');
  const threads: Record<string, ThreadBody<{ x: Cell }>> = {};
  for (let i = 1; i <= writers; i++) {
    threads[`writer${i}`] = function* (w, self) {
      yield* store(w.x, self, i);
    };
  }
  threads.reader = function* (w) {
    yield* load(w.x);
  };
  return program('writers-reader', () => ({ x: cell('x', []) }), threads);
}

/** two-writers-read(n): two threads each write x n times, then read it. */
export function twoWritersRead(params: Params): Scenario {
  const n = num(params, 'n');
  const threads: Record<string, ThreadBody<{ x: Cell }>> = {};
  for (const k of [0, 1]) {
    threads[`writer${k}`] = function* (w, self) {
      for (let i = 0; i < n; i++) yield* store(w.x, self, k);
      yield* load(w.x);
    };
  }
  return program('two-writers-read', () => ({ x: cell('x', []) }), threads);
}

/** mpat(k): wa_i lock and unlock ma[i]; ra_i do so under mi. */
export function mpat(params: Params): Scenario {
  const k = num(params, 'k');
  type W = { mi: Mutex; ma: Mutex[] };
  const threads: Record<string, ThreadBody<W>> = {};
  for (let i = 0; i < k; i++) {
    threads[`wa${i}`] = function* (w) {
      yield* lock(w.ma[i]!);
      yield* unlock(w.ma[i]!);
    };
    threads[`ra${i}`] = function* (w) {
      yield* lock(w.mi);
      yield* lock(w.ma[i]!);
      yield* unlock(w.ma[i]!);
      yield* unlock(w.mi);
    };
  }
  return program('mpat', () => ({ mi: mutex('mi'), ma: Array.from({ length: k }, (_, i) => mutex(`ma[${i}]`)) }), threads);
}

/** mutex-order(n): n threads increment x under one mutex. */
export function mutexOrder(params: Params): Scenario {
  const n = num(params, 'n');
  type W = { m: Mutex; x: Cell };
  const threads: Record<string, ThreadBody<W>> = {};
  for (let i = 0; i < n; i++) {
    threads[`t${i}`] = function* (w) {
      yield* lock(w.m);
      yield* increment(w.x);
      yield* unlock(w.m);
    };
  }
  return program('mutex-order', () => ({ m: mutex('m'), x: cell('x', []) }), threads);
}

/** independent(k, n): k threads of n writes, each to its own object. */
export function independent(params: Params): Scenario {
  const k = num(params, 'k');
  const n = num(params, 'n');
  type W = { own: Cell[] };
  const threads: Record<string, ThreadBody<W>> = {};
  for (let t = 0; t < k; t++) {
    threads[`t${t}`] = function* (w, self) {
      for (let i = 0; i < n; i++) yield* store(w.own[t]!, self, i);
    };
  }
  return program('independent', () => {
    const args: number[] = [];
    return { own: Array.from({ length: k }, (_, t) => cell(`own${t}`, args)) };
  }, threads);
}

function factorial(n: number): number {
  return n <= 1 ? 1 : n * factorial(n - 1);
}

const entry = (id: string, build: (p: Params) => Scenario, params: Params, expected: number): BenchProgram => ({ id, params, expected, build });

/** Every benchmark instance with its published count, smallest first within a family. */
export const programs: readonly BenchProgram[] = [
  ...[2, 8, 13].map((n) => entry('readers', readers, { n }, 2 ** n)),
  ...([[1, 2], [2, 5], [3, 12], [4, 28], [5, 64], [10, 3328], [15, 147_456]] as const).map(([n, c]) => entry('lastzero', lastzero, { n }, c)),
  ...([[11, 1], [12, 8], [13, 64], [14, 512], [15, 4096]] as const).map(([n, c]) => entry('indexer', indexer, { n }, c)),
  ...[3, 5].map((w) => entry('writers-reader', writersReader, { w }, factorial(w + 1))),
  ...([[1, 4], [2, 14], [3, 50], [4, 182]] as const).map(([n, c]) => entry('two-writers-read', twoWritersRead, { n }, c)),
  ...[4, 5, 6, 7].map((k) => entry('mpat', mpat, { k }, factorial(k) * 2 ** k)),
  ...[3, 4, 5].map((n) => entry('mutex-order', mutexOrder, { n }, factorial(n))),
  entry('independent', independent, { k: 4, n: 5 }, 1),
];

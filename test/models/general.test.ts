/**
 * The vocabulary for programs that are not kernel code paths: awaitUntil, the Mesa condition
 * variable, spawn/join, assertions from assertion libraries, and final-state invariants.
 */
import assert from 'node:assert/strict';
import { describe, expect, it } from 'vitest';
import { awaitUntil } from '../../models/await';
import { condBroadcast, condSignal, condWait, newCondVar, type CondVar } from '../../models/condvar';
import { mutexLock, mutexUnlock, newMutex, type Mutex } from '../../models/mutex';
import { join, newTask, spawn, spawned, type Task } from '../../models/task';
import type { Op, SharedObject } from '../../src/index';
import { ExecutionRunner } from '../../src/runtime/execution';
import { DfsStrategy } from '../../src/search/strategies/dfs';
import { ExhaustiveStrategy } from '../../src/search/strategies/exhaustive';
import { checkVariant } from '../../src/search/variant';
import { checksFiredAnywhere, foundViolation } from '../helpers/detectors';
import { firedChecks, program, runSchedule } from '../helpers/program';

interface Cell extends SharedObject {
  value: number;
}
const cell = (name: string): Cell => ({ name, value: 0 });

describe('awaitUntil', () => {
  it('blocks until the condition holds on its object, then runs; never holding is a deadlock', () => {
    const p = program<{ c: Cell }>({
      setup: () => ({ c: cell('c') }),
      threads: {
        waiter: function* (w) {
          const v = yield* awaitUntil(w.c, (c) => c.value > 0, { read: (c) => c.value });
          assert.equal(v, 1);
        },
        setter: function* (w) {
          yield { object: w.c, access: 'write', label: 'c = 1', run: () => void (w.c.value = 1) };
        },
      },
    });
    expect(() => runSchedule(p, 'A')).toThrow(/cannot run/);
    expect(runSchedule(p, 'BA').steps.map((s) => s.label)).toEqual(['c = 1', 'await c']);
    expect(checksFiredAnywhere(p)).toEqual(new Set());
    const never = program<{ c: Cell }>({ setup: () => ({ c: cell('c') }), threads: { waiter: (w) => awaitUntil(w.c, (c) => c.value > 0) } });
    expect(foundViolation(never, 'deadlock')?.message).toMatch(/await c to hold/);
  });
});

describe('awaitUntil over several objects', () => {
  interface Gen extends SharedObject { value: number; writes: number }
  const gen = (name: string, value: number): Gen => ({ name, value, writes: 0 });
  const write = (g: Gen, value: number) => ({ object: g, access: 'write' as const, label: `${g.name} = ${value}`, run: () => void ((g.value = value), g.writes++) });
  interface W { x: Gen; y: Gen }
  // B is thread A here so that the first execution runs it to the end: the waiter's early window
  // (before y = 0) is reached only by reversing its race with y = 1 back past y = 0, a walk over
  // the second object's accesses, not the first's
  const windowed = (threads: 'several' | 'first-only') =>
    program<W>({
      setup: () => ({ x: gen('x', 0), y: gen('y', 1) }),
      threads: {
        writer: function* (w) {
          yield write(w.y, 0);
          yield write(w.y, 1);
        },
        waiter: function* (w) {
          const seen =
            threads === 'several'
              ? yield* awaitUntil([w.x, w.y], ([x, y]) => x.value === 0 && y.value === 1, { read: ([, y]) => y.writes })
              : yield* awaitUntil(w.x, (x) => x.value === 0, { read: () => w.y.writes });
          assert.notEqual(seen, 0, 'the waiter ran before the writer');
        },
      },
    });

  it('declares every object, so a write to the second one is what wakes it; dfs finds what exhaustive finds', () => {
    const p = windowed('several');
    const first = p.variants.main!.threads.waiter!(p.setup({}) as W, { id: 1 } as never).next().value as Op;
    expect(first.object.name).toBe('x');
    expect(first.alsoTouches).toEqual([{ object: expect.objectContaining({ name: 'y' }), access: 'read', readByEnabled: true }]);
    expect(runSchedule(p, 'AAB').violations).toEqual([]);
    expect(() => runSchedule(p, 'AB')).toThrow(/cannot run/);
    expect(firedChecks(runSchedule(p, 'B'))).toEqual(['assertion']);
    const byDfs = checkVariant(p, 'main', { strategy: new DfsStrategy() });
    const byExhaustive = checkVariant(p, 'main', { strategy: new ExhaustiveStrategy() });
    expect(byExhaustive.kind).toBe('violated');
    expect(byDfs.kind).toBe('violated');
    expect(byDfs.kind === 'violated' && byDfs.violations.map((v) => v.check)).toEqual(['assertion']);
  });

  it('dfs explores one execution per class of a several-object wait, as exhaustive enumerates them', () => {
    // two writers, each toggling one object, and a waiter on both: classes are told apart by when
    // the waiter ran, and each must be explored
    interface V { x: Gen; y: Gen; seen: number[] }
    const p = program<V>({
      setup: () => ({ x: gen('x', 1), y: gen('y', 1), seen: [] }),
      threads: {
        wx: function* (w) { yield write(w.x, 0); yield write(w.x, 1); },
        wy: function* (w) { yield write(w.y, 0); yield write(w.y, 1); },
        waiter: function* (w) {
          const seen = yield* awaitUntil([w.x, w.y], ([x, y]) => x.value + y.value === 2, { read: ([x, y]) => x.writes * 10 + y.writes });
          w.seen.push(seen);
        },
      },
    });
    const outcomes = (strategy: DfsStrategy | ExhaustiveStrategy) => {
      const runner = new ExecutionRunner(p, p.variants.main!, p.params);
      const seen = new Set<number>();
      let runs = 0;
      while (strategy.beginExecution()) {
        let world: V | null = null;
        const outcome = runner.run(strategy, { onStep: (r) => void (world = r.world as V) });
        if (strategy.endExecution(outcome) === 'counted' && outcome.status !== 'abandoned') runs++;
        for (const s of (world as V | null)?.seen ?? []) seen.add(s);
      }
      return { seen: [...seen].sort((a, b) => a - b), runs };
    };
    const dfs = outcomes(new DfsStrategy());
    const all = outcomes(new ExhaustiveStrategy());
    expect(dfs.seen).toEqual(all.seen);
    expect(dfs.seen).toEqual([0, 2, 20, 22]);
    expect(dfs.runs).toBe(4);
  });

  it('the footprint audit rejects an enabled that reads an object it does not mark readByEnabled', () => {
    const hidden = (mark: boolean) =>
      program<W>({
        setup: () => ({ x: gen('x', 0), y: gen('y', 0) }),
        threads: {
          waiter: function* (w) {
            yield {
              object: w.x,
              access: 'read',
              label: 'wait for y',
              alsoTouches: [{ object: w.y, access: 'read', ...(mark ? { readByEnabled: true } : {}) }],
              enabled: () => w.y.value === 1,
              run: () => undefined,
            };
          },
          setter: function* (w) {
            yield write(w.y, 1);
          },
        },
      });
    expect(() => checkVariant(hidden(false), 'main', { limits: { auditExecutions: 10 } })).toThrow(/its enabled reads y\.value.*readByEnabled: true/);
    expect(checkVariant(hidden(true), 'main', { limits: { auditExecutions: 10 } }).kind).toBe('holds');
    // a condition written over one object that reads another in its result is caught the same way
    expect(() => checkVariant(windowed('first-only'), 'main', { limits: { auditExecutions: 10 } })).toThrow(/its run reads y\.writes/);
  });
});

describe('assertions and final-state invariants', () => {
  it('an AssertionError in thread code, in an op and in an invariant is a violation, not a model error', () => {
    const inThread = program<{ c: Cell }>({
      setup: () => ({ c: cell('c') }),
      threads: {
        a: function* (w) {
          const v = yield* awaitUntil(w.c, () => true, { read: (c) => c.value });
          assert.equal(v, 0, 'a saw the write');
        },
        b: function* (w) {
          yield { object: w.c, access: 'write', label: 'c = 1', run: () => void (w.c.value = 1) };
        },
      },
    });
    const v = foundViolation(inThread, 'assertion');
    expect(v?.message).toMatch(/a saw the write/);
    expect(v?.fatal).toBe(true);
    const inOp = program<{ c: Cell }>({
      setup: () => ({ c: cell('c') }),
      threads: { a: function* (w) { yield { object: w.c, access: 'read', label: 'check c', run: () => assert.ok(false, 'op assertion') }; } },
    });
    expect(firedChecks(runSchedule(inOp, 'A'))).toEqual(['assertion']);
    const inInvariant = program<{ c: Cell }>({
      setup: () => ({ c: cell('c') }),
      invariants: [{ id: 'c-zero', description: 'c stays 0', check: (w) => (assert.equal(w.c.value, 0), true) }],
      threads: { a: function* (w) { yield { object: w.c, access: 'write', label: 'c = 1', run: () => void (w.c.value = 1) }; } },
    });
    expect(firedChecks(runSchedule(inInvariant, 'A'))).toEqual(['c-zero']);
  });

  it('a final-state invariant is checked once, after every thread returned, and sees the lost update', () => {
    interface W { c: Cell }
    const increment = function* (w: W) {
      const v = yield* awaitUntil(w.c, () => true, { read: (c) => c.value, label: 'load c' });
      yield { object: w.c, access: 'write' as const, label: `c = ${v + 1}`, run: () => void (w.c.value = v + 1) };
    };
    const p = program<W>({ setup: () => ({ c: cell('c') }), threads: { a: increment, b: increment } });
    const withFinal = { ...p, variants: { main: { ...p.variants.main!, finalState: [{ id: 'both-counted', description: 'c is 2 at the end', check: (w: object) => ((w as W).c.value === 2 ? true : `c is ${(w as W).c.value}`) }] } } };
    const v = foundViolation(withFinal, 'both-counted');
    expect(v).toMatchObject({ message: 'final state: c is 1', thread: -1, fatal: false });
    expect(firedChecks(runSchedule(withFinal, 'AABB'))).toEqual([]);
    expect(firedChecks(runSchedule(withFinal, 'ABAB'))).toEqual(['both-counted']);
  });
});

describe('condition variable (Mesa)', () => {
  interface W { m: Mutex; cv: CondVar; ready: Cell }
  const world = (): W => ({ m: newMutex('m'), cv: newCondVar('cv'), ready: cell('ready') });

  it('wait releases the mutex and takes it again; a signal before the wait is lost', () => {
    const p = program<W>({
      setup: world,
      threads: {
        waiter: function* (w) {
          yield* mutexLock(w.m);
          yield* condWait(w.cv, w.m);
          yield* mutexUnlock(w.m);
        },
        signaller: function* (w) {
          yield* mutexLock(w.m);
          yield* condSignal(w.cv);
          yield* mutexUnlock(w.m);
        },
      },
    });
    expect(runSchedule(p, 'AABBBAAA').steps.map((s) => s.label)).toEqual([
      'mutex_lock(&m)',
      'cond_wait(&cv, &m)',
      'mutex_lock(&m)',
      'cond_signal(&cv)',
      'mutex_unlock(&m)',
      'cond_wait(&cv, &m): woken',
      'mutex_lock(&m)',
      'mutex_unlock(&m)',
    ]);
    // signalled first, the waiter sleeps for good
    expect(foundViolation(p, 'deadlock')?.message).toMatch(/cond_signal\(&cv\)/);
  });

  it('broadcast wakes every waiter; signal only the oldest', () => {
    const waiter = function* (w: W) {
      yield* mutexLock(w.m);
      yield* condWait(w.cv, w.m);
      yield* mutexUnlock(w.m);
    };
    const wake = (all: boolean) =>
      program<W>({
        setup: world,
        threads: {
          a: waiter,
          b: waiter,
          waker: function* (w) {
            yield* awaitUntil(w.cv, (cv) => cv.waiters.length === 2, { label: 'both waiting' });
            yield* mutexLock(w.m);
            yield* (all ? condBroadcast(w.cv) : condSignal(w.cv));
            yield* mutexUnlock(w.m);
          },
        },
      });
    expect(checksFiredAnywhere(wake(true))).toEqual(new Set());
    expect(checksFiredAnywhere(wake(false))).toEqual(new Set(['deadlock']));
  });

  it('waiting without the mutex is unlock-not-held; spurious wakeups are explored when asked for', () => {
    const unheld = program<W>({ setup: world, threads: { a: (w) => condWait(w.cv, w.m) } });
    expect(firedChecks(runSchedule(unheld, 'A'))).toEqual(['unlock-not-held']);
    const lonely = (spurious: boolean) =>
      program<W>({
        setup: () => ({ ...world(), cv: newCondVar('cv', { spurious }) }),
        threads: {
          a: function* (w) {
            yield* mutexLock(w.m);
            yield* condWait(w.cv, w.m);
            yield* mutexUnlock(w.m);
          },
        },
      });
    expect(checksFiredAnywhere(lonely(false))).toEqual(new Set(['deadlock']));
    expect(checksFiredAnywhere(lonely(true))).toEqual(new Set());
  });
});

describe('spawn and join', () => {
  interface W { t: Task; c: Cell }
  it('a spawned thread runs only after spawn; join waits for its end and orders its writes', () => {
    const p = program<W>({
      setup: () => ({ t: newTask('worker'), c: cell('c') }),
      threads: {
        parent: function* (w) {
          yield* spawn(w.t);
          yield* join(w.t);
          const v = yield* awaitUntil(w.c, () => true, { read: (c) => c.value, label: 'read c' });
          assert.equal(v, 1, 'join returned before the worker wrote');
        },
        worker: spawned<W>((w) => w.t, function* (w) {
          yield { object: w.c, access: 'write', label: 'c = 1', run: () => void (w.c.value = 1) };
        }),
      },
    });
    expect(() => runSchedule(p, 'B')).toThrow(/cannot run/);
    expect(checksFiredAnywhere(p)).toEqual(new Set());
    expect(runSchedule(p, 'ABBBAA').steps.map((s) => s.label)).toEqual(['spawn worker', 'worker starts', 'c = 1', 'worker exits', 'join worker', 'read c']);
  });

  it('joining a task never spawned deadlocks; spawning twice is a bug', () => {
    const never = program<W>({ setup: () => ({ t: newTask('worker'), c: cell('c') }), threads: { parent: (w) => join(w.t) } });
    expect(foundViolation(never, 'deadlock')?.message).toMatch(/never spawned/);
    const twice = program<W>({
      setup: () => ({ t: newTask('worker'), c: cell('c') }),
      threads: { parent: function* (w) { yield* spawn(w.t); yield* spawn(w.t); } },
    });
    expect(firedChecks(runSchedule(twice, 'AA'))).toEqual(['bug-on']);
  });
});

describe('assertion messages', () => {
  it("node:assert's multi-line message becomes one line", () => {
    const p = program<{ c: Cell }>({
      setup: () => ({ c: cell('c') }),
      threads: { a: function* (w) { const v = yield* awaitUntil(w.c, () => true, { read: (c) => c.value }); assert.equal(v, 1); } },
    });
    const [v] = runSchedule(p, 'A').violations;
    expect(v?.check).toBe('assertion');
    expect(v?.message).toMatch(/^after step 1: Expected values to be strictly equal: 0 !== 1$/);
  });
});

describe('ops are built once, not per step', () => {
  it('a wait, a signal, a spawn and a join announce the same op objects every time', () => {
    const m = newMutex('m');
    const cv = newCondVar('cv');
    const t = newTask('worker');
    const first = <T>(g: Generator<T>) => g.next().value;
    expect(first(condWait(cv, m))).toBe(first(condWait(cv, m)));
    expect(first(condWait(cv, m))).not.toBe(first(condWait(cv, newMutex('m2'))));
    expect(first(condSignal(cv))).toBe(first(condSignal(cv)));
    expect(first(spawn(t))).toBe(first(spawn(t)));
    expect(first(join(t))).toBe(first(join(t)));
  });
});

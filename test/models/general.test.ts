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
import type { SharedObject } from '../../src/index';
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

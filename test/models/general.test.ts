/**
 * The vocabulary for programs that are not kernel code paths: awaitUntil, the Mesa condition
 * variable, spawn/join, assertions from assertion libraries, and final-state invariants.
 */
import assert from 'node:assert/strict';
import { describe, expect, it } from 'vitest';
import { awaitUntil } from '../../models/await';
import { choose } from '../../models/choose';
import { runChecks } from '../../src/app/check';
import { defineScenario, describeVerdict, type Scenario, type Variant } from '../../src/index';
import { renderVariant } from '../../src/report/text';
import { reportsToJson } from '../../src/report/json';
import { renderJunit } from '../../src/report/junit';
import { DEFAULT_LIMITS } from '../../src/search/explorer';
import { BoundedStrategy } from '../../src/search/strategies/bounded';
import { PctStrategy } from '../../src/search/strategies/pct';
import { RandomStrategy } from '../../src/search/strategies/random';
import type { Strategy } from '../../src/search/strategy';
import { decodeToken, encodeToken } from '../../src/trace/schedule-token';
import { recordTrace } from '../../src/trace/trace';
import { condBroadcast, condSignal, condWait, newCondVar, type CondVar } from '../../models/condvar';
import { mutexLock, mutexUnlock, newMutex, type Mutex } from '../../models/mutex';
import { join, newTask, spawn, spawned, type Task } from '../../models/task';
import { perform, type Op, type SharedObject, type Steps } from '../../src/index';
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
    // (exhaustive runs the writer first: dfs runs the waiter first, whose assertion then ends the
    // search before the writer's write meets the undeclared read)
    expect(() => checkVariant(windowed('first-only'), 'main', { strategy: new ExhaustiveStrategy(), limits: { auditExecutions: 10 } })).toThrow(/its run reads y\.writes/);
  });
});

describe('choose(n)', () => {
  interface W { x: Cell }
  const store = (c: Cell, v: number) => ({ object: c, access: 'write' as const, label: `${c.name} = ${v}`, run: () => void (c.value = v) });
  // fails only when the chooser picks 2 and the checker reads after the store
  // without the choice, a step that touches only the chooser's own object stands in its place
  const picky = (withChoice: boolean) =>
    program<W>({
      setup: () => ({ x: cell('x') }),
      threads: {
        chooser: function* (w) {
          const v = withChoice ? yield* choose(3) : yield* awaitUntil(cell('own'), () => true, { read: () => 1, label: 'fixed value' });
          yield store(w.x, v + 10);
        },
        checker: function* (w) {
          const seen = yield* awaitUntil(w.x, () => true, { read: (x) => x.value, label: 'read x' });
          assert.notEqual(seen, 12, 'the chooser picked 2');
        },
      },
    });
  const count = (p: Scenario, strategy: Strategy) => {
    const v = checkVariant(p, 'main', { strategy: strategy as never, limits: { auditExecutions: 5 } });
    return { kind: v.kind, executions: v.stats.executions, abandoned: v.stats.executionsAbandoned };
  };
  const noAssert = (p: Scenario): Scenario => ({ ...p, variants: { main: { ...p.variants.main!, threads: { ...p.variants.main!.threads, checker: function* (w: object) { yield* awaitUntil((w as W).x, () => true, { label: 'read x' }); } } } } });

  it('explores every value: dfs and exhaustive find the one that fails, and count interleavings × values', () => {
    expect(checkVariant(picky(false), 'main').kind).toBe('holds');
    for (const strategy of [new DfsStrategy(), new ExhaustiveStrategy(), new BoundedStrategy()]) {
      const v = checkVariant(picky(true), 'main', { strategy });
      expect(v.kind).toBe('violated');
      expect(v.kind === 'violated' && v.picks).toEqual([[2], []]);
    }
    // plain enumeration: 3 interleavings (exhaustive), 2 classes (dfs: the store and the read conflict)
    expect(count(noAssert(picky(false)), new ExhaustiveStrategy()).executions).toBe(3);
    expect(count(noAssert(picky(true)), new ExhaustiveStrategy()).executions).toBe(3 * 3);
    expect(count(noAssert(picky(false)), new DfsStrategy())).toEqual({ kind: 'holds', executions: 2, abandoned: 0 });
    expect(count(noAssert(picky(true)), new DfsStrategy())).toEqual({ kind: 'holds', executions: 2 * 3, abandoned: 0 });
  });

  it('dfs counts classes × values when both threads choose, and reaches what exhaustive reaches', () => {
    interface V { x: Cell; y: Cell; ends: Set<string> }
    const p = program<V>({
      setup: () => ({ x: cell('x'), y: cell('y'), ends: new Set() }),
      threads: {
        a: function* (w) {
          const v = yield* choose(2);
          if (v === 1) yield store(w.x, 1);
          yield store(w.y, 1 + v);
        },
        b: function* (w) {
          const u = yield* choose(3);
          const seen = yield* awaitUntil(w.y, () => true, { read: (y) => y.value, label: 'read y' });
          if (u > 0) yield store(w.x, 5 + seen);
        },
      },
      invariants: [],
    });
    const finals = (strategy: Strategy) => {
      const runner = new ExecutionRunner(p, p.variants.main!, p.params);
      const ends = new Set<string>();
      let runs = 0;
      while (strategy.beginExecution()) {
        let world: V | null = null;
        const o = runner.run(strategy, { onStep: (r) => void (world = r.world as V) });
        const counted = strategy.endExecution(o) === 'counted' && o.status !== 'abandoned';
        if (counted) runs++;
        const w = world as V | null;
        if (w !== null && counted) ends.add(`${o.picks.map((q) => q.join('.')).join('|')}:${w.x.value},${w.y.value}`);
      }
      return { ends: [...ends].sort(), runs };
    };
    const dfs = finals(new DfsStrategy());
    const all = finals(new ExhaustiveStrategy());
    expect(dfs.ends).toEqual(all.ends);
    // classes per value pair (v, u): the y write against the read, and for v = 1, u > 0 the two x
    // writes too (3 orders): (0, 0) 2, (0, 1|2) 2 each, (1, 0) 2, (1, 1|2) 3 each
    expect(dfs.runs).toBe(2 + 2 * 2 + 2 + 2 * 3);
    expect(all.runs).toBe(76);
  });

  it('random and pct sample the values from the seed: the same seed, the same executions', () => {
    const sample = (make: () => Strategy) => {
      const v = checkVariant(picky(true), 'main', { strategy: make() });
      return v.kind === 'violated' ? { kind: v.kind, schedule: v.schedule, picks: v.picks, executions: v.stats.executions } : { kind: v.kind };
    };
    const r1 = sample(() => new RandomStrategy({ seed: '7', executions: 200 }));
    expect(r1.kind).toBe('violated');
    expect(sample(() => new RandomStrategy({ seed: '7', executions: 200 }))).toEqual(r1);
    const p1 = sample(() => new PctStrategy({ seed: '7', executions: 200, depth: 2 }));
    expect(p1.kind).toBe('violated');
    expect(sample(() => new PctStrategy({ seed: '7', executions: 200, depth: 2 }))).toEqual(p1);
  });

  it('the report shows the choice in its trace, and its token replays the same execution', () => {
    const p = picky(true);
    const [r] = runChecks([{ scenario: p, file: 'picky.ts' }], null, { strategy: 'dfs', params: {}, limits: DEFAULT_LIMITS });
    expect(r?.kind).toBe('checked');
    if (r?.kind !== 'checked') return;
    expect(r.token).toMatch(/^w1:test-program\/main:A2B~A=2$/);
    expect(r.trace!.steps.map((s) => s.label)).toEqual(['choose(3) → 2', 'x = 12', 'read x']);
    const token = decodeToken(r.token!);
    expect(token.picks).toEqual([[2]]);
    const again = recordTrace(p, 'main', p.variants.main!, p.params, token.schedule, { picks: token.picks! });
    expect(again.steps.map((s) => s.label)).toEqual(r.trace!.steps.map((s) => s.label));
    expect(encodeToken({ scenario: p.id, variant: 'main', params: {}, schedule: again.schedule, picks: again.picks! })).toBe(r.token);
    // another value, or none, is a divergence named at the choice
    expect(() => recordTrace(p, 'main', p.variants.main!, p.params, token.schedule)).toThrow(/step 1: A \(chooser\) makes its choice 1 here \(among 3\), and the schedule gives it none/);
    expect(() => recordTrace(p, 'main', p.variants.main!, p.params, token.schedule, { picks: [[3]] })).toThrow(/chooses among 3 here, and the schedule gives it 3/);
    expect(() => decodeToken('w1:test-program/main:A2B~A=x')).toThrow(/bad choices at character 1/);
  });

  it('a split search refuses to fix a choice in its prefix instead of leaving values unexplored', () => {
    const p = picky(true);
    expect(() => checkVariant(p, 'main', { strategy: new DfsStrategy({ prefix: [0, 0] }) })).toThrow(/step 1 is a choose\(\), inside the first 2 steps that a split search fixes/);
    expect(() => choose(0).next()).toThrow(/n must be a whole number ≥ 1/);
  });
});

describe('several expectations per variant', () => {
  interface W { c: Cell }
  const both = (expect: Variant<W>['expect']) =>
    defineScenario<W>({
      id: 'two-ways-to-fail',
      title: 'an assertion on one value, a deadlock on the other',
      commits: [],
      setup: () => ({ c: cell('c') }),
      variants: {
        main: {
          summary: 'test',
          ...(expect === undefined ? {} : { expect }),
          threads: {
            a: function* (w) {
              if ((yield* choose(2)) === 0) assert.fail('took the zero branch');
              yield* awaitUntil(w.c, (c) => c.value === 1, { label: 'wait for c' });
            },
          },
        },
      },
    });
  const run = (s: Scenario, limits = DEFAULT_LIMITS) => runChecks([{ scenario: s, file: 'two.ts' }], null, { strategy: 'dfs', params: {}, limits })[0]!;

  it('the search goes on until each declared check is met, and the reports show each', () => {
    const r = run(both({ violated: 'assertion', and: ['deadlock'] }));
    expect(r.kind === 'checked' && r.verdict.kind).toBe('violated');
    if (r.kind !== 'checked') return;
    expect(r.matches).toBe(true);
    expect(describeVerdict(r.verdict, r.expected)).toBe('violated:assertion+deadlock');
    expect(r.expectations.map((e) => [e.check, e.found, e.token])).toEqual([
      ['assertion', true, 'w1:two-ways-to-fail/main:A~A=0'],
      ['deadlock', true, 'w1:two-ways-to-fail/main:A~A=1'],
    ]);
    const text = renderVariant(r, false);
    expect(text).toMatch(/verdict violated:assertion\+deadlock \(expected violated:assertion\+deadlock\)/);
    expect(text).toMatch(/expected deadlock: violated: .*wait for c.* · replay: .*--replay w1:two-ways-to-fail\/main:A~A=1/);
    expect((reportsToJson([r], false) as { results: { expectations: unknown[] }[] }).results[0]!.expectations).toHaveLength(2);
    expect(renderJunit([r], false)).toMatch(/expected deadlock: violated/);
  });

  // why three threads: the search meets the deadlock first in an execution where the third thread
  // ran to its end before the other two (B4A4C3, 11 steps); its replay token is minimized for the
  // deadlock as the printed trace is for the assertion: 7 steps, 1 preemption
  it('each expected check gets a minimized replay token, not the first schedule that met it', () => {
    interface L { l1: Mutex; l2: Mutex; x: Cell; y: Cell; z: Cell }
    const set = (c: Cell, v: number): Steps<void> => perform<void>({ object: c, access: 'write', label: `${c.name} = ${v}`, run: () => void (c.value = v) });
    const abba = defineScenario<L>({
      id: 'abba',
      title: 'an assertion at the end of one thread, a lock-order deadlock on the way',
      commits: [],
      setup: () => ({ l1: newMutex('l1'), l2: newMutex('l2'), x: cell('x'), y: cell('y'), z: cell('z') }),
      variants: {
        main: {
          summary: 'test',
          expect: { violated: 'assertion', and: ['deadlock'] },
          threads: {
            a: function* (w) {
              yield* set(w.x, 1);
              yield* set(w.x, 2);
              yield* mutexLock(w.l1);
              yield* set(w.x, 3);
              yield* mutexLock(w.l2);
              yield* mutexUnlock(w.l2);
              yield* mutexUnlock(w.l1);
              if ((yield* choose(2)) === 0) assert.fail('took the zero branch');
            },
            c: function* (w) {
              yield* mutexLock(w.l1);
              yield* set(w.z, 4);
              yield* mutexUnlock(w.l1);
              yield* set(w.z, 5);
            },
            b: function* (w) {
              yield* set(w.y, 6);
              yield* mutexLock(w.l2);
              yield* set(w.y, 7);
              yield* mutexLock(w.l1);
              yield* mutexUnlock(w.l1);
              yield* mutexUnlock(w.l2);
            },
          },
        },
      },
    });
    const r = run(abba);
    if (r.kind !== 'checked') throw new Error('no verdict');
    expect(r.expectations.map((e) => [e.check, e.token])).toEqual([
      ['assertion', 'w1:abba/main:A8~A=0'],
      ['deadlock', 'w1:abba/main:A3C3A'],
    ]);
  });

  it('a bound that stops the search first is incomplete and names what was not met; the single form is unchanged', () => {
    const cut = run(both({ violated: 'assertion', and: ['deadlock'] }), { ...DEFAULT_LIMITS, executionsMax: 1 });
    if (cut.kind !== 'checked') throw new Error('no verdict');
    expect(cut.verdict.kind).toBe('incomplete');
    expect(cut.matches).toBe(false);
    expect(cut.verdict.kind === 'incomplete' && cut.verdict.missing).toEqual(['deadlock']);
    expect(renderVariant(cut, false)).toMatch(/expected deadlock: not met before the search stopped/);
    expect(renderJunit([cut], false)).toMatch(/not met: deadlock/);
    // a check that no schedule violates: every schedule explored, violated by the other, not as expected
    const never = run(both({ violated: 'deadlock', and: ['oops'] }));
    if (never.kind !== 'checked') throw new Error('no verdict');
    expect([never.verdict.kind, never.matches]).toEqual(['violated', false]);
    expect(renderVariant(never, false)).toMatch(/expected oops: not violated in any schedule/);
    const single = run(both({ violated: 'deadlock' }));
    if (single.kind !== 'checked') throw new Error('no verdict');
    expect([describeVerdict(single.verdict, single.expected), single.matches, single.expectations]).toEqual(['violated:deadlock', true, []]);
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

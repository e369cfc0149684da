import { describe, expect, it } from 'vitest';
import { newSpinlock, spinLock, spinUnlock, type Spinlock } from '../../../models/spinlock';
import { perform, type Op, type Steps } from '../../../src/runtime/op';
import { DfsStrategy } from '../../../src/search/strategies/dfs';
import { DEFAULT_LIMITS, explore } from '../../../src/search/explorer';
import { renderTable } from '../../../src/report/table';
import { exploreProgram, firedChecks, program, runSchedule } from '../../helpers/program';

interface W {
  x: { name: string; value: number };
  l: Spinlock;
}
const world = (): W => ({ x: { name: 'x', value: 0 }, l: newSpinlock('l') });
const read = (w: W): Op<number> => ({ object: w.x, access: 'read', label: 'READ_ONCE(x)', run: () => w.x.value });
const write = (w: W, v: number): Op<void> => ({
  object: w.x,
  access: 'write',
  label: `WRITE_ONCE(x, ${v})`,
  run: () => {
    w.x.value = v;
  },
});

describe('execution', () => {
  it('runs an op only when its thread is chosen and sends the result back into the thread', () => {
    const got: number[] = [];
    const p = program<W>({
      setup: world,
      threads: {
        writer: function* (w) {
          yield* perform(write(w, 1));
        },
        reader: function* (w) {
          got.push(yield* perform(read(w)));
        },
      },
    });
    runSchedule(p, 'B A');
    runSchedule(p, 'A B');
    expect(got).toEqual([0, 1]);
  });

  it('is deterministic: the same schedule gives the same trace', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          yield* spinLock(w.l);
          yield* perform(write(w, 1));
          yield* spinUnlock(w.l);
        },
        b: function* (w) {
          yield* spinLock(w.l);
          yield* perform(read(w));
          yield* spinUnlock(w.l);
        },
      },
    });
    expect(renderTable(runSchedule(p, 'A3 B3'))).toBe(renderTable(runSchedule(p, 'A3 B3')));
  });

  it('a thread that yields something that is not an op is a broken scenario', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (): Steps {
          yield 42 as unknown as Op;
        },
      },
    });
    expect(() => exploreProgram(p)).toThrow(/yielded 42 after step 0, not an op/);
  });

  // why: each thread remembers the ops it validated, and nothing it yields may pass for one of them
  it('after valid ops, a yielded null or undefined is still not an op', () => {
    for (const bad of [null, undefined]) {
      const p = program<W>({
        setup: world,
        threads: {
          a: function* (w): Steps {
            yield* spinLock(w.l);
            yield* spinUnlock(w.l);
            yield bad as unknown as Op;
          },
        },
      });
      expect(() => exploreProgram(p)).toThrow(new RegExp(`yielded ${String(bad)} after step 2, not an op`));
    }
  });

  it('a thread that throws outside a modeled fault is a broken scenario, with thread and step', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          yield* perform(read(w));
          throw new Error('boom');
        },
      },
    });
    expect(() => exploreProgram(p)).toThrow(/A \(a\) threw after step 1: boom/);
  });

  it('a setup that throws is a broken scenario', () => {
    const p = program<W>({
      setup: () => {
        throw new Error('no memory');
      },
      // why a thread: a variant without threads is refused before setup is ever called
      threads: { a: function* () {} },
    });
    expect(() => exploreProgram(p)).toThrow(/setup\(\) threw: no memory/);
  });

  it('a thread that never finishes is cut by the step bound: incomplete, never holds', () => {
    const p = program<W>({
      setup: world,
      threads: {
        spinner: function* (w) {
          while ((yield* perform(read(w))) === 0) {
            /* waits for a write that never comes */
          }
        },
      },
    });
    const v = exploreProgram(p, { limits: { stepsPerThreadMax: 50 } });
    expect(v.kind).toBe('incomplete');
    if (v.kind !== 'incomplete') return;
    expect(v.cutBy[0]!.flag).toBe('--max-steps');
    expect(v.stats.executionsCut).toBe(1);
  });

  it('the execution bound yields incomplete, naming its flag', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          yield* perform(write(w, 1));
        },
        b: function* (w) {
          yield* perform(write(w, 2));
        },
      },
    });
    const v = exploreProgram(p, { limits: { executionsMax: 1 } });
    expect(v.kind === 'incomplete' && v.cutBy.map((c) => c.flag)).toEqual(['--max-executions']);
    expect(exploreProgram(p).kind).toBe('holds');
  });

  it('invariants run after every step; one that fails is recorded once and the execution goes on', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          yield* perform(write(w, 1));
          yield* perform(write(w, 2));
          yield* perform(write(w, 3));
        },
      },
      invariants: [{ id: 'x-small', description: 'x < 2', check: (w) => w.x.value < 2 || `x = ${w.x.value}` }],
    });
    const t = runSchedule(p, 'A3');
    expect(firedChecks(t)).toEqual(['x-small']);
    expect(t.violations[0]!.step).toBe(2);
    expect(t.steps).toHaveLength(3);
  });

  it('deadlock names each blocked thread and what it waits for', () => {
    const w2 = () => ({ ...world(), m: newSpinlock('m') });
    type W2 = ReturnType<typeof w2>;
    const p = program<W2>({
      setup: w2,
      threads: {
        a: function* (w) {
          yield* spinLock(w.l);
          yield* spinLock(w.m);
          yield* spinUnlock(w.m);
          yield* spinUnlock(w.l);
        },
        b: function* (w) {
          yield* spinLock(w.m);
          yield* spinLock(w.l);
          yield* spinUnlock(w.l);
          yield* spinUnlock(w.m);
        },
      },
    });
    const t = runSchedule(p, 'A B');
    expect(t.violations[0]!.message).toBe(
      'no thread can run: A (a) blocked in spin_lock(&m) waiting for m held by B (b); B (b) blocked in spin_lock(&l) waiting for l held by A (a)',
    );
    // lockdep sees the AB-BA order on the first, serial schedule; the real deadlock comes later.
    const first = exploreProgram(p);
    expect(first.kind === 'violated' && first.violations[0]!.check).toBe('lock-order');
    const v = explore({
      scenario: p,
      variant: p.variants.main!,
      params: p.params,
      strategy: new DfsStrategy(),
      limits: DEFAULT_LIMITS,
      target: { violated: 'deadlock' },
    });
    expect(v.kind === 'violated' && v.violations.map((x) => x.check)).toContain('deadlock');
  });
});

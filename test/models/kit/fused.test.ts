import { describe, expect, it } from 'vitest';
import { fuseAfter, fuseBefore, fused, fusedAs } from '../../../models/kit/fused';
import { newRcu, rcuReadLock, rcuReadUnlock, type Rcu } from '../../../models/rcu';
import { newSpinlock, spinLock, spinUnlock, type Spinlock } from '../../../models/spinlock';
import { perform, type SharedObject, type Steps } from '../../../src/runtime/op';
import { exploreProgram, program, runSchedule, runSerial } from '../../helpers/program';

/** How a replay that schedules the blocked thread B fails (the message names B as not runnable). */
const BLOCKED_B = /replay diverged at step \d+: (the schedule runs B, which cannot run here|B \(\w+\) is blocked)/;

interface W {
  own: Spinlock;
  shared: Spinlock;
  x: SharedObject & { value: number };
  log: string[];
}
const world = (): W => ({ own: newSpinlock('own'), shared: newSpinlock('shared'), x: { name: 'x', value: 0 }, log: [] });

function* readX(w: W): Steps<number> {
  return yield* perform({ object: w.x, access: 'read', label: 'READ_ONCE(x)', run: () => w.x.value });
}
function* writeX(w: W, v: number): Steps<void> {
  yield* perform<void>({ object: w.x, access: 'write', label: `WRITE_ONCE(x, ${v})`, run: () => void (w.x.value = v) });
}

describe('fused steps', () => {
  it('runs every inner step as one op, shows every label, returns the last part’s value', () => {
    let got = 0;
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          got = yield* fused(() => spinLock(w.own), () => writeX(w, 3), () => readX(w));
          yield* spinUnlock(w.own);
        },
      },
    });
    const t = runSerial(p);
    expect(t.violations).toEqual([]);
    expect(t.steps.map((s) => s.label)).toEqual(['spin_lock(&own); WRITE_ONCE(x, 3); READ_ONCE(x)', 'spin_unlock(&own)']);
    expect(got).toBe(3);
  });

  it('declares its first inner op’s object, access and enabledness: it waits while that lock is held', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) { yield* spinLock(w.shared); yield* spinUnlock(w.shared); },
        b: function* (w) {
          yield* fused(() => spinLock(w.shared), () => writeX(w, 1));
          yield* spinUnlock(w.shared);
        },
      },
    });
    expect(() => runSchedule(p, 'A B')).toThrow(BLOCKED_B);
    const t = runSchedule(p, 'A A B B');
    expect(t.steps[2]!.label).toBe('spin_lock(&shared); WRITE_ONCE(x, 1)');
  });

  it('fusedAs declares the observable inner op; a private lock it cannot take is a scenario error, not a wait', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) { yield* spinLock(w.own); yield* spinUnlock(w.own); },
        b: function* (w) {
          yield* fusedAs({ object: w.x, access: 'write' }, () => spinLock(w.own), () => writeX(w, 1), () => spinUnlock(w.own));
        },
      },
    });
    // Declared on x, so it is runnable while `own` is held: the lock was not private after all.
    expect(() => runSchedule(p, 'A B')).toThrow(/fused step of B \(b\) would block at spin_lock\(&own\) \(waits for own held by A \(a\)\): its steps were not private/);
    expect(runSchedule(p, 'A A B').violations).toEqual([]);
  });

  it('a later inner op that would block is a scenario error', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) { yield* spinLock(w.shared); yield* spinUnlock(w.shared); },
        b: function* (w) { yield* fused(() => writeX(w, 1), () => spinLock(w.shared), () => spinUnlock(w.shared)); },
      },
    });
    expect(() => runSchedule(p, 'A B')).toThrow(/would block at spin_lock\(&shared\)/);
  });

  it('fuseBefore runs private steps inside the first step of a helper whose steps keep their own objects', () => {
    let got = -1;
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          got = yield* fuseBefore(() => spinLock(w.own), () => (function* () { yield* writeX(w, 5); return yield* readX(w); })());
          yield* spinUnlock(w.own);
        },
      },
    });
    const t = runSerial(p);
    expect(t.steps.map((s) => s.label)).toEqual(['spin_lock(&own); WRITE_ONCE(x, 5)', 'READ_ONCE(x)', 'spin_unlock(&own)']);
    expect(got).toBe(5);
  });

  it('fuseAfter runs private steps inside the last step and returns what they return', () => {
    let got = -1;
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          yield* spinLock(w.own);
          got = yield* fuseAfter(() => writeX(w, 7), () => (function* () { yield* spinUnlock(w.own); return 42; })());
        },
      },
    });
    const t = runSerial(p);
    expect(t.steps.map((s) => s.label)).toEqual(['spin_lock(&own)', 'WRITE_ONCE(x, 7); spin_unlock(&own)']);
    expect(got).toBe(42);
    const empty = program<W>({
      setup: world,
      threads: { a: function* (w) { yield* fuseAfter(() => (function* () { return 0; })(), () => spinUnlock(w.own)); } },
    });
    expect(() => runSerial(empty)).toThrow(/the inner helper took no step/);
  });

  it('fusing private steps loses no outcome of the shared ones', () => {
    type Fuse = 'none' | 'fusedAs' | 'fused';
    const reader = (fuse: Fuse) =>
      function* (w: W): Steps {
        const v =
          fuse === 'fusedAs'
            ? yield* fusedAs({ object: w.x, access: 'read' }, () => spinLock(w.own), () => readX(w))
            : fuse === 'fused'
              ? yield* fused(() => spinLock(w.own), () => readX(w))
              : yield* (function* () { yield* spinLock(w.own); return yield* readX(w); })();
        w.log.push(`r${v}`);
        yield* spinUnlock(w.own);
      };
    const writer = function* (w: W): Steps { yield* writeX(w, 1); yield* writeX(w, 2); };
    // why a final-state check: it sees every execution's outcome without an observer, which would
    // order the steps by itself and hide a fused op that declares the wrong object
    const run = (fuse: Fuse, limits = {}) => {
      const seen = new Set<string>();
      const p = program<W>({
        setup: world,
        threads: { reader: reader(fuse), writer },
        finalState: [{ id: 'record', description: '', check: (w) => (seen.add(w.log.join()), true) }],
      });
      expect(exploreProgram(p, { limits }).kind).toBe('holds');
      return [...seen].sort();
    };
    expect(run('fusedAs')).toEqual(['r0', 'r1', 'r2']);
    expect(run('fusedAs')).toEqual(run('none'));
    // `fused` declares the private lock, the first inner op: the shared read goes unseen ...
    expect(run('fused', { auditExecutions: 0 })).toEqual(['r0']);
    // ... which the audit reports, at its default, as a model error naming the fix
    expect(() => run('fused')).toThrow(/^A \(reader\) step 1 spin_lock\(&own\); READ_ONCE\(x\): its run reads x\.value, which B \(writer\) step \d+ WRITE_ONCE\(x, \d\) writes, and no declared step orders the two; add \{ object: x, access: 'read' \} to the op's alsoTouches$/);
  });
});

describe('fused steps are checked at run time', () => {
  interface C {
    lock: Spinlock;
    x: SharedObject & { value: number };
    y: SharedObject & { value: number };
  }
  const cells = (): C => ({ lock: newSpinlock('L'), x: { name: 'x', value: 0 }, y: { name: 'y', value: 0 } });
  const read = (c: SharedObject & { value: number }): Steps<number> =>
    perform({ object: c, access: 'read', label: `READ_ONCE(${c.name})`, run: () => c.value });
  const write = (c: SharedObject & { value: number }, v: number): Steps<void> =>
    perform<void>({ object: c, access: 'write', label: `WRITE_ONCE(${c.name}, ${v})`, run: () => void (c.value = v) });
  /** x += 1 in two critical sections of L: the read in one, the write in the next (a lost update). */
  function* splitIncrement(w: C): Steps {
    yield* spinLock(w.lock);
    const v = yield* read(w.x);
    yield* spinUnlock(w.lock);
    yield* spinLock(w.lock);
    yield* write(w.x, v + 1);
    yield* spinUnlock(w.lock);
  }
  const bothCounted = { id: 'both-counted', description: 'x counts both increments once both are done', check: (w: C & { done?: number }) => (w.done ?? 0) < 2 || w.x.value === 2 || `x = ${w.x.value}` };
  const incrementer = (body: (w: C) => Steps) =>
    function* (w: C & { done?: number }): Steps {
      yield* body(w);
      w.done = (w.done ?? 0) + 1;
    };

  it('a lock dropped and retaken inside one fused step is a model error, not a hidden lost update', () => {
    // The bug is real: with the two sections as steps of their own, dfs finds the lost update.
    const honest = program<C & { done?: number }>({ setup: cells, threads: { a: incrementer(splitIncrement), b: incrementer(splitIncrement) }, invariants: [bothCounted] });
    expect(exploreProgram(honest).kind).toBe('violated');
    // Fused, the two sections would be one atomic step and every schedule would count both
    // increments (an atomic op doing the same is what the fused step would amount to): the
    // run-time check is what stands between that and a wrong `holds`.
    const atomic = function* (w: C): Steps {
      yield* perform<void>({ object: w.lock, access: 'write', label: 'x += 1 (atomically)', run: () => void (w.x.value += 1) });
    };
    expect(exploreProgram(program<C & { done?: number }>({ setup: cells, threads: { a: incrementer(atomic), b: incrementer(atomic) }, invariants: [bothCounted] })).kind).toBe('holds');
    const hidden = program<C & { done?: number }>({
      setup: cells,
      threads: { a: incrementer((w) => fused(() => splitIncrement(w))), b: incrementer(splitIncrement) },
      invariants: [bothCounted],
    });
    expect(() => exploreProgram(hidden)).toThrow(
      /fused step of A \(a\) drops L at spin_unlock\(&L\) and uses it again at spin_lock\(&L\): other threads can run between the two, so they must be separate steps/,
    );
  });

  it('a read-side section left and re-entered inside one fused step is a model error too', () => {
    const p = program<C & { rcu: Rcu }>({
      setup: () => ({ ...cells(), rcu: newRcu('rcu') }),
      threads: { a: (w) => fused(() => rcuReadLock(w.rcu), () => rcuReadUnlock(w.rcu), () => rcuReadLock(w.rcu), () => rcuReadUnlock(w.rcu)) },
    });
    expect(() => runSerial(p)).toThrow(/drops rcu at rcu_read_unlock\(\) and uses it again at rcu_read_lock\(\)/);
  });

  it('a declared lock taken after a declared one was dropped is a model error; after a private one it is not', () => {
    const withM = () => ({ ...cells(), m: newSpinlock('M') });
    // spin_unlock(L); spin_lock(M) as one step would hide every schedule where another thread takes M in between
    const both = program<C & { m: Spinlock }>({
      setup: withM,
      threads: {
        a: function* (w) {
          yield* spinLock(w.lock);
          yield* fusedAs({ object: w.lock, access: 'release', alsoTouches: [{ object: w.m, access: 'acquire' }] }, () => spinUnlock(w.lock), () => spinLock(w.m));
          yield* spinUnlock(w.m);
        },
      },
    });
    expect(() => runSerial(both)).toThrow(/fused step of A \(a\) drops L at spin_unlock\(&L\) and then takes M at spin_lock\(&M\): other threads can run between the two \(and take M first\)/);
    // L private (undeclared, and no other thread takes it): dropping it is no point another thread sees
    const privateFirst = program<C & { m: Spinlock }>({
      setup: withM,
      threads: {
        a: function* (w) {
          yield* fusedAs({ object: w.m, access: 'acquire' }, () => spinLock(w.lock), () => spinUnlock(w.lock), () => spinLock(w.m));
          yield* spinUnlock(w.m);
        },
      },
    });
    expect(runSerial(privateFirst).violations).toEqual([]);
  });

  it('at most one shared object outside a lock, plus what fusedAs declares in alsoTouches', () => {
    const two = program<C>({ setup: cells, threads: { a: (w) => fused(() => write(w.x, 1), () => write(w.y, 1)) } });
    expect(() => runSerial(two)).toThrow(/fused step of A \(a\) touches x \(at WRITE_ONCE\(x, 1\)\) and y \(at WRITE_ONCE\(y, 1\)\) holding no lock/);
    // Under a lock both are ordered by the lock's steps; declared, the second is no longer hidden.
    const locked = program<C>({ setup: cells, threads: { a: (w) => fused(() => spinLock(w.lock), () => write(w.x, 1), () => write(w.y, 1), () => spinUnlock(w.lock)) } });
    expect(runSerial(locked).violations).toEqual([]);
    const declared = program<C>({
      setup: cells,
      threads: { a: (w) => fusedAs({ object: w.x, access: 'write', alsoTouches: [{ object: w.y, access: 'write' }] }, () => write(w.x, 1), () => write(w.y, 1)) },
    });
    expect(runSerial(declared).violations).toEqual([]);
    // One object touched by several inner ops is still one.
    const same = program<C>({ setup: cells, threads: { a: (w) => fused(() => read(w.x), () => write(w.x, 2)) } });
    expect(runSerial(same).violations).toEqual([]);
  });

  it('fuseBefore and fuseAfter are held to the same rules', () => {
    const p = program<C>({ setup: cells, threads: { a: (w) => fuseBefore(() => write(w.y, 1), () => write(w.x, 1)) } });
    expect(() => runSerial(p)).toThrow(/touches y .* and x .* holding no lock/);
    const q = program<C>({
      setup: cells,
      threads: { a: function* (w) { yield* spinLock(w.lock); yield* fuseAfter(() => spinUnlock(w.lock), () => spinLock(w.lock)); yield* spinUnlock(w.lock); } },
    });
    expect(() => runSerial(q)).toThrow(/drops L at spin_unlock\(&L\) and uses it again at spin_lock\(&L\)/);
  });
});

import { describe, expect, it } from 'vitest';
import { fuseAfter, fuseBefore, fused, fusedAs } from '../../../models/kit/fused';
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

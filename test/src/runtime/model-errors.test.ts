/**
 * The modelling mistakes of issue 15, each written as a small user scenario: every one is a model
 * error on one line with exit 2, never a wrong verdict and never an internal bug. Where a mistake
 * used to give a verdict, the same scenario is also searched with the audit off, to show that the
 * audit is what catches it.
 */
import { describe, expect, it } from 'vitest';
import { newPlainField, readField, readOnce, writeField, writeOnce, type PlainField } from '../../../models/plain-field';
import { main } from '../../../src/cli/main';
import { checkVariant } from '../../../src/search/variant';
import { defineScenario, type Invariant, type Scenario, type ThreadBody } from '../../../src/runtime/scenario';
import { perform, type Op, type Steps } from '../../../src/runtime/op';
import { ScenarioError } from '../../../src/runtime/errors';
import { setupWeft } from '../../../src/vitest';

setupWeft();

async function run(scenario: Scenario, extra: string[] = []) {
  let out = '';
  let err = '';
  const io = { out: (s: string) => void (out += s), err: (s: string) => void (err += s), isTTY: false, env: {} };
  const code = await main([scenario.id, '--no-timing', ...extra], io, [{ scenario, file: 'user/s.ts' }]);
  return { code, out, err };
}

interface W {
  readonly x: PlainField<number>;
  readonly y: PlainField<number>;
}

function user<T extends object = W>(threads: Record<string, ThreadBody<T>>, more: { setup?: () => T; invariants?: Invariant<T>[] } = {}): Scenario {
  return defineScenario<T>({
    id: 'user',
    title: 'a user scenario',
    commits: [],
    setup: more.setup ?? (() => ({ x: newPlainField('x', 0), y: newPlainField('y', 0) }) as unknown as T),
    variants: { main: { summary: 'main', expect: 'holds', invariants: more.invariants ?? [], threads } },
  });
}

/** A model error: exit 2, nothing on stdout, one line on stderr matching `pattern`. */
function expectModelError(r: { code: number; out: string; err: string }, pattern: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.out).toBe('');
  expect(r.err).toMatch(/^weft: [^\n]+\n$/);
  expect(r.err).not.toMatch(/internal bug/);
  expect(r.err).toMatch(pattern);
}

/**
 * The same mistake through the library, with the audit at its default: checkVariant throws it as a
 * one-line ScenarioError, and the vitest matcher fails with it.
 */
function expectLibraryModelError(s: Scenario, pattern: RegExp): void {
  let thrown: unknown = null;
  try {
    checkVariant(s, 'main');
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(ScenarioError);
  const message = (thrown as ScenarioError).message;
  expect(message).not.toMatch(/\n/);
  expect(message).toMatch(pattern);
  let failed = '';
  try {
    expect(s).toHold();
  } catch (e) {
    failed = e instanceof Error ? e.message : String(e);
  }
  expect(failed).toMatch(pattern);
  expect(failed).not.toMatch(/internal bug/);
}

const writer: ThreadBody<W> = function* (w) {
  yield* writeField(w.x, 1);
};

describe('model errors (issue 15)', () => {
  it('a plain read of shared state between steps', async () => {
    const s = user({
      writer,
      reader: function* (w) {
        yield* writeField(w.y, 1);
        const x = w.x.value; // not a step: no other thread can be scheduled between this and y = 1
        yield* writeField(w.y, x);
      },
    });
    expectModelError(await run(s), /B \(reader\) in thread code after step \d+ y = 1 reads x\.value, which A \(writer\) step \d+ x = 1 writes, and no declared step orders the two; make it a step \(yield\* a model helper such as readField\)/);
    expectLibraryModelError(s, /B \(reader\) in thread code after step \d+ y = 1 reads x\.value, which A \(writer\) step \d+ x = 1 writes, and no declared step orders the two; make it a step \(yield\* a model helper such as readField\)/);
    // the audit is what catches it: without it the search holds after one execution
    expect(checkVariant(s, 'main', { limits: { auditExecutions: 0 } }).kind).toBe('holds');
  });

  it('the same read as a step is fine', async () => {
    // why the marked accesses: plain ones would (rightly) be a data race
    const s = user({
      writer: function* (w) {
        yield* writeOnce(w.x, 1);
      },
      reader: function* (w) {
        yield* writeField(w.y, 1);
        const x = yield* readOnce(w.x);
        yield* writeField(w.y, x);
      },
    });
    const r = await run(s, ['--audit']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it("an op whose run touches an object it does not declare", async () => {
    const s = user({
      writer,
      adder: function* (w) {
        yield* perform<void>({ object: w.y, access: 'write', label: 'y = x + 1', run: () => void (w.y.value = w.x.value + 1) });
      },
    });
    expectModelError(await run(s), /B \(adder\) step \d+ y = x \+ 1: its run reads x\.value, which A \(writer\) step \d+ x = 1 writes, and no declared step orders the two; add \{ object: x, access: 'read' \} to the op's alsoTouches/);
    expectLibraryModelError(s, /B \(adder\) step \d+ y = x \+ 1: its run reads x\.value, which A \(writer\) step \d+ x = 1 writes, and no declared step orders the two; add \{ object: x, access: 'read' \} to the op's alsoTouches/);
    expect(checkVariant(s, 'main', { limits: { auditExecutions: 0 } }).kind).toBe('holds');
  });

  it('an op whose run writes an object it declares as read', async () => {
    const s = user({
      reader: function* (w) {
        yield* readField(w.x);
      },
      sneaky: function* (w) {
        yield* perform<void>({ object: w.y, access: 'write', label: 'x = 2 (declared read)', alsoTouches: [{ object: w.x, access: 'read' }], run: () => void (w.x.value = 2) });
      },
    });
    expectModelError(await run(s), /B \(sneaky\) step \d+ x = 2 \(declared read\): its run writes x\.value, which A \(reader\) step \d+ read x reads, .*declare x with access 'write' in the op/);
  });

  it("an enabled that reads another object than its own", async () => {
    const s = user({
      writer,
      waiter: function* (w) {
        yield* perform<void>({ object: w.y, access: 'write', label: 'wait for x', enabled: () => w.x.value === 1, run: () => void (w.y.value = 1) });
      },
    });
    expectModelError(await run(s), /B \(waiter\) wait for x: its enabled reads x\.value, which A \(writer\) step \d+ x = 1 writes, .*enabled may read only the op's own object \(y\)/);
    expectLibraryModelError(s, /B \(waiter\) wait for x: its enabled reads x\.value, which A \(writer\) step \d+ x = 1 writes, .*enabled may read only the op's own object \(y\)/);
  });

  it('an invariant that reads an object its observes does not list', async () => {
    const inv: Invariant<W> = { id: 'x-small', description: 'x stays small', observes: [], check: (w) => (w.x.value < 5 ? true : 'x too big') };
    const s = user({ writer }, { invariants: [inv] });
    expectModelError(await run(s), /invariant x-small reads x\.value, which A \(writer\) step 1 x = 1 writes, .*add x to its observes/);
    expectLibraryModelError(s, /invariant x-small reads x\.value, which A \(writer\) step 1 x = 1 writes, .*add x to its observes/);
    // without observes an invariant may read anything: no error
    const { observes: _, ...undeclared } = inv;
    expect((await run(user({ writer }, { invariants: [undeclared] }))).code).toBe(0);
  });

  it('a nondeterministic setup', async () => {
    let built = 0; // module-level state: each setup names its field differently
    const s = user({ a: function* (w) { yield* writeField(w.x, 1); } }, { setup: () => ({ x: newPlainField(`x${built++}`, 0), y: newPlainField('y', 0) }) });
    expectModelError(await run(s), /user: setup\(\) is not deterministic: two calls with the same parameters built different worlds at world\.x \(object 'x0' vs object 'x1'\); setup and steps must depend only on the parameters/);
    expectLibraryModelError(s, /user: setup\(\) is not deterministic: two calls with the same parameters built different worlds at world\.x \(object 'x\d+' vs object 'x\d+'\)/);
  });

  it('module-level state read by a step', async () => {
    let calls = 0; // survives from one execution to the next
    const s = user({
      a: function* (w) {
        const n = yield* perform({ object: w.x, access: 'write', label: 'count', run: () => ++calls });
        if (n > 1) yield* writeField(w.y, n);
      },
    });
    expectModelError(await run(s), /the model is not deterministic: re-run under the same schedule, step 1 differs \(first run: A \(a\) count on x → 1; re-run: A \(a\) count on x → 2\)/);
    expectLibraryModelError(s, /the model is not deterministic: re-run under the same schedule, step 1 differs/);
  });

  it('an op with no object', async () => {
    const s = user({ a: function* () { yield { access: 'write', label: 'frob()', run: () => {} } as unknown as Op; } });
    expectModelError(await run(s), /A \(a\) yielded frob\(\) after step 0 with object undefined/);
  });

  it('an op whose object has no name, or whose label is not a string', async () => {
    const noName = user({ a: function* () { yield { object: {}, access: 'write', label: 'frob()', run: () => {} } as unknown as Op; } });
    expectModelError(await run(noName), /A \(a\) yielded frob\(\) after step 0 whose object has no string name/);
    const noLabel = user({ a: function* (w) { yield { object: w.x, access: 'write', run: () => {} } as unknown as Op; } });
    expectModelError(await run(noLabel), /A \(a\) yielded an op after step 0 whose label is undefined, not a string/);
  });

  it("access 'frobnicate'", async () => {
    const s = user({ a: function* (w): Steps { yield { object: w.x, access: 'frobnicate', label: 'frob(x)', run: () => {} } as unknown as Op; } });
    expectModelError(await run(s), /A \(a\) yielded frob\(x\) after step 0 with access 'frobnicate', not one of read, write, acquire, release, rcu-enter, rcu-exit, rcu-sync/);
  });

  it('a malformed alsoTouches, and a run that is not a function', async () => {
    const touches = user({ a: function* (w) { yield { object: w.x, access: 'write', label: 'x()', alsoTouches: [{ object: w.y, access: 'poke' }], run: () => {} } as unknown as Op; } });
    expectModelError(await run(touches), /A \(a\) yielded x\(\) after step 0 whose alsoTouches\[0\] \(y\) has access 'poke'/);
    const noRun = user({ a: function* (w) { yield { object: w.x, access: 'write', label: 'x()', run: 3 } as unknown as Op; } });
    expectModelError(await run(noRun), /A \(a\) yielded an op after step 0 whose run is 3, not a function/);
  });

  it('a variant with zero threads is a usage error', async () => {
    const s = user({});
    const r = await run(s);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^weft: user: the variant has no threads .*\n$/);
  });
});

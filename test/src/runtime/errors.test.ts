/**
 * weft's error classes across two copies of weft in one thread: a scenario file node takes for
 * CommonJS require()s its own copy (tsx's CommonJS loader, as here), and its models' oops must
 * still be a KernelFault to the runner of the copy that searches.
 */
import { describe, expect, it } from 'vitest';
import { require as tsxRequire } from 'tsx/cjs/api';
import * as ours from '../../../src/runtime/errors';
import { ReplayDivergence } from '../../../src/trace/replay-divergence';
import { perform, type SharedObject } from '../../../src/runtime/op';
import { firedChecks, program, runSchedule } from '../../helpers/program';

/** A CommonJS copy of errors.ts: its classes are other objects than ours, its prototypes too. */
const theirs = tsxRequire('../../../src/runtime/errors.ts', import.meta.url) as typeof ours;

describe("weft's errors from a second copy of weft", () => {
  it('is a second copy indeed', () => {
    expect(theirs.KernelFault).not.toBe(ours.KernelFault);
    expect(Object.getPrototypeOf(new theirs.KernelFault('oops', 'm'))).not.toBe(ours.KernelFault.prototype);
  });

  it("each class recognises the other copy's instances, both ways, and only its own kind", () => {
    const pairs = [
      [ours.KernelFault, theirs.KernelFault, (C: typeof ours.KernelFault) => new C('bug-on', 'm', 's')],
      [ours.ScenarioError, theirs.ScenarioError, (C: typeof ours.ScenarioError) => new C('m')],
      [ours.UsageError, theirs.UsageError, (C: typeof ours.UsageError) => new C('m')],
      [ours.InternalError, theirs.InternalError, (C: typeof ours.InternalError) => new C('m')],
    ] as const;
    for (const [i, [a, b, make]] of pairs.entries()) {
      const mine = (make as (C: unknown) => Error)(a);
      const foreign = (make as (C: unknown) => Error)(b);
      expect(foreign instanceof a, `${a.name} of the other copy`).toBe(true);
      expect(mine instanceof b, `${a.name} of ours, to the other copy`).toBe(true);
      for (const [j, [c]] of pairs.entries()) if (j !== i) expect(foreign instanceof c, `${a.name} is no ${c.name}`).toBe(false);
    }
    const lookalike = Object.assign(new Error('m'), { name: 'KernelFault', check: 'oops' });
    expect(lookalike instanceof ours.KernelFault).toBe(false);
    for (const v of [null, undefined, 'KernelFault', 0] as unknown[]) expect((v as object) instanceof ours.KernelFault).toBe(false);
  });

  it('a subclass keeps prototype instanceof: a ScenarioError is no ReplayDivergence, a ReplayDivergence is a ScenarioError', () => {
    const d = new ReplayDivergence('diverged', 3);
    expect(d instanceof ReplayDivergence).toBe(true);
    expect(d instanceof ours.ScenarioError).toBe(true);
    expect(d instanceof theirs.ScenarioError).toBe(true);
    expect(new ours.ScenarioError('m') instanceof ReplayDivergence).toBe(false);
    expect(new theirs.ScenarioError('m') instanceof ReplayDivergence).toBe(false);
  });

  it("the runner records the other copy's oops as a violation, from an op's run and from a thread's body", () => {
    const p = program<{ x: SharedObject & { v: number } }>({
      setup: () => ({ x: { name: 'x', v: 0 } }),
      threads: {
        a: function* ({ x }) {
          yield* perform({ object: x, access: 'write', label: 'x = 1', run: () => void (x.v = 1) });
        },
        b: function* ({ x }) {
          yield* perform({ object: x, access: 'read', label: 'BUG_ON(x == 1)', run: () => theirs.bugOn(x.v === 1, 'x was 1', 'x->v = 1') });
        },
        c: function* ({ x }) {
          const v = yield* perform({ object: x, access: 'read', label: 'read x', run: () => x.v });
          if (v === 1) theirs.oops('c read 1');
        },
      },
    });
    const inRun = runSchedule(p, 'A B');
    expect(firedChecks(inRun)).toEqual(['bug-on']);
    expect(inRun.violations[0]).toMatchObject({ message: 'BUG_ON(x == 1): x was 1', state: 'x->v = 1' });
    const inBody = runSchedule(p, 'A C');
    expect(firedChecks(inBody)).toEqual(['oops']);
    expect(inBody.violations[0]!.message).toBe('c read 1');
  });
});

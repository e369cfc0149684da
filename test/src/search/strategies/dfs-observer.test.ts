/** The invariant observers of dfs: footprints from `observes`, and what the relation then orders. */
import { describe, expect, it } from 'vitest';
import type { Op, SharedObject } from '../../../../src/runtime/op';
import type { Invariant } from '../../../../src/runtime/scenario';
import { dependent, observedBy } from '../../../../src/search/dpor/dependency';
import { exploreProgram, program } from '../../../helpers/program';

interface Cell extends SharedObject {
  value: number;
}
interface W {
  a: Cell;
  b: Cell;
  c: Cell;
}
const world = (): W => ({ a: { name: 'a', value: 0 }, b: { name: 'b', value: 0 }, c: { name: 'c', value: 0 } });
const write = (c: Cell, v: number): Op<void> => ({ object: c, access: 'write', label: `${c.name} = ${v}`, run: () => void (c.value = v) });
const A: SharedObject = { name: 'a' };
const B: SharedObject = { name: 'b' };

function inv(id: string, observes: readonly SharedObject[] | undefined, check: (w: W) => true | string): Invariant<W> {
  return { id, description: id, check, ...(observes === undefined ? {} : { observes }) };
}

/** Three threads each writing its own cell twice: 90 interleavings, 1 class without invariants. */
function writers(invariants: readonly Invariant<W>[]) {
  return program<W>({
    setup: world,
    invariants,
    threads: {
      ta: function* (w) {
        yield write(w.a, 1);
        yield write(w.a, 2);
      },
      tb: function* (w) {
        yield write(w.b, 1);
        yield write(w.b, 2);
      },
      tc: function* (w) {
        yield write(w.c, 1);
        yield write(w.c, 2);
      },
    },
  });
}

describe('invariant footprints', () => {
  it('order only the steps that change an observed object', () => {
    const never = () => true as const;
    const count = (invs: readonly Invariant<W>[]) => exploreProgram(writers(invs)).stats.executions;
    expect(count([])).toBe(1);
    // a alone: nothing else changes what it reads
    expect(count([inv('a', [A], never)])).toBe(1);
    // a and b in one footprint: the four writes interleave, C(4,2) = 6 classes
    expect(count([inv('ab', [A, B], never)])).toBe(6);
    // a and b in two footprints: each is ordered only with itself
    expect(count([inv('a', [A], never), inv('b', [B], never)])).toBe(1);
    // no footprint: the whole-world observer orders every write, 6!/(2!2!2!) = 90
    expect(count([inv('any', undefined, never)])).toBe(90);
    expect(count([inv('a', [A], never), inv('any', undefined, never)])).toBe(90);
  });

  it('still find a state that only some interleavings of the footprint pass through', () => {
    const bothOne = inv('not-both-one', [A, B], (w) => (w.a.value === 1 && w.b.value === 1 ? 'a = b = 1' : true));
    const v = exploreProgram(writers([bothOne]));
    expect(v.kind).toBe('violated');
    if (v.kind === 'violated') expect(v.violations.map((x) => x.check)).toEqual(['not-both-one']);
  });

  it('an invariant that declares too little misses that state (why the audit checks observes)', () => {
    const wrong = inv('not-both-one', [A], (w) => (w.a.value === 1 && w.b.value === 1 ? 'a = b = 1' : true));
    // why auditExecutions 0: this test is of the reduction itself, shown a wrong declaration
    expect(exploreProgram(writers([wrong]), { limits: { auditExecutions: 0 } }).kind).toBe('holds');
    // with the audit at its default, the same search is a model error, not a wrong holds
    expect(() => exploreProgram(writers([wrong]))).toThrow(
      /^invariant not-both-one reads b\.value, which B \(tb\) step \d+ b = 1 writes, and that step changes nothing the invariant observes \(it declares b 'write'\), .*; add b to its observes$/,
    );
  });

  it('keep the maximal footprints of a variant, each once', () => {
    const n = (o: ReturnType<typeof observedBy>) => (typeof o === 'boolean' ? o : o.map((s) => [...s].sort().join('+')));
    expect(n(observedBy(undefined))).toBe(false);
    expect(n(observedBy([]))).toBe(false);
    expect(n(observedBy([{ observes: [] }]))).toBe(false);
    expect(n(observedBy([{ observes: [A] }, { observes: [A, B] }, { observes: [B, A] }]))).toEqual(['a+b']);
    expect(n(observedBy([{ observes: [A] }, {}]))).toBe(true);
  });

  it('make dependent() order two writers of one footprint and nothing else', () => {
    const w = world();
    const obs = observedBy([{ observes: [A, B] }]);
    expect(dependent(write(w.a, 1), write(w.b, 1), obs)).toBe(true);
    expect(dependent(write(w.a, 1), write(w.c, 1), obs)).toBe(false);
    expect(dependent(write(w.a, 1), write(w.c, 1), true)).toBe(true);
    const alsoB: Op<void> = { ...write(w.c, 1), alsoTouches: [{ object: w.b, access: 'write' }] };
    const readsB: Op<void> = { ...write(w.c, 1), alsoTouches: [{ object: w.b, access: 'read' }] };
    expect(dependent(write(w.a, 1), alsoB, obs)).toBe(true);
    expect(dependent(write(w.a, 1), readsB, obs)).toBe(false);
  });

  it('reject an invariant already false before the first step (a model error, not a verdict)', () => {
    const p = writers([inv('a-nonzero', [A], (w) => (w.a.value !== 0 ? true : 'a = 0'))]);
    expect(() => exploreProgram(p)).toThrow(/invariant a-nonzero is already false on the world setup\(\) built, before any step \(a = 0\)/);
  });
});

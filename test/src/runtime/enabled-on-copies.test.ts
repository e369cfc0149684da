/**
 * An op's own `enabled` asked on copies of its objects' data put in place (src/runtime/
 * enabled-on-copies.ts), how dfs decides a reordering of a wait that restates nothing: the live
 * object has the copy's data for the call and its own after, with no change of shape; an object
 * whose fields are not the copy's is not asked; an enabled that throws is a model error.
 */
import { describe, expect, it } from 'vitest';
import { enabledOnLiveCopies } from '../../../src/runtime/enabled-on-copies';
import { perform, type HeldResource, type Op, type SharedObject, type ThreadContext } from '../../../src/runtime/op';
import { copyOfData } from '../../../src/runtime/state-copies';
import { checkVariant } from '../../../src/search/variant';
import { program } from '../../helpers/program';

interface Cell extends SharedObject {
  value: number;
  list: number[];
}

const ctx = { id: 0, name: 't', letter: 'A', held: [], step: 1 } as unknown as ThreadContext;
const waitFor = (c: Cell, seen: number[]): Op => ({ object: c, access: 'read', label: 'await c', enabled: () => (seen.push(c.value), c.value === 1 && c.list.length === 2), run: () => undefined });

describe('enabledOnLiveCopies', () => {
  it("asks enabled with the copy's data in place, and puts the object's own back, in the same order", () => {
    const c: Cell = { name: 'c', value: 1, list: [1, 2] };
    const copy = copyOfData(c)!;
    const list = c.list;
    c.value = 0;
    c.list = [];
    const seen: number[] = [];
    expect(enabledOnLiveCopies(waitFor(c, seen), ctx, [], [copy], 'A')).toBe(true);
    expect(seen).toEqual([1]);
    expect(c).toEqual({ name: 'c', value: 0, list: [] });
    expect(Object.keys(c)).toEqual(['name', 'value', 'list']);
    expect(c.list).not.toBe(list);
    expect(enabledOnLiveCopies(waitFor(c, seen), ctx, [], [copyOfData(c)!], 'A')).toBe(false);
  });

  it('does not ask when the live fields are not the copy\'s (one added, or an accessor)', () => {
    const c: Cell = { name: 'c', value: 1, list: [1, 2] };
    const copy = copyOfData(c)!;
    const seen: number[] = [];
    (c as unknown as Record<string, unknown>).extra = 1;
    expect(enabledOnLiveCopies(waitFor(c, seen), ctx, [], [copy], 'A')).toBeNull();
    const d = { name: 'c', list: [1, 2], get value() { return 1; } } as unknown as Cell;
    expect(enabledOnLiveCopies(waitFor(d, seen), ctx, [], [{ name: 'c', list: [1, 2], value: 1 } as unknown as SharedObject], 'A')).toBeNull();
    expect(seen).toEqual([]);
  });

  it('gives enabled the thread holding what it held while it waited, not what it holds now', () => {
    const c: Cell = { name: 'c', value: 1, list: [1, 2] };
    const lock = { object: { name: 'l' }, label: 'spin_lock(l)', step: 1, atomic: true } as HeldResource;
    const live = { ...ctx, held: [lock] } as unknown as ThreadContext;
    const op: Op = { object: c, access: 'read', label: 'await c', enabled: (self) => self.held.length === 0 && self.name === 't', run: () => undefined };
    expect(enabledOnLiveCopies(op, live, [], [copyOfData(c)!], 'A')).toBe(true);
    expect(enabledOnLiveCopies(op, live, [lock], [copyOfData(c)!], 'A')).toBe(false);
  });

  it('an enabled that throws on the copy is a model error, and the live data is back', () => {
    const c: Cell = { name: 'c', value: 1, list: [1, 2] };
    const copy = copyOfData(c)!;
    c.value = 5;
    const op: Op = { object: c, access: 'read', label: 'await c', enabled: () => (c.list as number[]).push(3) > 0, run: () => undefined };
    expect(() => enabledOnLiveCopies(op, ctx, [], [copy], 'A (t) await c, reordered')).toThrow(/A \(t\) await c, reordered: its enabled threw on a copy of c's data .*; it may read only its objects' data/);
    expect(c).toEqual({ name: 'c', value: 5, list: [1, 2] });
  });
});

describe('the audit asks an opaque wait again after its run', () => {
  it("an enabled that reads a local its op's own run changes is a model error", () => {
    const s = program<{ y: { name: string; value: number } }>({
      setup: () => ({ y: { name: 'y', value: 0 } }),
      threads: {
        writer: function* (w) {
          yield* perform<void>({ object: w.y, access: 'write', label: 'y = 1', run: () => void (w.y.value = 1) });
        },
        waiter: function* (w) {
          let want = 1;
          yield* perform<void>({ object: w.y, access: 'read', label: 'await y', enabled: () => w.y.value === want, run: () => void (want = 2) });
        },
      },
    });
    expect(() => checkVariant(s, 'main')).toThrow(/B \(waiter\) step \d+ await y: its enabled \(on the same copy of y's data, put in place\) gave true before the step ran and false after it/);
  });
});

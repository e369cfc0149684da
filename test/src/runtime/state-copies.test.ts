/**
 * Copies of an object's plain data (src/runtime/state-copies.ts), the keys the reduction decides
 * awaitUntil's waits on (Op.enabledOn): equal data, equal key; any difference JSON would hide
 * (undefined against null, NaN, -0, a hole, a Map's entries), a different key; anything that is
 * not plain data, no key.
 */
import { describe, expect, it } from 'vitest';
import { perform, type SharedObject } from '../../../src/runtime/op';
import { copyOfData, StateCopies } from '../../../src/runtime/state-copies';
import { checkVariant } from '../../../src/search/variant';
import { program } from '../../helpers/program';

const named = (data: Record<string, unknown>): SharedObject => ({ name: 'o', ...data });

describe('StateCopies', () => {
  it('gives equal data one key and its copy, and different data another', () => {
    const copies = new StateCopies();
    const a = copies.keyOf(named({ v: 1, list: [1, 2], inner: { x: 'a' } }));
    expect(copies.keyOf(named({ v: 1, list: [1, 2], inner: { x: 'a' } }))).toBe(a);
    const b = copies.keyOf(named({ v: 2, list: [1, 2], inner: { x: 'a' } }));
    expect(b).not.toBe(a);
    expect(copies.copyOf(a)).toEqual({ name: 'o', v: 1, list: [1, 2], inner: { x: 'a' } });
    expect(Object.isFrozen((copies.copyOf(a) as unknown as { list: number[] }).list)).toBe(true);
  });

  it('tells apart what JSON alone would conflate', () => {
    const copies = new StateCopies();
    const pairs: [unknown, unknown][] = [
      [undefined, null],
      [Number.NaN, null],
      [-0, 0],
      [Infinity, null],
      [[undefined], [null]],
      ['1', 1],
      [new Map([[1, 2]]), new Map([[1, 3]])],
      [new Set([1]), new Set([2])],
      [new Map(), {}],
    ];
    for (const [x, y] of pairs) expect(copies.keyOf(named({ v: x })), `${String(x)} vs ${String(y)}`).not.toBe(copies.keyOf(named({ v: y })));
  });

  it('keys nothing that is not plain data: a class instance, a function, a cycle, a hole', () => {
    const copies = new StateCopies();
    class Box {
      v = 1;
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    // eslint-disable-next-line no-sparse-arrays
    for (const v of [new Box(), () => 1, cyclic, [1, , 3], new Date(0)]) {
      expect(copies.keyOf(named({ v }))).toBeNaN();
      expect(copyOfData(named({ v }))).toBeNull();
    }
  });
});

describe('waits decided on copies (Op.enabledOn)', () => {
  interface Cells {
    readonly x: { readonly name: string; value: number };
    readonly y: { readonly name: string; value: number };
  }
  const cells = (): Cells => ({ x: { name: 'x', value: 0 }, y: { name: 'y', value: 0 } });
  const write = (c: Cells['x'], v: number) => perform<void>({ object: c, access: 'write', label: `${c.name} = ${v}`, run: () => void (c.value = v) });

  /** A writer of y = 1 and a waiter for y set, whose wait restates its condition as `enabledOn`. */
  const waitOnY = (enabledOn: (copy: SharedObject) => boolean) =>
    program<Cells>({
      setup: cells,
      threads: {
        writer: function* (w) {
          yield* write(w.y, 1);
        },
        waiter: function* (w) {
          yield* perform<void>({ object: w.y, access: 'read', label: 'await y', enabled: () => w.y.value !== 0, enabledOn, run: () => undefined });
        },
      },
    });

  it('an enabledOn that disagrees with enabled is a model error in an audit execution', () => {
    expect(() => checkVariant(waitOnY(() => true), 'main', { limits: { auditExecutions: 1_000_000 } })).toThrow(
      /waits at await y after step \d+: its enabledOn gives true on a copy of y's data and its enabled false/,
    );
  });

  it('an enabledOn that writes to its copy (frozen) is a model error naming the wait', () => {
    const writesItsCopy = (c: SharedObject) => (c as Cells['y']).value++ > 0;
    expect(() => checkVariant(waitOnY(writesItsCopy), 'main', { limits: { auditExecutions: 1_000_000 } })).toThrow(/waits at await y after step \d+: its enabledOn threw on a copy of y's data/);
  });

  it("an enabledOn that reads a local its op's own run changes is a model error", () => {
    const s = program<Cells>({
      setup: cells,
      threads: {
        writer: function* (w) {
          yield* write(w.y, 1);
        },
        waiter: function* (w) {
          let want = 1;
          yield* perform<void>({ object: w.y, access: 'read', label: 'await y', enabled: () => w.y.value === want, enabledOn: (c) => (c as Cells['y']).value === want, run: () => void (want = 2) });
        },
      },
    });
    expect(() => checkVariant(s, 'main')).toThrow(/B \(waiter\) step \d+ await y: its enabledOn \(on the same copy of y's data\) gave true before the step ran and false after it/);
  });

  it('enabledOn without enabled is a model error', () => {
    const alone = program<Cells>({
      setup: cells,
      threads: { t: (w) => perform<void>({ object: w.y, access: 'read', label: 'await y', enabledOn: () => true, run: () => undefined }) },
    });
    expect(() => checkVariant(alone, 'main')).toThrow(/await y after step 0 with enabledOn but no enabled/);
  });

  it('over several objects, enabledOn gets copies of the readByEnabled ones, and one that disagrees is named with all', () => {
    const seen: string[] = [];
    const waits = (enabledOn: (c: SharedObject, others: readonly SharedObject[]) => boolean) =>
      program<Cells>({
        setup: cells,
        threads: {
          writer: function* (w) {
            yield* write(w.x, 1);
            yield* write(w.y, 1);
          },
          waiter: (w) =>
            perform<void>({
              object: w.y,
              access: 'read',
              label: 'await x, y',
              alsoTouches: [{ object: w.x, access: 'read', readByEnabled: true }],
              enabled: () => w.x.value + w.y.value === 2,
              enabledOn,
              run: () => undefined,
            }),
        },
      });
    const right = (c: SharedObject, others: readonly SharedObject[]) => {
      seen.push(`${(c as Cells['y']).name}:${others.map((o) => (o as Cells['x']).name).join(',')}`);
      return (c as Cells['y']).value + (others[0] as Cells['x']).value === 2;
    };
    expect(checkVariant(waits(right), 'main', { limits: { auditExecutions: 1_000_000 } }).kind).toBe('holds');
    expect(new Set(seen)).toEqual(new Set(['y:x']));
    // x = 1 with y still 0: this says yes, enabled says no
    const onlyX = (_c: SharedObject, others: readonly SharedObject[]) => (others[0] as Cells['x']).value === 1;
    expect(() => checkVariant(waits(onlyX), 'main', { limits: { auditExecutions: 1_000_000 } })).toThrow(
      /waits at await x, y after step \d+: its enabledOn gives true on a copy of the data of y, x and its enabled false/,
    );
  });
});

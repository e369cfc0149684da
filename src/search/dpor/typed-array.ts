/**
 * Growing the explorer's typed arrays: its per-event, per-access, per-node and per-object tables
 * are typed arrays (no garbage, dense in memory) that double when an index passes their end.
 */

/**
 * Empty tables to start from: a table is created when it first needs room (atLeast never writes
 * into the array it is given), so a search of a few steps allocates only what it uses.
 */
export const EMPTY_INTS = new Int32Array(0);
export const EMPTY_BYTES = new Uint8Array(0);
export const EMPTY_FLOATS = new Float64Array(0);

/** `a` if it has at least n elements, else a copy of it with max(n, 2 × its length) elements. */
export function atLeast<A extends Int32Array | Uint8Array | Float64Array>(a: A, n: number): A {
  if (a.length >= n) return a;
  const b = new (a.constructor as new (length: number) => A)(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}

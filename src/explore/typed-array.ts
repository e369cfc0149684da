/**
 * Growing the explorer's typed arrays: its per-event, per-access, per-node and per-object tables
 * are typed arrays (no garbage, dense in memory) that double when an index passes their end.
 */

/** `a` if it has at least n elements, else a copy of it with max(n, 2 × its length) elements. */
export function atLeast<A extends Int32Array | Uint8Array>(a: A, n: number): A {
  if (a.length >= n) return a;
  const b = new (a.constructor as new (length: number) => A)(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}

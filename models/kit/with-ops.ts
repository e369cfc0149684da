/**
 * Builds a model object whose ops point back at it. Ops are allocated once per object so the hot
 * loop allocates nothing per step; they need the object, and the object holds them, so the object
 * exists for one line without its ops.
 */
export function withOps<T extends { readonly ops: unknown }>(base: Omit<T, 'ops'>, makeOps: (obj: T) => T['ops']): T {
  // why the casts: `ops` is assigned on the next line, before the object escapes.
  const obj = base as unknown as T;
  (obj as { ops: T['ops'] }).ops = makeOps(obj);
  return obj;
}

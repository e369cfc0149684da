import type { Access, Op } from './op';

/**
 * The closed set of access kinds. The dependency relation only knows these; an op announcing any
 * other kind would be treated by some rule or other without anyone having decided how.
 */
const ACCESSES: ReadonlySet<string> = new Set<Access>(['read', 'write', 'acquire', 'release', 'rcu-enter', 'rcu-exit', 'rcu-sync']);

/**
 * The shape nearly every op has, in as few loads as it takes: a named object, a label, a known
 * access, a run, perhaps an enabled, and nothing else to check. Why apart: malformedOp runs at
 * every announcement of an op a thread has not announced lately, which on the benchmark programs
 * is every step (each execution builds its world, and its ops, anew).
 */
export function plainOp(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const op = value as Partial<Record<keyof Op, unknown>>;
  const object = op.object as { name?: unknown } | null | undefined;
  if (typeof op.run !== 'function' || typeof op.label !== 'string' || typeof object !== 'object' || object === null || typeof object.name !== 'string') return false;
  switch (op.access) {
    case 'read':
    case 'write':
    case 'acquire':
    case 'release':
      break;
    default:
      return false;
  }
  return op.alsoTouches === undefined && op.choices === undefined && op.enabledAt === undefined && op.enabledOn === undefined && (op.enabled === undefined || typeof op.enabled === 'function');
}

/**
 * What is wrong with a value a thread yielded, as an op: null when it is a well-formed op, else
 * the reason in a few words. Checked at every announcement, so it is a handful of typeof tests;
 * `alsoTouches` is walked only when present (a few entries at most).
 */
export function malformedOp(value: unknown, step: number): string | null {
  if (plainOp(value)) return null;
  if (value === null || typeof value !== 'object') {
    return `yielded ${String(value)} after step ${step}, not an op (a model helper called without yield*?)`;
  }
  const op = value as Partial<Record<keyof Op, unknown>>;
  if (typeof op.run !== 'function') {
    return typeof (op as { next?: unknown }).next === 'function'
      ? `yielded a generator after step ${step}, not an op (a model helper called with yield instead of yield*?)`
      : `yielded an op after step ${step} whose run is ${describe(op.run)}, not a function`;
  }
  if (typeof op.label !== 'string') return `yielded an op after step ${step} whose label is ${describe(op.label)}, not a string`;
  const object = op.object as { name?: unknown } | null | undefined;
  if (object === null || typeof object !== 'object') return `yielded ${op.label} after step ${step} with object ${describe(object)}: an op names the shared object it touches`;
  if (typeof object.name !== 'string') return `yielded ${op.label} after step ${step} whose object has no string name (every shared object is named: newSpinlock('mm->lock'))`;
  if (typeof op.access !== 'string' || !ACCESSES.has(op.access)) {
    return `yielded ${op.label} after step ${step} with access ${describe(op.access)}, not one of ${[...ACCESSES].join(', ')}`;
  }
  if (op.choices !== undefined && !(Number.isSafeInteger(op.choices) && (op.choices as number) >= 1)) {
    return `yielded ${op.label} after step ${step} whose choices is ${describe(op.choices)}, not a whole number ≥ 1`;
  }
  if (op.enabled !== undefined && typeof op.enabled !== 'function') return `yielded ${op.label} after step ${step} whose enabled is ${describe(op.enabled)}, not a function`;
  if (op.enabledAt !== undefined) {
    if (typeof op.enabledAt !== 'function') return `yielded ${op.label} after step ${step} whose enabledAt is ${describe(op.enabledAt)}, not a function`;
    if (op.enabled === undefined) return `yielded ${op.label} after step ${step} with enabledAt but no enabled: enabledAt restates enabled, it does not replace it`;
    if (typeof (object as { stateKey?: unknown }).stateKey !== 'function') {
      return `yielded ${op.label} after step ${step} with enabledAt, but its object ${object.name} has no stateKey(): enabledAt reads the state it gives`;
    }
    if (readsOtherObjects(op)) {
      return `yielded ${op.label} after step ${step} with enabledAt and readByEnabled objects: enabledAt sees only its own object's stateKey()`;
    }
  }
  if (op.enabledOn !== undefined) {
    if (typeof op.enabledOn !== 'function') return `yielded ${op.label} after step ${step} whose enabledOn is ${describe(op.enabledOn)}, not a function`;
    if (op.enabled === undefined) return `yielded ${op.label} after step ${step} with enabledOn but no enabled: enabledOn restates enabled, it does not replace it`;
  }
  if (op.alsoTouches !== undefined) {
    const touches = op.alsoTouches;
    if (!Array.isArray(touches)) return `yielded ${op.label} after step ${step} whose alsoTouches is ${describe(touches)}, not an array of { object, access }`;
    for (let i = 0; i < touches.length; i++) {
      const t = touches[i] as { object?: { name?: unknown } | null; access?: unknown } | null;
      if (t === null || typeof t !== 'object' || t.object === null || typeof t.object !== 'object' || typeof t.object.name !== 'string') {
        return `yielded ${op.label} after step ${step} whose alsoTouches[${i}] is not { object, access } with a named object`;
      }
      if (typeof t.access !== 'string' || !ACCESSES.has(t.access)) {
        return `yielded ${op.label} after step ${step} whose alsoTouches[${i}] (${t.object.name}) has access ${describe(t.access)}, not one of ${[...ACCESSES].join(', ')}`;
      }
      // why 30: the explorer keeps which objects an enabled reads as bits of one word (dfs.ts gateOf)
      if ((t as { readByEnabled?: unknown }).readByEnabled === true && i >= 30) {
        return `yielded ${op.label} after step ${step} whose alsoTouches[${i}] (${t.object.name}) is readByEnabled: an enabled may read at most 30 objects besides its own`;
      }
    }
  }
  return null;
}

/** Whether an op's alsoTouches (not yet validated) marks some entry readByEnabled. */
function readsOtherObjects(op: Partial<Record<keyof Op, unknown>>): boolean {
  return Array.isArray(op.alsoTouches) && (op.alsoTouches as { readByEnabled?: unknown }[]).some((t) => t !== null && typeof t === 'object' && t.readByEnabled === true);
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number') return String(v);
  if (v === null || v === undefined || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? 'an array' : 'an object';
}

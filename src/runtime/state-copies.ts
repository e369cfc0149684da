import { ScenarioError } from './errors';
import type { Op, SharedObject } from './op';

/**
 * Copies of shared objects' plain data, interned: the state key of an object without a
 * `stateKey()` for an op that restates its `enabled` on a copy (Op.enabledOn, awaitUntil's). Two
 * states get the same key exactly when their data is the same, so the reduction can evaluate a
 * waiting step's condition at a reordered point on the copy recorded before the step that changed
 * the object (as Nidhugg evaluates await conditions on recorded values).
 *
 * Plain data: primitives, arrays, Maps, Sets and objects whose prototype is Object's or null. An
 * object holding anything else (a class instance, a function, a cycle) has no key (NaN), and a
 * reordering to a point where its state matters is then tried, as without a key.
 */
export class StateCopies {
  private readonly ids = new Map<string, number>();
  private readonly copies: SharedObject[] = [];

  /** The key of `object`'s data now, or NaN when it is not plain data. */
  keyOf(object: SharedObject): number {
    const text = dataText(object);
    if (text === null) return Number.NaN;
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.copies.length;
      this.ids.set(text, id);
      this.copies.push(frozen(structuredClone(object)) as SharedObject);
    }
    return id;
  }

  /** The copy whose key is `key` (frozen: a condition that writes to it fails loudly). */
  copyOf(key: number): SharedObject {
    return this.copies[key]!;
  }
}

/** A frozen copy of `object`'s data now, or null when it is not plain data (the audit's copy). */
export function copyOfData(object: SharedObject): SharedObject | null {
  return dataText(object) === null ? null : (frozen(structuredClone(object)) as SharedObject);
}

/**
 * The objects an op's condition reads, as the reduction orders them: its own object, then each
 * `alsoTouches` entry it marks `readByEnabled`, in declared order (Op.enabledOn's copy, then others).
 */
export function conditionObjects(op: Op): SharedObject[] {
  const objects = [op.object];
  for (const x of op.alsoTouches ?? []) if (x.readByEnabled === true) objects.push(x.object);
  return objects;
}

/** A frozen copy of each of conditionObjects(op) now, or null when one is not plain data (the reduction keeps none either). */
export function copiesOfCondition(op: Op): SharedObject[] | null {
  const copies: SharedObject[] = [];
  for (const o of conditionObjects(op)) {
    const c = copyOfData(o);
    if (c === null) return null;
    copies.push(c);
  }
  return copies;
}


/**
 * `op.enabledOn` on `copy` (and `others`, copies of its readByEnabled objects), or a model error
 * that begins with `where` (who waits, and where) when it throws: a condition that reads more than
 * the objects' data (a method, an object it does not name).
 */
export function enabledOnCopy(op: Op, copy: SharedObject, others: readonly SharedObject[], where: string): boolean {
  try {
    return op.enabledOn!(copy, others);
  } catch (e) {
    throw new ScenarioError(`${where}: its enabledOn threw on a copy of ${op.object.name}'s data (${e instanceof Error ? e.message : String(e)}); it may read only the object's data`);
  }
}

function dataText(object: SharedObject): string | null {
  try {
    return JSON.stringify(object, tagged);
  } catch {
    return null;
  }
}

class NotPlain extends Error {}

// why tags with a NUL: JSON conflates undefined with null (in arrays) or drops it, writes NaN and
// -0 as null and 0, and has no Map or Set; each tag is an object no plain data serializes to
// unless a field's name starts with a NUL
function tagged(this: unknown, key: string, value: unknown): unknown {
  // why the holder's own value: JSON.stringify has already applied a toJSON (a Date's) to `value`
  const raw = key === '' ? value : (this as Record<string, unknown>)[key];
  switch (typeof raw) {
    case 'string':
    case 'boolean':
      return raw;
    case 'number':
      return Number.isFinite(raw) && !Object.is(raw, -0) ? raw : { '\u0000n': String(Object.is(raw, -0) ? '-0' : raw) };
    case 'undefined':
      return { '\u0000u': 0 };
    case 'bigint':
      return { '\u0000b': String(raw) };
    case 'object': {
      if (raw === null) return raw;
      // why holes are not plain: JSON writes a hole as null
      if (Array.isArray(raw)) {
        if (Object.keys(raw).length !== raw.length) throw new NotPlain();
        return raw;
      }
      if (raw instanceof Map) return { '\u0000map': Array.from(raw) };
      if (raw instanceof Set) return { '\u0000set': Array.from(raw) };
      const proto = Object.getPrototypeOf(raw) as unknown;
      if (proto === Object.prototype || proto === null) return raw;
      throw new NotPlain();
    }
    default:
      throw new NotPlain();
  }
}

function frozen<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    if (value instanceof Map) value.forEach((v, k) => (frozen(k), frozen(v)));
    else if (value instanceof Set) value.forEach((v) => frozen(v));
    else for (const k of Object.keys(value)) frozen((value as Record<string, unknown>)[k]);
  }
  return value;
}

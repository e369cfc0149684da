import { ScenarioError } from './errors';
import type { HeldResource, Op, SharedObject, ThreadContext } from './op';
import { conditionObjects } from './state-copies';

/**
 * An op's own `enabled` asked on copies of its objects' data (StateCopies), for a wait that
 * restates no condition: no enabledAt, no enabledOn. Its `enabled` reads its objects through the
 * references it closes over, so for the call the copies' data is put into the live objects, and
 * their own data is put back after, field by field.
 *
 * Why only when each live object has the copy's fields, in the copy's order, each a writable data
 * property or an accessor that stores what it is given: then no object changes shape or order (a
 * later copy of it keys the same). Otherwise the answer is null: not asked, and the reordering
 * stays to be tried.
 *
 * Sound for the same reason enabledOn is: an `enabled` may read only the data of its op's object
 * and of the `alsoTouches` entries it marks `readByEnabled` (the footprint audit checks it), and the
 * thread, which it is given as it was while the step waited: its live context, holding `held`.
 *
 * `copies`: one for each of conditionObjects(op), in that order.
 */
export function enabledOnLiveCopies(op: Op, ctx: ThreadContext, held: readonly HeldResource[], copies: readonly SharedObject[], where: string): boolean | null {
  const objects = conditionObjects(op);
  const keys: string[][] = [];
  for (let k = 0; k < objects.length; k++) {
    const fields = swappable(objects[k]!, copies[k]!);
    if (fields === null) return null;
    keys.push(fields);
  }
  const saved: unknown[][] = [];
  try {
    for (let k = 0; k < objects.length; k++) {
      const kept = putData(objects[k]!, keys[k]!, copies[k]! as unknown as Record<string, unknown>);
      saved.push(kept);
      if (kept.length < keys[k]!.length) return null;
    }
    // why a view over the live context: enabled may read the thread (what it holds), and what it
    // holds now is not what it held while the step waited
    const waiting = Object.create(ctx, { held: { value: held } }) as ThreadContext;
    try {
      return op.enabled!(waiting);
    } catch (e) {
      throw new ScenarioError(`${where}: its enabled threw on a copy of ${op.object.name}'s data (${e instanceof Error ? e.message : String(e)}); it may read only its objects' data`);
    }
  } finally {
    for (let k = 0; k < saved.length; k++) putBack(objects[k]!, keys[k]!, saved[k]!);
  }
}

/** The live object's own fields when they are the copy's, in order, each writable (a data property, or an accessor with a setter); else null. */
function swappable(live: SharedObject, copy: SharedObject): string[] | null {
  const fields = Object.keys(live);
  const copied = Object.keys(copy);
  if (fields.length !== copied.length) return null;
  for (let i = 0; i < fields.length; i++) {
    if (fields[i] !== copied[i]) return null;
    const d = Object.getOwnPropertyDescriptor(live, fields[i]!);
    // why an accessor with both halves passes: the footprint audit instruments fields so, and
    // putData reads each value back, so a setter that does not store what its getter gives fails
    if (d === undefined || ('value' in d ? d.writable !== true : d.get === undefined || d.set === undefined)) return null;
  }
  return fields;
}

/** Puts the copy's fields in place, returning the live values it replaced; fewer than the fields when one did not take. */
function putData(live: SharedObject, fields: readonly string[], copy: Record<string, unknown>): unknown[] {
  const target = live as unknown as Record<string, unknown>;
  const saved: unknown[] = [];
  for (const f of fields) {
    saved.push(target[f]);
    target[f] = copy[f];
    if (!Object.is(target[f], copy[f])) break;
  }
  return saved;
}

function putBack(live: SharedObject, fields: readonly string[], saved: readonly unknown[]): void {
  const target = live as unknown as Record<string, unknown>;
  for (let i = 0; i < saved.length; i++) target[fields[i]!] = saved[i];
}

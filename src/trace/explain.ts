/**
 * What each step changed in the world, as immer-style patches (`{ op, path, value }`), for
 * `--explain` and the HTML report. Only trace recording uses this, never exploration.
 *
 * The world is plain mutable objects with cycles (a node points at its list, the list at the node)
 * and Maps keyed by thread contexts, so immer's drafts cannot take it as it is. Instead each
 * snapshot flattens the world into leaves keyed by path, and two snapshots are diffed leaf by leaf.
 *
 * Every object is expanded at one path only, its home: the first path it was met at (breadth
 * first, so `mn.hlist` wins over `mm.list.first`), kept across snapshots for as long as the object
 * is still found there, so that relinking an object shows as a changed pointer, not as the object
 * moving. Anywhere else the object is a reference, shown by its kernel name when it has one.
 */

/** A leaf of the flattened world: a primitive, or a reference to an object expanded elsewhere. */
export type StateValue = string | number | boolean | null | undefined | { readonly ref: string };

/** Shaped like immer's Patch (`import type { Patch } from 'immer'`), with a typed value. */
export interface StatePatch {
  readonly op: 'replace' | 'add' | 'remove';
  readonly path: readonly (string | number)[];
  readonly value?: StateValue;
}

interface Leaf {
  readonly path: readonly (string | number)[];
  readonly value: StateValue;
}

/** Flattened world: leaves by path key, in breadth-first order. */
type Snapshot = Map<string, Leaf>;

const SEP = '\u0000';

/** Takes snapshots of one world over an execution and reports what changed between them. */
export class WorldDiffer {
  // invariant: home.get(o) is the path at which o was last expanded
  private readonly home = new Map<object, readonly (string | number)[]>();
  private last: Snapshot;

  constructor(private readonly world: object) {
    this.last = this.snapshot();
  }

  /** Patches from the previous call (or construction) to now. */
  changes(): StatePatch[] {
    const next = this.snapshot();
    const out: StatePatch[] = [];
    for (const [k, leaf] of next) {
      const was = this.last.get(k);
      if (was === undefined) out.push({ op: 'add', path: leaf.path, value: leaf.value });
      else if (!sameValue(was.value, leaf.value)) out.push({ op: 'replace', path: leaf.path, value: leaf.value });
    }
    for (const [k, leaf] of this.last) {
      if (next.has(k) || this.reshaped(k, next)) continue;
      out.push({ op: 'remove', path: leaf.path });
    }
    this.last = next;
    return out;
  }

  /**
   * Whether a leaf that is gone only changed shape: a NULL pointer that now leads to an object
   * (its fields show as added), or an object's field under a pointer that is now NULL (the
   * pointer shows as replaced). Its removal would only repeat that.
   */
  private reshaped(key: string, next: Snapshot): boolean {
    for (let at = key.lastIndexOf(SEP); at > 0; at = key.lastIndexOf(SEP, at - 1)) {
      if (next.has(key.slice(0, at))) return true;
    }
    const below = key + SEP;
    for (const k of next.keys()) if (k.startsWith(below)) return true;
    return false;
  }

  private snapshot(): Snapshot {
    const seen = this.reachable();
    // Keep an object's home while it is still found there; otherwise it moves to its first path.
    for (const [o, paths] of seen) {
      const h = this.home.get(o);
      if (h === undefined || !paths.has(keyOf(h))) this.home.set(o, paths.values().next().value!.path);
    }
    for (const o of [...this.home.keys()]) if (!seen.has(o)) this.home.delete(o);
    const leaves: Snapshot = new Map();
    const queue: { o: object; path: readonly (string | number)[] }[] = [{ o: this.world, path: [] }];
    for (let i = 0; i < queue.length; i++) {
      const { o, path } = queue[i]!;
      for (const [k, v] of entriesOf(o)) {
        const p = [...path, k];
        if (v === null || typeof v !== 'object') {
          leaves.set(keyOf(p), { path: p, value: primitive(v) });
        } else if (isAtom(v) || keyOf(this.home.get(v) ?? []) !== keyOf(p)) {
          leaves.set(keyOf(p), { path: p, value: { ref: refName(v, this.home.get(v)) } });
        } else {
          queue.push({ o: v, path: p });
        }
      }
    }
    return leaves;
  }

  /** Every object reachable from the world, with the paths it is found at, breadth first. */
  private reachable(): Map<object, Map<string, { path: readonly (string | number)[] }>> {
    const found = new Map<object, Map<string, { path: readonly (string | number)[] }>>();
    const queue: { o: object; path: readonly (string | number)[] }[] = [{ o: this.world, path: [] }];
    for (let i = 0; i < queue.length; i++) {
      const { o, path } = queue[i]!;
      for (const [k, v] of entriesOf(o)) {
        if (v === null || typeof v !== 'object' || isAtom(v)) continue;
        const p = [...path, k];
        let at = found.get(v);
        const first = at === undefined;
        if (at === undefined) found.set(v, (at = new Map()));
        at.set(keyOf(p), { path: p });
        if (first) queue.push({ o: v, path: p });
      }
    }
    return found;
  }
}

/** Own entries of a container; functions and ops (objects with a `run` method) are left out. */
function entriesOf(o: object): [string | number, unknown][] {
  const out: [string | number, unknown][] = [];
  const push = (k: string | number, v: unknown) => {
    if (typeof v === 'function' || typeof v === 'symbol' || isOp(v)) return;
    out.push([k, v]);
  };
  if (o instanceof Map) for (const [k, v] of o) push(mapKey(k), v);
  else if (o instanceof Set) [...o].forEach((v, i) => push(i, v));
  else if (Array.isArray(o)) o.forEach((v, i) => push(i, v));
  else for (const k of Object.keys(o)) push(k, (o as Record<string, unknown>)[k]);
  return out;
}

function isOp(v: unknown): boolean {
  return typeof v === 'object' && v !== null && 'run' in v && typeof v.run === 'function' && 'label' in v;
}

/** Objects never expanded: thread contexts (they carry the detectors' ghost books) and bare names. */
function isAtom(v: object): boolean {
  if (isThread(v)) return true;
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0] === 'name' && typeof (v as { name: unknown }).name === 'string';
}

function isThread(v: object): v is { letter: string; name: string } {
  return 'letter' in v && typeof v.letter === 'string' && 'ghost' in v && v.ghost instanceof Map;
}

function refName(v: object, home: readonly (string | number)[] | undefined): string {
  if (isThread(v)) return `${v.letter} (${v.name})`;
  if ('name' in v && typeof v.name === 'string') return v.name;
  return home ? formatPath(home) : '{…}';
}

function mapKey(k: unknown): string | number {
  if (typeof k === 'string' || typeof k === 'number') return k;
  if (typeof k === 'object' && k !== null) return refName(k, undefined);
  return String(k);
}

function primitive(v: unknown): StateValue {
  if (v === null || v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return String(v);
}

function sameValue(a: StateValue, b: StateValue): boolean {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) return a.ref === b.ref;
  return Object.is(a, b);
}

function keyOf(path: readonly (string | number)[]): string {
  return path.join(SEP);
}

/** `mn.hlist.pprev`, `registered[0].releaseCalls`, `srcu.active[unregister]`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const k of path) {
    if (typeof k === 'number' || !/^[A-Za-z_$][\w$]*$/.test(k)) out += `[${k}]`;
    else out += out === '' ? k : `.${k}`;
  }
  return out;
}

/** How a value reads: NULL for null, references as `→ name`, strings quoted only when empty. */
export function formatValue(v: StateValue): string {
  if (v === null) return 'NULL';
  if (v === undefined) return 'undefined';
  if (typeof v === 'object') return `→ ${v.ref}`;
  if (typeof v === 'string') return v === '' ? "''" : v;
  return String(v);
}

/** One line per patch: `mn.hlist.pprev = NULL`, `- srcu.active[unregister]`. */
export function formatPatch(p: StatePatch): string {
  return p.op === 'remove' ? `- ${formatPath(p.path)}` : `${formatPath(p.path)} = ${formatValue(p.value)}`;
}

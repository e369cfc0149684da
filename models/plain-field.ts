/**
 * Fields whose accesses the data-race detector watches, and atomics that order them.
 * - PlainField: a struct member read and written with plain loads and stores (`readField`,
 *   `writeField`) or marked ones (`readOnce` / `writeOnce`: READ_ONCE / WRITE_ONCE, which race only
 *   with plain accesses, as KCSAN rules). When the field lives in an object with a lifetime, every
 *   access checks it (use after free).
 * - AtomicValue: atomic_t / atomic_long_t. Every op is a marked access and a fully ordered
 *   synchronisation (the catalogue's memory model is sequentially consistent), so a relaxed-atomic
 *   message-passing bug is not reported as a data race.
 * Each access is one step; the field is the op's object (read or write), and its container, when
 * it has one, is declared as read (the liveness check; `liveCheck` in models/lifetime.ts).
 */
import { checkFieldRead, checkFieldWrite, hbAtomic, perform, type SharedObject, type Steps, type ThreadContext } from '../src/index';
import { assertLive, liveCheck, type Mortal } from './kit/lifetime';

export interface FieldOptions {
  /** The object the field lives in. */
  readonly container?: Mortal;
}

export interface PlainField<T> extends SharedObject {
  value: T;
  readonly container: Mortal | null;
}

export function newPlainField<T>(name: string, initial: T, options: FieldOptions = {}): PlainField<T> {
  return { name, value: initial, container: options.container ?? null };
}

function live(f: { readonly container: Mortal | null }, self: ThreadContext, label: string): void {
  if (f.container !== null) assertLive(f.container, self, label);
}

function* load<T>(f: PlainField<T>, label: string, marked: boolean): Steps<T> {
  return yield* perform({
    object: f,
    access: 'read',
    label,
    alsoTouches: liveCheck(f.container),
    run: (self) => {
      live(f, self, label);
      checkFieldRead(self, f, label, marked);
      return f.value;
    },
  });
}

function* store<T>(f: PlainField<T>, value: T, label: string, marked: boolean): Steps<void> {
  yield* perform<void>({
    object: f,
    access: 'write',
    label,
    alsoTouches: liveCheck(f.container),
    run: (self) => {
      live(f, self, label);
      checkFieldWrite(self, f, label, marked);
      f.value = value;
    },
  });
}

/** A plain load of `f`; `label` defaults to `read f`. */
export function readField<T>(f: PlainField<T>, label = `read ${f.name}`): Steps<T> {
  return load(f, label, false);
}

/** A plain store to `f`. */
export function writeField<T>(f: PlainField<T>, value: T, label = `${f.name} = ${String(value)}`): Steps<void> {
  return store(f, value, label, false);
}

/** READ_ONCE(f). */
export function readOnce<T>(f: PlainField<T>, label = `READ_ONCE(${f.name})`): Steps<T> {
  return load(f, label, true);
}

/** WRITE_ONCE(f, value). */
export function writeOnce<T>(f: PlainField<T>, value: T, label = `WRITE_ONCE(${f.name}, ${String(value)})`): Steps<void> {
  return store(f, value, label, true);
}

/** The field's value for invariants and setup; not a step and not an access. */
export function peekField<T>(f: PlainField<T>): T {
  return f.value;
}

export interface AtomicValue extends SharedObject {
  value: number;
  readonly container: Mortal | null;
}

export function newAtomic(name: string, initial = 0, options: FieldOptions = {}): AtomicValue {
  return { name, value: initial, container: options.container ?? null };
}

function* atomicOp<R>(a: AtomicValue, label: string, access: 'read' | 'write', apply: () => R): Steps<R> {
  return yield* perform<R>({
    object: a,
    access,
    label,
    alsoTouches: liveCheck(a.container),
    run: (self) => {
      live(a, self, label);
      hbAtomic(self, a);
      return apply();
    },
  });
}

/** atomic_read. */
export function atomicRead(a: AtomicValue): Steps<number> {
  return atomicOp(a, `atomic_read(&${a.name})`, 'read', () => a.value);
}

/** atomic_set. */
export function atomicSet(a: AtomicValue, v: number): Steps<void> {
  return atomicOp(a, `atomic_set(&${a.name}, ${v})`, 'write', () => void (a.value = v));
}

/** atomic_add_return (atomic_inc_return with delta 1, atomic_dec_return with -1). */
export function atomicAddReturn(a: AtomicValue, delta: number): Steps<number> {
  const label = delta === 1 ? `atomic_inc_return(&${a.name})` : delta === -1 ? `atomic_dec_return(&${a.name})` : `atomic_add_return(${delta}, &${a.name})`;
  return atomicOp(a, label, 'write', () => (a.value += delta));
}

/** atomic_cmpxchg: stores `next` if the value is `expected`; returns the value found. */
export function atomicCmpxchg(a: AtomicValue, expected: number, next: number): Steps<number> {
  return atomicOp(a, `atomic_cmpxchg(&${a.name}, ${expected}, ${next})`, 'write', () => {
    const old = a.value;
    if (old === expected) a.value = next;
    return old;
  });
}

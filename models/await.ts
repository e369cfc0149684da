/**
 * Waiting for a condition, for programs that are not kernel code paths: `awaitUntil(x, pred)` is one
 * step that can run only once `pred(x)` holds (a thread blocked on it is not a choice, and a
 * schedule where it never holds ends in a deadlock).
 *
 * A condition over several objects names them all: `awaitUntil([x, y], ([x, y]) => x.v === 0 ||
 * y.v === 1)`. The step's object is the first, the others are declared `read` in its alsoTouches
 * and marked `readByEnabled`, so the explorer knows that a write to any of them can unblock it
 * (and the footprint audit rejects a condition that reads an object it does not name). The
 * condition must read only the objects it names.
 *
 * The op restates its condition on copies of the objects' data (Op.enabledOn), so the reduction
 * decides from recorded copies where the wait can be reordered to instead of trying it.
 */
import { perform, type Op, type OtherTouch, type SharedObject, type Steps } from '../src/index';

export interface AwaitOptions<O, R> {
  /** The step's label in traces; default `await <name>` (`await x, y` for several). */
  readonly label?: string;
  /** What the step returns, read in the same step; default nothing. */
  readonly read?: (object: O) => R;
}

/** Blocks until `holds(object)`, then returns `read(object)` (by default nothing) in the same step. */
export function awaitUntil<O extends SharedObject, R = void>(object: O, holds: (object: O) => boolean, options?: AwaitOptions<O, R>): Steps<R>;
/** Blocks until `holds(objects)` over several declared objects, then returns `read(objects)` in the same step. */
export function awaitUntil<const Os extends readonly [SharedObject, ...SharedObject[]], R = void>(
  objects: Os,
  holds: (objects: Os) => boolean,
  options?: AwaitOptions<Os, R>,
): Steps<R>;
export function* awaitUntil<O, R>(on: O, holds: (o: O) => boolean, options: AwaitOptions<O, R> = {}): Steps<R> {
  return yield* perform(makeAwaitOp(on, holds, options));
}

/**
 * The op `awaitUntil` announces, to build once in setup and `perform` in a loop: `awaitUntil`
 * allocates one per call (its condition is a closure of the caller's), which a thread that waits
 * many times pays on every wait.
 */
export function awaitOp<O extends SharedObject, R = void>(object: O, holds: (object: O) => boolean, options?: AwaitOptions<O, R>): Op<R>;
export function awaitOp<const Os extends readonly [SharedObject, ...SharedObject[]], R = void>(
  objects: Os,
  holds: (objects: Os) => boolean,
  options?: AwaitOptions<Os, R>,
): Op<R>;
export function awaitOp<O, R>(on: O, holds: (o: O) => boolean, options: AwaitOptions<O, R> = {}): Op<R> {
  return makeAwaitOp(on, holds, options);
}

function makeAwaitOp<O, R>(on: O, holds: (o: O) => boolean, options: AwaitOptions<O, R>): Op<R> {
  const objects: readonly SharedObject[] = Array.isArray(on) ? on : [on as SharedObject];
  if (objects.length === 0) throw new TypeError('awaitUntil: a condition over no object (name at least one)');
  const object = objects[0]!;
  const label = options.label ?? `await ${objects.map((o) => o.name).join(', ')}`;
  const read = options.read;
  const alsoTouches: OtherTouch[] | undefined =
    objects.length === 1 ? undefined : objects.slice(1).map((o) => ({ object: o, access: 'read', readByEnabled: true }));
  return {
    object,
    access: 'read',
    label,
    ...(alsoTouches === undefined ? {} : { alsoTouches }),
    enabled: () => holds(on),
    enabledOn: objects.length === 1 ? (copy: SharedObject) => holds(copy as O) : (copy: SharedObject, others: readonly SharedObject[]) => holds([copy, ...others] as O),
    waitsFor: () => `${label} to hold`,
    run: () => (read ? read(on) : (undefined as R)),
  };
}

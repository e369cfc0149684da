/**
 * Waiting for a condition, for programs that are not kernel code paths: `awaitUntil(x, pred)` is one
 * step that can run only once `pred(x)` holds (a thread blocked on it is not a choice, and a
 * schedule where it never holds ends in a deadlock). The condition reads one declared object, the
 * op's own: the explorer's blocking rule (a disabled step races with the writes to its object) is
 * sound only then. A condition over several objects is written over one object that holds them
 * all, or as a loop of reads (a spin, which the step bound then cuts if it never ends).
 */
import { perform, type Op, type SharedObject, type Steps } from '../src/index';

export interface AwaitOptions<O, R> {
  /** The step's label in traces; default `await <name>`. */
  readonly label?: string;
  /** What the step returns, read in the same step; default nothing. */
  readonly read?: (object: O) => R;
}

/** Blocks until `holds(object)`, then returns `read(object)` (by default nothing) in the same step. */
export function* awaitUntil<O extends SharedObject, R = void>(object: O, holds: (object: O) => boolean, options: AwaitOptions<O, R> = {}): Steps<R> {
  return yield* perform(awaitOp(object, holds, options));
}

/**
 * The op `awaitUntil` announces, to build once in setup and `perform` in a loop: `awaitUntil`
 * allocates one per call (its condition is a closure of the caller's), which a thread that waits
 * many times pays on every wait.
 */
export function awaitOp<O extends SharedObject, R = void>(object: O, holds: (object: O) => boolean, options: AwaitOptions<O, R> = {}): Op<R> {
  const label = options.label ?? `await ${object.name}`;
  const read = options.read;
  return {
    object,
    access: 'read',
    label,
    enabled: () => holds(object),
    waitsFor: () => `${label} to hold`,
    run: () => (read ? read(object) : (undefined as R)),
  };
}

/**
 * Ghost state for invariants: books a model keeps beside its modeled state, written by ops' `run`
 * and read only by invariants (which see the world, not the detectors' ghost map). No modeled step
 * may branch on them, so they never change a schedule.
 */
import type { Access, Invariant, Op, SharedObject, Steps, ThreadContext } from '../../src/index';
import { opAlsoTouching } from './also-touching';

/** A multiset of holder names: who holds each reference to an object (`fault:gup`, `lru`). */
export class HolderSet {
  // invariant: every count is > 0
  private readonly counts = new Map<string, number>();

  /** One more reference held by `holder`. */
  add(holder: string): void {
    this.counts.set(holder, (this.counts.get(holder) ?? 0) + 1);
  }

  /** One reference of `holder` dropped; false when it held none (an unbalanced put by that holder). */
  remove(holder: string): boolean {
    const n = this.counts.get(holder);
    if (n === undefined) return false;
    if (n === 1) this.counts.delete(holder);
    else this.counts.set(holder, n - 1);
    return true;
  }

  /** How many references `holder` holds. */
  count(holder: string): number {
    return this.counts.get(holder) ?? 0;
  }

  /** Total references held. */
  get size(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  /** `fault ×2, lru` in insertion order, for invariant messages. */
  describe(): string {
    return [...this.counts].map(([h, n]) => (n === 1 ? h : `${h} ×${n}`)).join(', ') || 'nobody';
  }
}

/** Per-thread stacks of open brackets (invalidate_range_start without its end yet). */
export class PerThreadStacks<T> {
  private readonly stacks = new Map<string, T[]>();

  /** `thread` opens `item`. */
  push(thread: string, item: T): void {
    let s = this.stacks.get(thread);
    if (s === undefined) this.stacks.set(thread, (s = []));
    s.push(item);
  }

  /** `thread` closes its innermost open item; undefined when none is open. */
  pop(thread: string): T | undefined {
    return this.stacks.get(thread)?.pop();
  }

  /** `thread`'s innermost open item. */
  peek(thread: string): T | undefined {
    const s = this.stacks.get(thread);
    return s === undefined ? undefined : s[s.length - 1];
  }

  /** `thread`'s open items, outermost first. */
  open(thread: string): readonly T[] {
    return this.stacks.get(thread) ?? [];
  }

  /** Every open item of every thread. */
  all(): T[] {
    return [...this.stacks.values()].flat();
  }
}

/** Calls of a callback: how many started and how many are in flight (release-call counters). */
export class CallCounter {
  /** Times the callback was entered. */
  calls = 0;
  /** Threads inside it now. */
  inFlight = 0;

  enter(): void {
    this.calls++;
    this.inFlight++;
  }

  exit(): void {
    this.inFlight--;
  }
}

/**
 * A ghost object: ghost fields that invariants read (`unregisterReturned`), gathered under a name
 * so that an invariant can declare it in `observes` and steps can declare writing it. Thread code
 * may set its fields only right after a step that declares writing it (`writesGhost`), or in the
 * run of such a step: the change then belongs to that step, which partial-order reduction orders
 * against every other step that changes what an invariant observes (docs/modeling.md).
 */
export type Ghost<F extends object> = SharedObject & F;

/** A ghost object named `name` with these fields (in setup). */
export function ghostObject<F extends object>(name: string, fields: F): Ghost<F> {
  return { name, ...fields };
}

/**
 * A stand-in for the object of that name in every world, for `Invariant.observes`: invariants are
 * declared once, worlds are built per execution, and objects are identified by name.
 */
export function named(...names: readonly string[]): SharedObject[] {
  return names.map((name) => ({ name }));
}

// why cached: models allocate their ops once per object, and a wrapper per step would undo that
const ghostWrappers = new WeakMap<Op, { readonly ghost: SharedObject; readonly op: Op }>();

/**
 * `steps` with every op also declaring a write of `ghost` and a read of each of `reads`: thread
 * code right after any of them (and their runs) may then record into `ghost` what it finds in
 * `reads`. One step of kernel code, no extra step in the trace.
 */
export function* writesGhost<R>(ghost: SharedObject, steps: Steps<R>, reads: readonly SharedObject[] = []): Steps<R> {
  let r = steps.next();
  while (!r.done) {
    const op = r.value;
    let w = ghostWrappers.get(op);
    if (w === undefined || w.ghost !== ghost) {
      const extra: Touch[] = [{ object: ghost, access: 'write' }, ...reads.map((object): Touch => ({ object, access: 'read' }))];
      const wrapped = opAlsoTouching(op, extra);
      ghostWrappers.set(op, (w = { ghost, op: wrapped }));
    }
    r = steps.next(yield w.op);
  }
  return r.value;
}

interface Touch {
  readonly object: SharedObject;
  readonly access: Access;
}

/**
 * `inv` declaring what its check reads. For invariants a model's factory makes (`smmuNoFreed`): the
 * factory cannot know the names of the scenario's objects, the scenario does.
 */
export function observing<W>(inv: Invariant<W>, observes: readonly SharedObject[]): Invariant<W> {
  return { ...inv, observes };
}

/**
 * A ghost step: a step of its own that writes `ghost` (and reads `reads`) and runs `record`, for
 * ghost state recorded where no kernel step writes it. It is a row in the trace, labelled in
 * kernel terms (`mmu_notifier_unregister() returns`).
 */
export function* ghostStep(ghost: SharedObject, label: string, record: (self: ThreadContext) => void, reads: readonly SharedObject[] = []): Steps<void> {
  const alsoTouches = reads.length === 0 ? undefined : reads.map((object): Touch => ({ object, access: 'read' }));
  yield { object: ghost, access: 'write', label, ...(alsoTouches === undefined ? {} : { alsoTouches }), run: record };
}

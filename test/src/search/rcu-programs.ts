/**
 * Seeded random programs of RCU read sections and synchronize_rcu beside plain writes and reads of
 * one cell: rcu_read_lock and rcu_read_unlock of different threads commute (their own commute
 * groups), so a waiting synchronize_rcu meets kept changes of the object it waits on after removed
 * ones. Small enough for plain enumeration to be the oracle.
 */
import { newRcu, rcuReadLock, rcuReadUnlock, synchronizeRcu, type Rcu } from '../../../models/rcu';
import type { Op, SharedObject, Steps } from '../../../src/runtime/op';
import type { Scenario, ThreadBody } from '../../../src/runtime/scenario';
import { perform } from '../../../src/index';
import { program } from '../../helpers/program';

type World = { r: Rcu; x: SharedObject & { value: number } };
export type RcuPiece = 'section' | 'sync' | 'write' | 'read';
type Piece = RcuPiece;

function* readX(w: World): Steps<number> {
  return yield* perform<number>({ object: w.x, access: 'read', label: 'read x', run: () => w.x.value });
}

/** synchronize_rcu with its wait's enabledAt taken away: the walk then decides on the log alone. */
function* opaqueSynchronizeRcu(r: Rcu): Steps<void> {
  const steps = synchronizeRcu(r);
  for (let next = steps.next(); !next.done; ) {
    const op: Op = next.value.enabledAt === undefined ? next.value : { ...next.value, enabledAt: undefined };
    next = steps.next(yield op);
  }
}

function body(pieces: readonly Piece[], opaque: boolean): ThreadBody<World> {
  return function* (w) {
    for (const p of pieces) {
      if (p === 'section') {
        yield* rcuReadLock(w.r);
        yield* readX(w);
        yield* rcuReadUnlock(w.r);
      } else if (p === 'sync') yield* opaque ? opaqueSynchronizeRcu(w.r) : synchronizeRcu(w.r);
      else if (p === 'write') yield* perform<void>({ object: w.x, access: 'write', label: 'x++', run: () => void w.x.value++ });
      else yield* readX(w);
    }
  };
}

/** Two or three threads of one to three pieces each; `opaque`: synchronize_rcu's wait has no enabledAt. */
export function randomRcuProgram(rng: () => number, options: { readonly opaque?: boolean } = {}): Scenario {
  const pick = (n: number): number => Math.floor(rng() * n);
  const lists: Piece[][] = [];
  const count = 2 + pick(2);
  for (let t = 0; t < count; t++) {
    const pieces: Piece[] = [];
    for (let k = 1 + pick(3); k > 0; k--) {
      const r = rng();
      pieces.push(r < 0.35 ? 'section' : r < 0.6 ? 'sync' : r < 0.8 ? 'write' : 'read');
    }
    lists.push(pieces);
  }
  return rcuProgram(lists, options);
}

/** The program whose thread t runs `lists[t]`'s pieces in order. */
export function rcuProgram(lists: readonly (readonly Piece[])[], options: { readonly opaque?: boolean } = {}): Scenario {
  const threads: Record<string, ThreadBody<World>> = {};
  lists.forEach((pieces, t) => (threads[`t${t}`] = body(pieces, options.opaque ?? false)));
  return program<World>({ setup: () => ({ r: newRcu('rcu'), x: { name: 'x', value: 0 } }), threads });
}

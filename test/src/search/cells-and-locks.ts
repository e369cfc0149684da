/**
 * The world of the random test programs (random-programs.ts, blocking-programs.ts): numbered cells
 * and locks, and the steps on them that both generators' threads are made of.
 */
import type { Op, SharedObject, Steps } from '../../../src/runtime/op';

export interface Cell extends SharedObject {
  value: number;
  stateKey?: () => number;
}
export interface Lock extends SharedObject {
  owner: number;
  stateKey?: () => number;
}
export interface World {
  readonly cells: Cell[];
  readonly locks: Lock[];
}

/**
 * A fresh world: cells c0… at 0, locks l0… free. `keyed` (the default) gives each object a
 * stateKey (its value, its owner) and the ops that wait on one an enabledAt, so dfs decides every
 * reordering of a waiting step; `keyed: false` leaves them out, for the path that guesses.
 */
export function cellsAndLocks(cells: number, locks: number, keyed = true): World {
  return {
    cells: Array.from({ length: cells }, (_, i) => {
      const c: Cell = { name: `c${i}`, value: 0 };
      if (keyed) c.stateKey = () => c.value;
      return c;
    }),
    locks: Array.from({ length: locks }, (_, i) => {
      const l: Lock = { name: `l${i}`, owner: -1 };
      if (keyed) l.stateKey = () => l.owner;
      return l;
    }),
  };
}

export function* step<R>(op: Op<R>): Steps<R> {
  return (yield op) as R;
}

export function writeCell(c: Cell, value: number): Steps<void> {
  return step<void>({ object: c, access: 'write', label: `w ${c.name}`, run: () => void (c.value = value) });
}

/** Blocks while another thread holds the lock; `onCopies`: restated on a copy of the lock's data (Op.enabledOn). */
export function lock(l: Lock, onCopies = false): Steps<void> {
  const enabledAt = l.stateKey === undefined ? undefined : (owner: number) => owner < 0;
  const enabledOn = onCopies ? (copy: SharedObject) => (copy as Lock).owner < 0 : undefined;
  return step<void>({ object: l, access: 'acquire', label: `lock ${l.name}`, enabled: () => l.owner < 0, enabledAt, enabledOn, run: (t) => void (l.owner = t.id) });
}

export function unlock(l: Lock): Steps<void> {
  return step<void>({ object: l, access: 'release', label: `unlock ${l.name}`, run: () => void (l.owner = -1) });
}

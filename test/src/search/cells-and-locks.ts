/**
 * The world of the random test programs (random-programs.ts, blocking-programs.ts): numbered cells
 * and locks, and the steps on them that both generators' threads are made of.
 */
import type { Op, SharedObject, Steps } from '../../../src/runtime/op';

export interface Cell extends SharedObject {
  value: number;
}
export interface Lock extends SharedObject {
  owner: number;
}
export interface World {
  readonly cells: Cell[];
  readonly locks: Lock[];
}

/** A fresh world: cells c0… at 0, locks l0… free. */
export function cellsAndLocks(cells: number, locks: number): World {
  return {
    cells: Array.from({ length: cells }, (_, i) => ({ name: `c${i}`, value: 0 })),
    locks: Array.from({ length: locks }, (_, i) => ({ name: `l${i}`, owner: -1 })),
  };
}

export function* step<R>(op: Op<R>): Steps<R> {
  return (yield op) as R;
}

export function writeCell(c: Cell, value: number): Steps<void> {
  return step<void>({ object: c, access: 'write', label: `w ${c.name}`, run: () => void (c.value = value) });
}

/** Blocks while another thread holds the lock. */
export function lock(l: Lock): Steps<void> {
  return step<void>({ object: l, access: 'acquire', label: `lock ${l.name}`, enabled: () => l.owner < 0, run: (t) => void (l.owner = t.id) });
}

export function unlock(l: Lock): Steps<void> {
  return step<void>({ object: l, access: 'release', label: `unlock ${l.name}`, run: () => void (l.owner = -1) });
}

/**
 * Seeded random programs built from the waiting primitives of models/ (mutex and mutex_trylock,
 * rwsem readers and writers in both orders, completions, SRCU read sections and
 * synchronize_srcu, a Mesa condition variable, wait_event and wake_up) beside plain writes and
 * reads of one cell: every reordering of their waits is decided on the primitives' own
 * stateKey/enabledAt, which the blocking samples of blocking-programs.ts never reach. Small enough
 * for plain enumeration to be the oracle.
 */
import { complete, newCompletion, waitForCompletion, type Completion } from '../../../models/completion';
import { condSignal, condWait, newCondVar, type CondVar } from '../../../models/condvar';
import { mutexLock, mutexTrylock, mutexUnlock, newMutex, type Mutex } from '../../../models/mutex';
import { downRead, downWrite, newRwsem, upRead, upWrite, type Rwsem } from '../../../models/rwsem';
import { newSrcu, srcuReadLock, srcuReadUnlock, synchronizeSrcu, type Srcu } from '../../../models/srcu';
import { newWaitQueue, waitEvent, wakeUp, type WaitQueue } from '../../../models/waitqueue';
import { perform, type SharedObject, type Steps } from '../../../src/index';
import type { Scenario, ThreadBody } from '../../../src/runtime/scenario';
import { program } from '../../helpers/program';

type Cell = SharedObject & { value: number };
interface World {
  readonly m: Mutex;
  readonly sem: Rwsem;
  readonly done: Completion;
  readonly srcu: Srcu;
  readonly cvLock: Mutex;
  readonly cv: CondVar;
  readonly wq: WaitQueue;
  readonly x: Cell;
  /** Set under cvLock before a condSignal. */
  readonly ready: Cell;
  /** Set before a wake_up of wq. */
  readonly flag: Cell;
}

export const PIECES = ['mutex', 'trylock', 'read-sem', 'write-sem', 'complete', 'wait-done', 'srcu', 'sync-srcu', 'cv-wait', 'cv-signal', 'wait-event', 'wake', 'write', 'read'] as const;
type Piece = (typeof PIECES)[number];

function* write(c: Cell, value: number): Steps<void> {
  yield* perform<void>({ object: c, access: 'write', label: `${c.name} = ${value}`, run: () => void (c.value = value) });
}

function* read(c: Cell): Steps<number> {
  return yield* perform<number>({ object: c, access: 'read', label: `read ${c.name}`, run: () => c.value });
}

function* piece(w: World, p: Piece): Steps<void> {
  switch (p) {
    case 'mutex':
      yield* mutexLock(w.m);
      yield* write(w.x, 1);
      return yield* mutexUnlock(w.m);
    case 'trylock':
      if (!(yield* mutexTrylock(w.m))) return;
      yield* write(w.x, 2);
      return yield* mutexUnlock(w.m);
    case 'read-sem':
      yield* downRead(w.sem);
      yield* read(w.x);
      return yield* upRead(w.sem);
    case 'write-sem':
      yield* downWrite(w.sem);
      yield* write(w.x, 3);
      return yield* upWrite(w.sem);
    case 'complete':
      return yield* complete(w.done);
    case 'wait-done':
      return yield* waitForCompletion(w.done);
    case 'srcu': {
      const token = yield* srcuReadLock(w.srcu);
      yield* read(w.x);
      return yield* srcuReadUnlock(w.srcu, token);
    }
    case 'sync-srcu':
      return yield* synchronizeSrcu(w.srcu);
    case 'cv-wait':
      yield* mutexLock(w.cvLock);
      while ((yield* read(w.ready)) === 0) yield* condWait(w.cv, w.cvLock);
      return yield* mutexUnlock(w.cvLock);
    case 'cv-signal':
      yield* mutexLock(w.cvLock);
      yield* write(w.ready, 1);
      yield* condSignal(w.cv);
      return yield* mutexUnlock(w.cvLock);
    case 'wait-event':
      return yield* waitEvent(w.wq, 'flag', () => w.flag.value !== 0, w.flag);
    case 'wake':
      yield* write(w.flag, 1);
      return yield* wakeUp(w.wq);
    case 'write':
      return yield* write(w.x, 4);
    case 'read':
      return void (yield* read(w.x));
  }
}

function body(pieces: readonly Piece[]): ThreadBody<World> {
  return function* (w) {
    for (const p of pieces) yield* piece(w, p);
  };
}

/**
 * Two or three threads of one to three pieces each, drawn from three kinds chosen for the program
 * (so that its threads meet on the same primitives); `strict`: the rwsem's textbook order, and
 * its readers and writers two of the three kinds (a writer queued behind another is rare else),
 * one or two pieces a thread.
 */
export function randomModelProgram(rng: () => number, options: { readonly strict?: boolean } = {}): Scenario {
  const pick = (n: number): number => Math.floor(rng() * n);
  const kinds: Piece[] = options.strict ? ['read-sem', 'write-sem'] : [];
  while (kinds.length < 3) {
    const k = PIECES[pick(PIECES.length)]!;
    if (!kinds.includes(k)) kinds.push(k);
  }
  const threads: Record<string, ThreadBody<World>> = {};
  const count = 2 + pick(2);
  for (let t = 0; t < count; t++) {
    const pieces: Piece[] = [];
    for (let k = 1 + pick(options.strict ? 2 : 3); k > 0; k--) pieces.push(kinds[pick(kinds.length)]!);
    threads[`t${t}`] = body(pieces);
  }
  const strict = options.strict ?? false;
  return program<World>({
    setup: () => ({
      m: newMutex('m'),
      sem: newRwsem('sem', { strict }),
      done: newCompletion('done'),
      srcu: newSrcu('srcu'),
      cvLock: newMutex('cv_lock'),
      cv: newCondVar('cv'),
      wq: newWaitQueue('wq'),
      x: { name: 'x', value: 0 },
      ready: { name: 'ready', value: 0 },
      flag: { name: 'flag', value: 0 },
    }),
    threads,
  });
}

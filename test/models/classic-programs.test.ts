/**
 * The guide's three general programs (docs/modeling.md, "Programs that are not kernel code"),
 * each with a broken variant beside the correct one: Peterson's mutual exclusion, a reader-writer
 * lock over a mutex and a condition variable, and a one-slot bounded buffer. dfs must give the
 * declared verdicts, and reach exactly the checks plain enumeration reaches.
 */
import assert from 'node:assert/strict';
import { describe, expect, it } from 'vitest';
import { awaitUntil } from '../../models/await';
import { condBroadcast, condSignal, condWait, newCondVar, type CondVar } from '../../models/condvar';
import { mutexLock, mutexUnlock, newMutex, type Mutex } from '../../models/mutex';
import { defineScenario, perform, type Scenario, type SharedObject, type Steps } from '../../src/index';
import { ExecutionRunner } from '../../src/runtime/execution';
import { DfsStrategy } from '../../src/search/strategies/dfs';
import { ExhaustiveStrategy } from '../../src/search/strategies/exhaustive';
import type { Strategy } from '../../src/search/strategy';
import { checkVariant } from '../../src/search/variant';

/** Peterson's shared state in one object, so the wait condition reads one declared object. */
interface Peterson extends SharedObject {
  readonly flag: [boolean, boolean];
  turn: number;
}
interface CriticalSection extends SharedObject {
  inside: number;
}
interface PetersonWorld {
  readonly p: Peterson;
  readonly cs: CriticalSection;
}

function* set(p: Peterson, label: string, apply: (p: Peterson) => void): Steps<void> {
  yield* perform<void>({ object: p, access: 'write', label, run: () => apply(p) });
}
function* enter(cs: CriticalSection): Steps<void> {
  yield* perform<void>({ object: cs, access: 'write', label: 'enter critical section', run: () => void cs.inside++ });
}
function* leave(cs: CriticalSection): Steps<void> {
  yield* perform<void>({ object: cs, access: 'write', label: 'leave critical section', run: () => void cs.inside-- });
}

const peterson = (me: 0 | 1, withTurn: boolean) =>
  function* (w: PetersonWorld): Steps<void> {
    const other = 1 - me;
    yield* set(w.p, `flag[${me}] = true`, (p) => void (p.flag[me] = true));
    if (withTurn) yield* set(w.p, `turn = ${other}`, (p) => void (p.turn = other));
    yield* awaitUntil(w.p, (p) => !p.flag[other] || (withTurn && p.turn !== other), { label: `wait: !flag[${other}]${withTurn ? ` || turn != ${other}` : ''}` });
    yield* enter(w.cs);
    yield* leave(w.cs);
    yield* set(w.p, `flag[${me}] = false`, (p) => void (p.flag[me] = false));
  };

export const petersonScenario = defineScenario<PetersonWorld>({
  id: 'peterson',
  title: "Peterson's mutual exclusion for two threads",
  commits: [],
  setup: () => ({ p: { name: 'peterson', flag: [false, false], turn: 0 }, cs: { name: 'cs', inside: 0 } }),
  variants: {
    'flags-only': {
      summary: 'without turn: both raise their flag, then each waits for the other',
      expect: { violated: 'deadlock' },
      threads: { a: peterson(0, false), b: peterson(1, false) },
    },
    peterson: {
      summary: 'flag and turn',
      invariants: [{ id: 'mutual-exclusion', description: 'at most one thread in the critical section', check: (w) => (w.cs.inside <= 1 ? true : `${w.cs.inside} threads inside`) }],
      threads: { a: peterson(0, true), b: peterson(1, true) },
    },
  },
});

/** A reader-writer lock from a mutex, a condition variable and two counters under the mutex. */
interface RwState extends SharedObject {
  readers: number;
  writer: boolean;
}
interface RwWorld {
  readonly m: Mutex;
  readonly cv: CondVar;
  readonly s: RwState;
  readonly cs: CriticalSection & { writers: number };
}
function* update(s: RwState, label: string, apply: (s: RwState) => void): Steps<void> {
  yield* perform<void>({ object: s, access: 'write', label, run: () => apply(s) });
}
function* test(s: RwState, label: string, holds: (s: RwState) => boolean): Steps<boolean> {
  return yield* perform<boolean>({ object: s, access: 'read', label, run: () => holds(s) });
}
const reader = (checksWriter: boolean) =>
  function* (w: RwWorld): Steps<void> {
    yield* mutexLock(w.m);
    while (checksWriter && (yield* test(w.s, 'writer?', (s) => s.writer))) yield* condWait(w.cv, w.m);
    yield* update(w.s, 'readers++', (s) => void s.readers++);
    yield* mutexUnlock(w.m);
    yield* perform<void>({ object: w.cs, access: 'write', label: 'read section', run: () => void w.cs.inside++ });
    yield* perform<void>({ object: w.cs, access: 'write', label: 'read section ends', run: () => void w.cs.inside-- });
    yield* mutexLock(w.m);
    yield* update(w.s, 'readers--', (s) => void s.readers--);
    if (yield* test(w.s, 'readers == 0?', (s) => s.readers === 0)) yield* condBroadcast(w.cv);
    yield* mutexUnlock(w.m);
  };
function* writer(w: RwWorld): Steps<void> {
  yield* mutexLock(w.m);
  while (yield* test(w.s, 'writer || readers?', (s) => s.writer || s.readers > 0)) yield* condWait(w.cv, w.m);
  yield* update(w.s, 'writer = true', (s) => void (s.writer = true));
  yield* mutexUnlock(w.m);
  yield* perform<void>({ object: w.cs, access: 'write', label: 'write section', run: () => void w.cs.writers++ });
  yield* perform<void>({ object: w.cs, access: 'write', label: 'write section ends', run: () => void w.cs.writers-- });
  yield* mutexLock(w.m);
  yield* update(w.s, 'writer = false', (s) => void (s.writer = false));
  yield* condBroadcast(w.cv);
  yield* mutexUnlock(w.m);
}
const exclusive = {
  id: 'writer-alone',
  description: 'a writer in its section is alone there',
  check: (w: RwWorld) => (w.cs.writers === 0 || (w.cs.writers === 1 && w.cs.inside === 0) ? true : `${w.cs.writers} writer(s) and ${w.cs.inside} reader(s) inside`),
};
export const rwLockScenario = defineScenario<RwWorld>({
  id: 'rw-lock',
  title: 'a reader-writer lock over a mutex and a condition variable',
  commits: [],
  setup: () => ({ m: newMutex('m'), cv: newCondVar('cv'), s: { name: 'rw', readers: 0, writer: false }, cs: { name: 'cs', inside: 0, writers: 0 } }),
  variants: {
    'reader-ignores-writer': {
      summary: 'readers do not wait for an active writer',
      expect: { violated: 'writer-alone' },
      invariants: [exclusive],
      threads: { r1: reader(false), w1: writer },
    },
    fixed: { summary: 'readers wait while a writer is active', invariants: [exclusive], threads: { r1: reader(true), w1: writer } },
  },
});

/** A one-slot buffer under a mutex, one condition variable for "not empty" and one for "not full". */
interface Slot extends SharedObject {
  items: number[];
}
interface BufferWorld {
  readonly m: Mutex;
  readonly notEmpty: CondVar;
  readonly notFull: CondVar;
  readonly slot: Slot;
}
const consumer = (recheck: boolean) =>
  function* (w: BufferWorld): Steps<void> {
    yield* mutexLock(w.m);
    const empty = () => perform<boolean>({ object: w.slot, access: 'read', label: 'empty?', run: () => w.slot.items.length === 0 });
    if (recheck) while (yield* empty()) yield* condWait(w.notEmpty, w.m);
    else if (yield* empty()) yield* condWait(w.notEmpty, w.m);
    const item = yield* perform<number | undefined>({ object: w.slot, access: 'write', label: 'take item', run: () => w.slot.items.shift() });
    assert.notEqual(item, undefined, 'took an item from an empty buffer');
    yield* condSignal(w.notFull);
    yield* mutexUnlock(w.m);
  };
function* producer(w: BufferWorld): Steps<void> {
  for (const item of [1, 2]) {
    yield* mutexLock(w.m);
    while (yield* perform<boolean>({ object: w.slot, access: 'read', label: 'full?', run: () => w.slot.items.length === 1 })) yield* condWait(w.notFull, w.m);
    yield* perform<void>({ object: w.slot, access: 'write', label: `put ${item}`, run: () => void w.slot.items.push(item) });
    yield* condSignal(w.notEmpty);
    yield* mutexUnlock(w.m);
  }
}
export const boundedBufferScenario = defineScenario<BufferWorld>({
  id: 'bounded-buffer',
  title: 'a one-slot bounded buffer, one producer, two consumers',
  commits: [],
  setup: () => ({ m: newMutex('m'), notEmpty: newCondVar('not_empty'), notFull: newCondVar('not_full'), slot: { name: 'slot', items: [] } }),
  variants: {
    'if-not-while': {
      summary: 'a woken consumer does not re-test: another consumer took the item first',
      expect: { violated: 'assertion' },
      threads: { producer, c1: consumer(false), c2: consumer(false) },
    },
    fixed: { summary: 'consumers re-test in a loop (Mesa semantics)', threads: { producer, c1: consumer(true), c2: consumer(true) } },
  },
});

/** Every check reached by a whole search (not stopping at the first violation). */
function reached(s: Scenario, variant: string, strategy: Strategy): string[] {
  const runner = new ExecutionRunner(s, s.variants[variant]!, s.params);
  const fired = new Set<string>();
  while (strategy.beginExecution()) {
    const outcome = runner.run(strategy);
    strategy.endExecution(outcome);
    for (const v of outcome.violations) fired.add(v.check);
  }
  return [...fired].sort();
}

describe('general programs: the guide examples', () => {
  for (const s of [petersonScenario, rwLockScenario, boundedBufferScenario]) {
    for (const [name, variant] of Object.entries(s.variants)) {
      it(`${s.id}/${name}: as declared (${variant.expect === undefined ? 'holds' : `violated:${(variant.expect as { violated: string }).violated}`}), and dfs reaches what enumeration reaches`, () => {
        const verdict = checkVariant(s, name);
        if (variant.expect === undefined || variant.expect === 'holds') expect(verdict.kind).toBe('holds');
        else {
          expect(verdict.kind).toBe('violated');
          if (verdict.kind === 'violated') expect(verdict.violations.map((v) => v.check)).toContain(variant.expect.violated);
        }
        expect(reached(s, name, new DfsStrategy())).toEqual(reached(s, name, new ExhaustiveStrategy()));
      });
    }
  }
});

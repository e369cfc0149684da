/**
 * The waiting primitives restate their `enabled` as `enabledAt` on their object's `stateKey`
 * (Op.enabledAt), so dfs decides where a waiter can be reordered to instead of trying it. Each
 * program here is searched with every execution audited, which compares the two at every point a
 * thread waits (a difference is a model error), and must leave no abandoned execution. The last
 * tests are the misuse: a wrong enabledAt, and a stateKey that is not a number.
 */
import { describe, expect, it } from 'vitest';
import { complete, newCompletion, waitForCompletion, type Completion } from '../../models/completion';
import { mutexLock, mutexUnlock, newMutex, type Mutex } from '../../models/mutex';
import { newRcu, rcuReadLock, rcuReadUnlock, synchronizeRcu, type Rcu } from '../../models/rcu';
import { downRead, downWrite, newRwsem, upRead, upWrite, type Rwsem } from '../../models/rwsem';
import { newSrcu, srcuReadLock, srcuReadUnlock, synchronizeSrcu, type Srcu } from '../../models/srcu';
import { newSpinlock, spinLock, spinUnlock, type Spinlock } from '../../models/spinlock';
import { join, newTask, spawn, spawned, type Task } from '../../models/task';
import { newWaitQueue, waitEvent, wakeUp, type WaitQueue } from '../../models/waitqueue';
import { newSeqcount, readSeqcountBegin, readSeqcountRetry, writeSeqcountBegin, writeSeqcountEnd, type Seqcount } from '../../models/seqcount';
import { condSignal, condWait, newCondVar, type CondVar } from '../../models/condvar';
import { folioLock, folioUnlock, newFolio, type Folio } from '../../models/mm/folio';
import { GFP_KERNEL, kfreeToZone, kmalloc, newZone, type Zone } from '../../models/mm/allocator';
import { mmapWriteLock, mmapWriteUnlock, newMmLocks, newVmaLock, vmaEndRead, vmaStartRead, vmaStartWrite, type MmLocks, type VmaLock } from '../../models/mm/vma-lock';
import { newPlainField, readOnce, writeOnce, type PlainField } from '../../models/plain-field';
import { perform } from '../../src/runtime/op';
import type { ThreadBody } from '../../src/runtime/scenario';
import { checkVariant } from '../../src/search/variant';
import type { Verdict } from '../../src/search/verdict';
import { program } from '../helpers/program';

const EVERY_EXECUTION_AUDITED = { auditExecutions: 1_000_000 };

/**
 * The program held, with no abandoned execution: every wait was decided, not tried. `executions`
 * pins the count, or with 'several' says the search was more than one schedule (else a
 * reordering to decide never came up).
 */
function expectDecided(v: Verdict, executions?: number | 'several'): void {
  expect(v.kind === 'violated' ? v.violations[0]!.message : v.kind).toBe('holds');
  if (executions === 'several') expect(v.stats.executions).toBeGreaterThan(1);
  else if (executions !== undefined) expect(v.stats.executions).toBe(executions);
  expect(v.stats.executionsAbandoned).toBe(0);
}

function search<W extends object>(setup: () => W, threads: Record<string, ThreadBody<W>>): Verdict {
  return checkVariant(program<W>({ setup, threads }), 'main', { limits: EVERY_EXECUTION_AUDITED });
}

interface Locks {
  readonly m: Mutex;
  readonly l: Spinlock;
  readonly x: PlainField<number>;
}
const locks = (): Locks => ({ m: newMutex('m'), l: newSpinlock('l'), x: newPlainField('x', 0) });

describe('stateKey and enabledAt of the waiting primitives, audited at every point', () => {
  it('mutex and spinlock: the owner; a waiter in atomic context runs into might_sleep', () => {
    const v = search<Locks>(locks, {
      a: function* (w) {
        yield* mutexLock(w.m);
        yield* writeOnce(w.x, 1);
        yield* mutexUnlock(w.m);
      },
      b: function* (w) {
        yield* readOnce(w.x);
        yield* mutexLock(w.m);
        yield* mutexUnlock(w.m);
      },
      c: function* (w) {
        yield* spinLock(w.l);
        yield* mutexLock(w.m);
        yield* mutexUnlock(w.m);
        yield* spinUnlock(w.l);
      },
    });
    expect(v.kind === 'violated' ? v.violations[0]!.check : v.kind).toBe('sleep-in-atomic');
    expect(v.stats.executionsAbandoned).toBe(0);
  });

  for (const strict of [false, true]) {
    it(`rwsem${strict ? ' (strict)' : ''}: writer, readers, the queued writer and who is first`, () => {
      interface R {
        readonly s: Rwsem;
        readonly x: PlainField<number>;
      }
      const reader: ThreadBody<R> = function* (w) {
        yield* readOnce(w.x);
        yield* downRead(w.s);
        yield* upRead(w.s);
      };
      const writer: ThreadBody<R> = function* (w) {
        yield* downWrite(w.s);
        yield* writeOnce(w.x, 1);
        yield* upWrite(w.s);
      };
      const v = search<R>(() => ({ s: newRwsem('s', { strict }), x: newPlainField('x', 0) }), { r1: reader, w1: writer, w2: writer });
      expect(v.kind === 'violated' ? v.violations[0]!.message : v.kind).toBe('holds');
      expect(v.stats.executionsAbandoned).toBe(0);
      expect(v.stats.executions).toBeGreaterThan(5);
    });
  }

  it('completion: the count of complete() not yet consumed', () => {
    interface C {
      readonly c: Completion;
      readonly x: PlainField<number>;
    }
    const v = search<C>(() => ({ c: newCompletion('c'), x: newPlainField('x', 0) }), {
      waiter: function* (w) {
        yield* writeOnce(w.x, 1);
        yield* waitForCompletion(w.c);
        yield* waitForCompletion(w.c);
      },
      completer: function* (w) {
        yield* complete(w.c);
        yield* readOnce(w.x);
        yield* complete(w.c);
      },
    });
    expectDecided(v);
  });

  it('wait queue: the woken threads, one bit each', () => {
    interface Q {
      readonly wq: WaitQueue;
      readonly flag: PlainField<boolean>;
    }
    const waiter: ThreadBody<Q> = function* (w) {
      yield* waitEvent(w.wq, 'flag', () => w.flag.value, w.flag);
    };
    const v = search<Q>(() => ({ wq: newWaitQueue('wq'), flag: newPlainField('flag', false) }), {
      w1: waiter,
      w2: waiter,
      waker: function* (w) {
        yield* writeOnce(w.flag, true);
        yield* wakeUp(w.wq);
      },
    });
    expectDecided(v);
  });

  it('task: started and finished', () => {
    interface T {
      readonly t: Task;
      readonly x: PlainField<number>;
    }
    const v = search<T>(() => ({ t: newTask('child'), x: newPlainField('x', 0) }), {
      parent: function* (w) {
        yield* spawn(w.t);
        yield* readOnce(w.x);
        yield* join(w.t);
      },
      child: spawned<T>((w) => w.t, function* (w) {
        yield* writeOnce(w.x, 1);
      }),
    });
    expectDecided(v);
  });

  // why the leading accesses of y: a reader that arrives after the writer's y store is reordered
  // to a point before its arrival, which the log decides only from the sequence's key
  it('seqcount: the sequence, odd while a write is in progress', () => {
    interface S {
      readonly s: Seqcount;
      readonly x: PlainField<number>;
      readonly y: PlainField<number>;
    }
    const readLoop = function* (w: S) {
      for (;;) {
        const start = yield* readSeqcountBegin(w.s);
        yield* readOnce(w.x);
        if (!(yield* readSeqcountRetry(w.s, start))) return;
      }
    };
    const v = search<S>(() => ({ s: newSeqcount('s'), x: newPlainField('x', 0), y: newPlainField('y', 0) }), {
      r1: function* (w) {
        yield* writeOnce(w.y, 1);
        yield* readLoop(w);
      },
      r2: function* (w) {
        yield* readOnce(w.y);
        yield* readLoop(w);
      },
      writer: function* (w) {
        yield* writeSeqcountBegin(w.s);
        yield* writeOnce(w.x, 1);
        yield* writeOnce(w.y, 2);
        yield* writeSeqcountEnd(w.s);
        yield* writeSeqcountBegin(w.s);
        yield* writeSeqcountEnd(w.s);
      },
    });
    expectDecided(v, 1482);
  });

  // why no count of abandoned without enabledAt here: a sleep and a signal are both writes of cv, so
  // the explorer presumes the sleep runnable where another thread's sleep ran; what this test
  // shows is that the full audit finds enabledAt and enabled agreeing at every wait
  it('condition variable: which threads wait, one bit each', () => {
    interface C {
      readonly m: Mutex;
      readonly cv: CondVar;
      readonly x: PlainField<number>;
    }
    const waiter = function* (w: C) {
      yield* mutexLock(w.m);
      while ((yield* readOnce(w.x)) === 0) yield* condWait(w.cv, w.m);
      yield* mutexUnlock(w.m);
    };
    const v = search<C>(() => ({ m: newMutex('m'), cv: newCondVar('cv'), x: newPlainField('x', 0) }), {
      w1: waiter,
      w2: waiter,
      signaller: function* (w) {
        yield* mutexLock(w.m);
        yield* writeOnce(w.x, 1);
        yield* condSignal(w.cv);
        yield* condSignal(w.cv);
        yield* mutexUnlock(w.m);
      },
    });
    expectDecided(v, 'several');
  });

  it('folio lock (PG_locked): the owner, as for a mutex', () => {
    interface F {
      readonly f: Folio;
      readonly x: PlainField<number>;
    }
    const locker = function* (w: F) {
      yield* writeOnce(w.x, 2);
      yield* folioLock(w.f);
      yield* writeOnce(w.x, 1);
      yield* folioUnlock(w.f);
    };
    const v = search<F>(() => ({ f: newFolio('folio'), x: newPlainField('x', 0) }), { a: locker, b: locker, c: locker });
    expectDecided(v, 90);
  });

  // why (as for the condition variable): the wait is a write of the zone, decided by presumption
  it('zone: the free pages a waiter for kswapd needs', () => {
    interface Z {
      readonly zone: Zone;
    }
    const allocFree = function* (w: Z) {
      if (yield* kmalloc(w.zone, GFP_KERNEL, 'kmalloc')) yield* kfreeToZone(w.zone, 'kfree');
    };
    const v = search<Z>(() => ({ zone: newZone('zone', { freePages: 1, directReclaim: false }) }), { a: allocFree, b: allocFree, c: allocFree });
    expectDecided(v, 'several');
  });

  // why two faults: vma_start_write waits until both have left vm_lock, and a reordering that drops
  // one fault's release must still be decided from vm_lock's key alone
  it('vma_start_write: waits on vm_lock alone once __is_vma_write_locked said no', () => {
    interface V {
      readonly mm: MmLocks;
      readonly v: VmaLock;
      readonly x: PlainField<number>;
    }
    const fault = function* (w: V) {
      if (!(yield* vmaStartRead(w.v))) return;
      yield* readOnce(w.x);
      yield* vmaEndRead(w.v);
    };
    const v = search<V>(
      () => {
        const mm = newMmLocks('mm');
        return { mm, v: newVmaLock('vma', mm), x: newPlainField('x', 0) };
      },
      {
        f1: fault,
        f2: fault,
        writer: function* (w) {
          yield* mmapWriteLock(w.mm);
          yield* vmaStartWrite(w.v);
          yield* vmaStartWrite(w.v);
          yield* writeOnce(w.x, 1);
          yield* mmapWriteUnlock(w.mm);
        },
      },
    );
    expectDecided(v, 'several');
  });

  // why two readers: their entries and exits commute, so a reordering keeps one reader's changes
  // and drops the other's, and the state there is recomposed from each thread's part (threadKey)
  it('rcu: the oldest active section, which a grace period waits past, from the part of each reader', () => {
    interface G {
      readonly r: Rcu;
      readonly x: PlainField<number>;
    }
    const reader: ThreadBody<G> = function* (w) {
      yield* rcuReadLock(w.r);
      yield* readOnce(w.x);
      yield* rcuReadUnlock(w.r);
    };
    const v = search<G>(() => ({ r: newRcu('rcu'), x: newPlainField('x', 0) }), {
      r1: reader,
      r2: reader,
      updater: function* (w) {
        yield* writeOnce(w.x, 1);
        yield* synchronizeRcu(w.r);
      },
    });
    expectDecided(v);
  });

  it('srcu: the oldest active token, from the part of each reader', () => {
    interface S {
      readonly s: Srcu;
      readonly x: PlainField<number>;
    }
    const reader: ThreadBody<S> = function* (w) {
      const token = yield* srcuReadLock(w.s);
      yield* readOnce(w.x);
      yield* srcuReadUnlock(w.s, token);
    };
    const v = search<S>(() => ({ s: newSrcu('srcu'), x: newPlainField('x', 0) }), {
      r1: reader,
      r2: reader,
      updater: function* (w) {
        yield* writeOnce(w.x, 1);
        yield* synchronizeSrcu(w.s);
      },
    });
    expectDecided(v);
  });
});

describe('misuse of stateKey and enabledAt', () => {
  interface Gate {
    readonly g: { readonly name: string; open: number; other: number; stateKey(): number };
  }
  // why `other` in enabled: a stateKey that leaves out something enabled reads
  const gate = (): Gate => {
    const g = { name: 'g', open: 0, other: 0, stateKey: () => g.open };
    return { g };
  };
  const opener: ThreadBody<Gate> = function* (w) {
    yield* perform<void>({ object: w.g, access: 'write', label: 'open g', run: () => void (w.g.open = 1) });
    yield* perform<void>({ object: w.g, access: 'write', label: 'set other', run: () => void (w.g.other = 1) });
  };

  it('an enabledAt that disagrees with enabled is a model error naming the op and the key', () => {
    const s = program<Gate>({
      setup: gate,
      threads: {
        opener,
        waiter: function* (w) {
          yield* perform<void>({ object: w.g, access: 'read', label: 'wait for g', enabled: () => w.g.open === 1 && w.g.other === 1, enabledAt: (open) => open === 1, run: () => undefined });
        },
      },
    });
    expect(() => checkVariant(s, 'main', { limits: EVERY_EXECUTION_AUDITED })).toThrow(/waits at wait for g after step \d+: its enabledAt\(1\) gives true and its enabled false/);
  });

  it("an enabledAt that reads a local its op's own run changes is a model error, by default too", () => {
    // why it matters: dfs decides the wait's reorderings after the run, on want = 7, and would
    // drop the one where the wait runs while g.open is 1
    const s = program<Gate>({
      setup: gate,
      threads: {
        opener,
        waiter: function* (w) {
          let want = 1;
          yield* perform<void>({ object: w.g, access: 'read', label: 'wait for g', enabled: () => w.g.open === want, enabledAt: (open) => open === want, run: () => void (want = 7) });
        },
      },
    });
    const message = /B \(waiter\) step \d+ wait for g: its enabledAt\(1\) gave true before the step ran and false after it; a wait's condition may read only its objects' data and what it is given/;
    expect(() => checkVariant(s, 'main')).toThrow(message);
    expect(() => checkVariant(s, 'main', { limits: EVERY_EXECUTION_AUDITED })).toThrow(message);
  });

  it('a stateKey that is not the least of its threadKey parts is a model error', () => {
    interface D {
      readonly d: { readonly name: string; open: boolean; stateKey(): number; threadKey(t: number): number };
    }
    const s = program<D>({
      setup: () => {
        const d = { name: 'd', open: false, stateKey: () => (d.open ? 1 : 0), threadKey: () => 5 };
        return { d };
      },
      threads: {
        opener: function* (w) {
          yield* perform<void>({ object: w.d, access: 'write', label: 'open d', run: () => void (w.d.open = true) });
        },
        waiter: function* (w) {
          yield* perform<void>({ object: w.d, access: 'read', label: 'wait d', enabled: () => w.d.open, enabledAt: (k) => k === 1, run: () => undefined });
        },
      },
    });
    expect(() => checkVariant(s, 'main')).toThrow(/d: stateKey\(\) gives 0 after step 0 but the least of its threadKey\(\) parts is 5/);
  });

  it('enabledAt on an object with no stateKey, and a stateKey that is not a number, are model errors', () => {
    const noKey = program<{ o: { name: string } }>({
      setup: () => ({ o: { name: 'o' } }),
      threads: {
        t: function* (w) {
          yield* perform<void>({ object: w.o, access: 'read', label: 'wait o', enabled: () => true, enabledAt: () => true, run: () => undefined });
        },
      },
    });
    expect(() => checkVariant(noKey, 'main')).toThrow(/wait o .*with enabledAt, but its object o has no stateKey\(\)/);
    const badKey = program<{ o: { name: string; stateKey: () => number } }>({
      setup: () => ({ o: { name: 'o', stateKey: () => Number.NaN } }),
      threads: {
        t: function* (w) {
          yield* perform<void>({ object: w.o, access: 'write', label: 'touch o', run: () => undefined });
        },
      },
    });
    expect(() => checkVariant(badKey, 'main')).toThrow(/o: stateKey\(\) gave NaN before step 1 \(touch o\), not a number/);
  });
});

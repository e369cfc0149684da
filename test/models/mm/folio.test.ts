import { describe, expect, it } from 'vitest';
import { foundViolation } from '../../helpers/detectors';
import {
  allocPageReusing,
  folioGet,
  folioAddMapcount,
  folioGetUnlessZero,
  folioLock,
  folioPut,
  folioReadMapping,
  folioSetMapping,
  folioTrylock,
  folioUnlock,
  newCompoundPage,
  newFolio,
  pageBitLock,
  pageRefAdd,
  readFirstPage,
  setFlag,
  setFlagNonAtomic,
  testClearFlag,
  testFlag,
  type Folio,
} from '../../../models/mm/folio';
import { bitSpinLock, bitSpinUnlock, type BitSpinlock } from '../../../models/bit-spinlock';
import { newSpinlock, spinLock, spinUnlock, type Spinlock } from '../../../models/spinlock';
import { exploreProgram, firedChecks, program, runSchedule } from '../../helpers/program';

interface W {
  f: Folio;
  got: unknown[];
}
// The world of the most recent execution, for tests that look at the state a schedule left.
let last: W;
const world = (ref = 1, mapcount = 0) => (): W => (last = { f: newFolio('page', { ref, mapcount }), got: [] });

describe('folio reference count', () => {
  it('get then put twice frees the page at the step that drops the count to 0', () => {
    const p = program<W>({
      setup: world(),
      threads: {
        a: function* (w) {
          yield* folioGet(w.f);
          w.got.push(yield* folioPut(w.f));
          w.got.push(yield* folioPut(w.f));
        },
      },
    });
    const t = runSchedule(p, 'A3');
    expect(firedChecks(t)).toEqual([]);
    const w = last;
    expect(w.got).toEqual([false, true]);
    expect(w.f.life).toBe('freed');
    expect(w.f.ref).toBe(0);
  });

  it('a put of a freed page is a refcount bug that names the freeing step', () => {
    const p = program<W>({
      setup: world(),
      threads: {
        a: function* (w) {
          yield* folioPut(w.f);
        },
        b: function* (w) {
          yield* folioPut(w.f);
        },
      },
    });
    const t = runSchedule(p, 'A B');
    expect(firedChecks(t)).toEqual(['refcount']);
    expect(t.violations[0]!.message).toMatch(/freed by A \(a\) at step 1 in put_page\(page\)/);
  });

  it('get_page on a freed page is a use after free', () => {
    const p = program<W>({
      setup: world(),
      threads: {
        a: function* (w) {
          yield* folioPut(w.f);
          yield* folioGet(w.f);
        },
      },
    });
    expect(firedChecks(runSchedule(p, 'A2'))).toEqual(['use-after-free']);
  });

  it('get_page on a live page with count 0 is a refcount bug', () => {
    const p = program<W>({ setup: world(0), threads: { a: function* (w) { yield* folioGet(w.f); } } });
    expect(firedChecks(runSchedule(p, 'A'))).toEqual(['refcount']);
  });

  it('get_page_unless_zero fails on a count of 0 and on a freed page, without a fault', () => {
    const p = program<W>({
      setup: world(),
      threads: {
        a: function* (w) {
          w.got.push(yield* folioGetUnlessZero(w.f)); // 1 → 2
          yield* folioPut(w.f);
          yield* folioPut(w.f); // freed
          w.got.push(yield* folioGetUnlessZero(w.f));
        },
      },
    });
    const t = runSchedule(p, 'A4');
    expect(firedChecks(t)).toEqual([]);
    expect(last.got).toEqual([true, false]);
  });

  it('put_page on a live page whose count is already 0 is a refcount bug, and frees nothing', () => {
    // a page whose references were all dropped by puts that bypass the free (atomic_dec of a tail)
    const p = program<W>({ setup: world(0), threads: { a: function* (w) { yield* folioPut(w.f); } } });
    const t = runSchedule(p, 'A');
    expect(firedChecks(t)).toEqual(['refcount']);
    expect(t.violations[0]!.message).toMatch(/put_page\(page\): put of a page whose count is already 0/);
    expect(last.f.life).toBe('live');
  });

  it('get_page_unless_zero on a live page whose count is 0 fails and takes nothing', () => {
    // a tail page of 2.6.38 (its _count holds only GUP pins) or a page being frozen
    const p = program<W>({ setup: world(0), threads: { a: function* (w) { w.got.push(yield* folioGetUnlessZero(w.f)); } } });
    expect(firedChecks(runSchedule(p, 'A'))).toEqual([]);
    expect(last.got).toEqual([false]);
    expect(last.f.ref).toBe(0);
    expect(last.f.life).toBe('live');
  });

  it('atomic_sub below zero is a refcount underflow', () => {
    const p = program<W>({ setup: world(1), threads: { a: function* (w) { yield* pageRefAdd(w.f, -2, 'atomic_sub(2, &page->_count)'); } } });
    const t = runSchedule(p, 'A');
    expect(firedChecks(t)).toEqual(['refcount']);
    expect(t.violations[0]!.message).toMatch(/underflows/);
  });

  it('two racing final puts: exactly one frees, in every schedule', () => {
    let freers = 0;
    const p = program<W>({
      setup: world(2),
      threads: {
        a: function* (w) {
          if (yield* folioPut(w.f)) freers++;
        },
        b: function* (w) {
          if (yield* folioPut(w.f)) freers++;
        },
      },
    });
    const v = exploreProgram(p);
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBe(2);
    expect(freers).toBe(2); // one per execution
  });
});

describe('folio flags and mapping', () => {
  it('writing a freed page\'s flags is a use after free', () => {
    const p = program<W>({
      setup: world(),
      threads: {
        a: function* (w) {
          yield* folioPut(w.f);
          yield* setFlag(w.f, 'referenced');
        },
      },
    });
    const t = runSchedule(p, 'A2');
    expect(firedChecks(t)).toEqual(['use-after-free']);
    expect(t.violations[0]!.message).toMatch(/SetPageReferenced\(page\)/);
  });

  it('reading a freed page\'s mapping is a use after free', () => {
    const p = program<W>({
      setup: world(),
      threads: {
        a: function* (w) {
          yield* folioPut(w.f);
          yield* folioReadMapping(w.f);
        },
      },
    });
    expect(firedChecks(runSchedule(p, 'A2'))).toEqual(['use-after-free']);
  });

  it('set, test and test-and-clear a flag; move the mapping', () => {
    const av = { name: 'anon_vma2', anon: true };
    const p = program<W>({
      setup: world(),
      threads: {
        a: function* (w) {
          yield* setFlag(w.f, 'referenced');
          w.got.push(yield* testFlag(w.f, 'referenced'));
          w.got.push(yield* testClearFlag(w.f, 'referenced'));
          w.got.push(yield* testClearFlag(w.f, 'referenced'));
          yield* folioSetMapping(w.f, av, 7, 'folio_move_anon_rmap(page, dst_vma)');
          w.got.push(yield* folioReadMapping(w.f));
        },
      },
    });
    const t = runSchedule(p, 'A6');
    expect(last.got).toEqual([true, true, false, { name: 'anon_vma2, index 7', mapping: av, index: 7 }]);
  });

  it('a compound page: tails point at the head and carry PG_tail', () => {
    const { head, tails } = newCompoundPage('thp', 2, { ref: 3, mapcount: 1 });
    expect(head.flags.has('head')).toBe(true);
    expect(tails.map((t) => [t.name, t.ref, t.firstPage, t.flags.has('tail')])).toEqual([
      ['thp[1]', 0, head, true],
      ['thp[2]', 0, head, true],
    ]);
    const got: unknown[] = [];
    const p = program<{ t: Folio }>({
      setup: () => ({ t: newCompoundPage('thp', 1).tails[0]! }),
      threads: {
        a: function* (w) {
          got.push((yield* readFirstPage(w.t))?.name);
        },
      },
    });
    runSchedule(p, 'A');
    expect(got).toEqual(['thp']);
  });
});

describe('folio lock (PG_locked)', () => {
  it('excludes: a second folio_lock sleeps until folio_unlock', () => {
    let inside = 0;
    let most = 0;
    const body = function* (w: W) {
      yield* folioLock(w.f);
      most = Math.max(most, ++inside);
      yield* folioUnlock(w.f);
      inside--;
    };
    const v = exploreProgram(program<W>({ setup: world(), threads: { a: body, b: body } }));
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBe(2);
    expect(most).toBe(1);
  });

  it('folio_trylock fails while held, succeeds after', () => {
    const p = program<W>({
      setup: world(),
      threads: {
        a: function* (w) {
          yield* folioLock(w.f);
          yield* folioUnlock(w.f);
        },
        b: function* (w) {
          const ok = yield* folioTrylock(w.f);
          w.got.push(ok);
          if (ok) yield* folioUnlock(w.f);
        },
      },
    });
    expect((runSchedule(p, 'A B A'), last).got).toEqual([false]);
    expect((runSchedule(p, 'A A B B'), last).got).toEqual([true]);
  });

  it('folio_unlock by a task that does not hold it is unlock-not-held', () => {
    const p = program<W>({
      setup: world(),
      threads: {
        a: function* (w) {
          yield* folioLock(w.f);
          yield* folioUnlock(w.f);
        },
        b: function* (w) {
          yield* folioUnlock(w.f);
        },
      },
    });
    const t = runSchedule(p, 'A B');
    expect(firedChecks(t)).toEqual(['unlock-not-held']);
    expect(t.violations[0]!.message).toMatch(/held by A \(a\)/);
  });

  it('folio_lock under a spinlock is sleep-in-atomic', () => {
    const p = program<W & { l: Spinlock }>({
      setup: () => ({ ...world()(), l: newSpinlock('ptl') }),
      threads: {
        a: function* (w) {
          yield* spinLock(w.l);
          yield* folioLock(w.f);
          yield* folioUnlock(w.f);
          yield* spinUnlock(w.l);
        },
      },
    });
    expect(firedChecks(runSchedule(p, 'A2'))).toEqual(['sleep-in-atomic']);
  });

  it('a thread ending with the folio locked is a lock leak', () => {
    const p = program<W>({ setup: world(), threads: { a: function* (w) { yield* folioLock(w.f); } } });
    expect(firedChecks(runSchedule(p, 'A'))).toEqual(['lock-leak']);
  });
});

describe('folio lock: partial-order reduction sees the page', () => {
  it('dfs finds a folio_trylock or folio_unlock placed after the put that freed the page', () => {
    const p = program<{ f: Folio }>({
      setup: () => ({ f: newFolio('P') }),
      threads: {
        a: function* (w) {
          if (yield* folioTrylock(w.f)) yield* folioUnlock(w.f);
        },
        b: function* (w) { yield* folioPut(w.f); },
      },
    });
    expect(foundViolation(p, 'use-after-free')?.message).toMatch(/folio_(try|un)lock\(P\).*freed by .* in put_page\(P\)/);
  });
});

describe('page reuse: a freed page handed out again', () => {
  interface R {
    f: Folio;
    lock: BitSpinlock;
    got: unknown[];
  }
  let lastR: R;
  const reuseWorld = (): R => {
    const f = newFolio('page', { mapcount: 1, flags: ['dirty'] });
    return (lastR = { f, lock: pageBitLock(f, 'PG_compound_lock'), got: [] });
  };

  it('a live page is not handed out; a freed one comes back live, count 1, flags clean', () => {
    const p = program<R>({
      setup: reuseWorld,
      threads: {
        a: function* (w) {
          w.got.push(yield* allocPageReusing(w.f));
          yield* folioAddMapcount(w.f, -1, 'page_remove_rmap(page)');
          yield* folioPut(w.f);
          w.got.push(yield* allocPageReusing(w.f));
        },
      },
    });
    expect(firedChecks(runSchedule(p, 'A4'))).toEqual([]);
    expect(lastR.got).toEqual([false, true]);
    expect(lastR.f).toMatchObject({ life: 'live', freedAt: null, ref: 1, mapcount: 0, generation: 1 });
    expect([...lastR.f.flags]).toEqual([]);
  });

  it('get_page_unless_zero through a stale pointer succeeds on the reallocated page, and its put lands on the new owner', () => {
    const p = program<R>({
      setup: reuseWorld,
      threads: {
        owner: function* (w) {
          yield* folioAddMapcount(w.f, -1, 'page_remove_rmap(page)');
          yield* folioPut(w.f); // freed
          yield* allocPageReusing(w.f); // the next owner's page, count 1
        },
        stale: function* (w) {
          w.got.push(yield* folioGetUnlessZero(w.f));
          if (w.got[0]) yield* folioPut(w.f);
        },
      },
    });
    const before = runSchedule(p, 'A2 B A'); // freed, not yet reused: the pin fails
    expect(firedChecks(before)).toEqual([]);
    expect(lastR.got).toEqual([false]);
    const after = runSchedule(p, 'A3 B2'); // reused: the pin succeeds on someone else's page
    expect(firedChecks(after)).toEqual([]);
    expect(lastR.got).toEqual([true]);
    expect(lastR.f.ref).toBe(1);
  });

  it('a flag access between the free and the reuse is a use after free; after the reuse it is not', () => {
    const p = program<R>({
      setup: reuseWorld,
      threads: {
        owner: function* (w) {
          yield* folioAddMapcount(w.f, -1, 'page_remove_rmap(page)');
          yield* folioPut(w.f);
          yield* allocPageReusing(w.f);
        },
        stale: function* (w) {
          w.got.push(yield* testFlag(w.f, 'head'));
        },
      },
    });
    expect(firedChecks(runSchedule(p, 'A2 B'))).toEqual(['use-after-free']);
    expect(firedChecks(runSchedule(p, 'A3 B'))).toEqual([]);
  });

  it('freeing or handing out a page with a bit lock still set is a bad page', () => {
    const free = program<R>({
      setup: reuseWorld,
      threads: {
        a: function* (w) {
          yield* bitSpinLock(w.lock);
          yield* folioAddMapcount(w.f, -1, 'page_remove_rmap(page)');
          yield* folioPut(w.f);
        },
      },
    });
    const t = runSchedule(free, 'A3');
    expect(firedChecks(t)).toEqual(['bug-on']);
    expect(t.violations[0]!.message).toMatch(/Bad page state: page has PG_compound_lock set/);
  });

  it('a non-atomic flag store undoes a bit lock taken between its load and its store', () => {
    const p = program<R>({
      setup: reuseWorld,
      threads: {
        owner: function* (w) {
          yield* setFlagNonAtomic(w.f, 'uptodate');
        },
        locker: function* (w) {
          yield* bitSpinLock(w.lock);
          yield* bitSpinUnlock(w.lock);
        },
      },
    });
    // load, lock, store (clears the bit), unlock: BUG_ON(!test_bit) in bit_spin_unlock
    const lost = runSchedule(p, 'A B A B');
    expect(firedChecks(lost)).toEqual(['bug-on']);
    expect(lost.violations[0]!.message).toMatch(/BUG_ON\(!test_bit\(PG_compound_lock, addr\)\).*non-atomic store of page->flags/);
    // lock, load, unlock, store: the bit comes back set with no holder, and the next lock spins forever
    const stuck = runSchedule(p, 'B A B A');
    expect(firedChecks(stuck)).toEqual([]);
    expect(lastR.lock).toMatchObject({ set: true, holder: null });
    expect(lastR.f.flags.has('uptodate')).toBe(true);
    // the store also writes back flags set atomically in between
    expect(firedChecks(runSchedule(p, 'A2 B2'))).toEqual([]);
    expect(lastR.lock).toMatchObject({ set: false, holder: null });
    expect(exploreProgram(p).kind).toBe('violated');
  });

  it('a non-atomic store loses an atomic SetPageX that ran between its load and its store', () => {
    const p = program<R>({
      setup: reuseWorld,
      threads: {
        a: function* (w) {
          yield* setFlagNonAtomic(w.f, 'uptodate');
        },
        b: function* (w) {
          yield* setFlag(w.f, 'referenced');
        },
      },
    });
    runSchedule(p, 'A B A');
    expect([...lastR.f.flags].sort()).toEqual(['dirty', 'uptodate']);
    runSchedule(p, 'B A2');
    expect([...lastR.f.flags].sort()).toEqual(['dirty', 'referenced', 'uptodate']);
  });
});

describe('compound pages: the destructor frees head and tails as one', () => {
  interface C {
    head: Folio;
    tail: Folio;
  }
  let lastC: C;
  const compound = (tailRef: number) => (): C => {
    const { head, tails } = newCompoundPage('thp', 1, { ref: 1 });
    tails[0]!.ref = tailRef;
    return (lastC = { head, tail: tails[0]! });
  };

  it('the last put of a PG_head page frees its tails with it', () => {
    const p = program<C>({ setup: compound(0), threads: { a: function* (w) { yield* folioPut(w.head); } } });
    expect(firedChecks(runSchedule(p, 'A'))).toEqual([]);
    expect(lastC.head.life).toBe('freed');
    expect(lastC.tail.life).toBe('freed');
    expect(lastC.tail.freedAt?.label).toBe('put_page(thp) → free_compound_page(thp)');
  });

  it('a tail still holding a reference when the compound page is freed is a bad page', () => {
    const p = program<C>({ setup: compound(1), threads: { a: function* (w) { yield* folioPut(w.head); } } });
    const t = runSchedule(p, 'A');
    expect(firedChecks(t)).toEqual(['bug-on']);
    expect(t.violations[0]!.message).toMatch(/Bad page state: thp\[1\] is a tail still in use/);
  });

  it('a head whose PG_head the split cleared is freed alone', () => {
    const p = program<C>({
      setup: compound(1),
      threads: {
        a: function* (w) {
          yield* setFlag(w.head, 'head', false, 'ClearPageCompound(page)');
          yield* folioPut(w.head);
        },
      },
    });
    expect(firedChecks(runSchedule(p, 'A2'))).toEqual([]);
    expect(lastC.head.life).toBe('freed');
    expect(lastC.tail.life).toBe('live');
  });

  it('the head\'s last put declares its tails: a tail access does not commute with it', () => {
    const p = program<C>({
      setup: compound(0),
      threads: {
        a: function* (w) { yield* folioPut(w.head); },
        b: function* (w) { yield* testFlag(w.tail, 'tail'); },
      },
    });
    const v = exploreProgram(p);
    expect(v.kind).toBe('violated'); // the flag read after the destructor is a use after free
    expect(firedChecks(runSchedule(p, 'B A'))).toEqual([]);
    expect(firedChecks(runSchedule(p, 'A B'))).toEqual(['use-after-free']);
  });
});

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
  addToSwapCache,
  readFirstPage,
  setFlag,
  setPagePrivate,
  setFlagNonAtomic,
  testClearFlag,
  testFlag,
  type Folio,
} from '../../../models/mm/folio';
import { bitSpinLock, bitSpinUnlock, type BitSpinlock } from '../../../models/bit-spinlock';
import { newSpinlock, spinLock, spinUnlock, type Spinlock } from '../../../models/spinlock';
import { exploreProgram, firedChecks, program, runSchedule } from '../../helpers/program';
import type { Steps } from '../../../src/index';

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
    const put = function* (w: W) {
      w.got.push(yield* folioPut(w.f));
    };
    const p = program<W>({
      setup: world(2),
      threads: { a: put, b: put },
      // why in the world and checked at the end: a count kept outside the world would also count
      // the audit's re-run of each audited execution
      finalState: [{ id: 'one-frees', description: '', check: (w) => w.got.filter(Boolean).length === 1 || `${w.got.filter(Boolean).length} puts freed` }],
    });
    const v = exploreProgram(p);
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBe(2);
  });
});

describe('the 2.6.38 union word: page->private and first_page', () => {
  interface U {
    head: Folio;
    tail: Folio;
    page: Folio;
    got: unknown[];
  }
  let u: U;
  const thp = () => (): U => {
    const { head, tails } = newCompoundPage('thp', 1);
    return (u = { head, tail: tails[0]!, page: newFolio('page'), got: [] });
  };
  const NOT_A_PAGE = /unable to handle kernel paging request: 0x1 is not a struct page: thp\[1\]->first_page holds thp\[1\]->private = 0x1 \(swp_entry_t\)/;

  it("a tail's first_page is its head until a private value is stored over it", () => {
    const p = program<U>({
      setup: thp(),
      threads: {
        a: function* (w) {
          w.got.push((yield* readFirstPage(w.tail)) === w.head);
          yield* setPagePrivate(w.tail, 0x1, 'swp_entry_t');
          const stale = yield* readFirstPage(w.tail);
          w.got.push(stale === w.head, stale.name);
        },
      },
    });
    expect(firedChecks(runSchedule(p, 'A3'))).toEqual([]);
    expect(u.got).toEqual([true, false, '(struct page *)0x1']);
  });

  it('every page op through a first_page that holds a private value oopses, naming what was stored', () => {
    const through: Record<string, (f: Folio) => Steps<unknown>> = {
      get_page_unless_zero: (f) => folioGetUnlessZero(f),
      get_page: (f) => folioGet(f),
      put_page: (f) => folioPut(f),
      PageHead: (f) => testFlag(f, 'head'),
      SetPageDirty: (f) => setFlag(f, 'dirty'),
      atomic_dec: (f) => pageRefAdd(f, -1, 'atomic_dec(&page->_count)'),
      lock_page: (f) => folioLock(f),
      first_page: (f) => readFirstPage(f),
    };
    for (const [name, op] of Object.entries(through)) {
      const p = program<U>({
        setup: thp(),
        threads: {
          a: function* (w) {
            yield* setPagePrivate(w.tail, 0x1, 'swp_entry_t');
            yield* op(yield* readFirstPage(w.tail));
          },
        },
      });
      const t = runSchedule(p, 'A3');
      expect(firedChecks(t), name).toEqual(['oops']);
      expect(t.violations[0]!.message, name).toMatch(NOT_A_PAGE);
    }
  });

  it('the first_page of a page that was never a tail is private = 0: following it is a NULL pointer dereference', () => {
    const p = program<U>({
      setup: thp(),
      threads: {
        a: function* (w) {
          yield* folioPut(yield* readFirstPage(w.page));
        },
      },
    });
    const t = runSchedule(p, 'A2');
    expect(firedChecks(t)).toEqual(['oops']);
    expect(t.violations[0]!.message).toMatch(/NULL pointer dereference: page->first_page is NULL \(page->private = 0\)/);
  });

  it('loading or storing the word of a freed page is a use after free', () => {
    for (const [name, access] of [
      ['load', (w: U) => readFirstPage(w.page)],
      ['store', (w: U) => setPagePrivate(w.page, 0x2, 'swp_entry_t')],
    ] as const) {
      const p = program<U>({
        setup: thp(),
        threads: {
          a: function* (w) {
            yield* folioPut(w.page);
            yield* access(w);
          },
        },
      });
      expect(firedChecks(runSchedule(p, 'A2')), name).toEqual(['use-after-free']);
    }
  });

  it('alloc_page hands a freed page out with private = 0 (prep_new_page)', () => {
    const p = program<U>({
      setup: thp(),
      threads: {
        a: function* (w) {
          yield* setPagePrivate(w.page, 0x2, 'swp_entry_t');
          yield* folioPut(w.page);
          w.got.push(yield* allocPageReusing(w.page));
          yield* readFirstPage(w.page);
        },
      },
    });
    expect(firedChecks(runSchedule(p, 'A4'))).toEqual([]);
    expect(u.got).toEqual([true]);
    expect(u.page.privateWord.contents).toEqual({ as: 'private', value: 0, what: 'private' });
  });

  it("__add_to_swap_cache takes the swap cache's reference, sets PG_swapcache and overwrites first_page; a second add is a VM_BUG_ON", () => {
    const once = program<U>({
      setup: thp(),
      threads: {
        a: function* (w) {
          w.tail.ref = 1; // a GUP pin, so the tail can be referenced
          yield* addToSwapCache(w.tail, 0x1);
          w.got.push(w.tail.ref, yield* testFlag(w.tail, 'swapcache'));
          yield* readFirstPage(w.tail);
        },
      },
    });
    // no reference-leak at thread end: the reference is the swap cache's
    expect(firedChecks(runSchedule(once, 'A3'))).toEqual([]);
    expect(u.got).toEqual([2, true]);
    expect(u.tail.privateWord.contents).toEqual({ as: 'private', value: 1, what: 'swp_entry_t' });
    const twice = program<U>({
      setup: thp(),
      threads: {
        a: function* (w) {
          yield* addToSwapCache(w.page, 0x1);
          yield* addToSwapCache(w.page, 0x2);
        },
      },
    });
    const t = runSchedule(twice, 'A2');
    expect(firedChecks(t)).toEqual(['bug-on']);
    expect(t.violations[0]!.message).toMatch(/VM_BUG_ON\(PageSwapCache\(page\)\)/);
  });

  it('a load of first_page races with a store of private: dfs runs both orders, and one of them oopses', () => {
    const p = program<U>({
      setup: thp(),
      threads: {
        reclaim: function* (w) {
          yield* setPagePrivate(w.tail, 0x1, 'swp_entry_t');
        },
        put: function* (w) {
          const head = yield* readFirstPage(w.tail);
          if (yield* folioGetUnlessZero(head)) yield* folioPut(head);
        },
      },
    });
    expect(foundViolation(p, 'oops')?.message).toMatch(NOT_A_PAGE);
    const v = exploreProgram(p);
    expect(v.kind).toBe('violated');
  });

  it('the word is an object of its own: a store of private does not order against a read of the flags', () => {
    const p = program<U>({
      setup: thp(),
      threads: {
        a: function* (w) {
          yield* setPagePrivate(w.tail, 0x1, 'swp_entry_t');
        },
        b: function* (w) {
          w.got.push(yield* testFlag(w.tail, 'tail'));
        },
      },
    });
    const v = exploreProgram(p);
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBe(1);
  });
});

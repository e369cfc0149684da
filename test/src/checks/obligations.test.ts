import { describe, expect, it } from 'vitest';
import { folioGet, folioGetUnlessZero, folioPut, newFolio, pageRefAdd, pinPage, type Folio } from '../../../models/mm/folio';
import { mmuNotifierInvalidateRangeEnd, mmuNotifierInvalidateRangeStart, newMmuNotifierMm, rangePairing, srcuReadSide, type MmuNotifierMm } from '../../../models/mm/mmu-notifier';
import { newSrcu } from '../../../models/srcu';
import { perform, type Steps } from '../../../src/runtime/op';
import { exploreProgram, firedChecks, program, runSerial } from '../../helpers/program';

interface W {
  mm: MmuNotifierMm<Folio>;
  page: Folio;
}
const world = (): W => ({ mm: newMmuNotifierMm<Folio>('mm', srcuReadSide(newSrcu('srcu'))), page: newFolio('P', { ref: 1, mapcount: 1 }) });

describe('range-not-ended: an invalidate_range_start its thread never ended', () => {
  it('fires when the thread returns, naming the thread and the start with its step', () => {
    const t = runSerial(
      program<W>({
        setup: world,
        threads: {
          zap: function* (w) {
            yield* mmuNotifierInvalidateRangeStart(w.mm, 0x0, 0x2000);
          },
        },
      }),
    );
    expect(firedChecks(t)).toEqual(['range-not-ended']);
    expect(t.violations[0]!.message).toBe(
      'A (zap) returned after mmu_notifier_invalidate_range_start(mm, 0x0, 0x2000) at step 1: no invalidate_range_end with the same range ended it',
    );
    expect(t.violations[0]!.thread).toBe(0);
  });

  it('is quiet when the range is ended, and fires beside range-pairing when the end has other arguments', () => {
    const ended = program<W>({
      setup: world,
      threads: {
        zap: function* (w) {
          yield* mmuNotifierInvalidateRangeStart(w.mm, 0x0, 0x2000);
          yield* mmuNotifierInvalidateRangeEnd(w.mm, 0x0, 0x2000);
        },
      },
    });
    expect(exploreProgram(ended).kind).toBe('holds');
    const moved = program<W>({
      setup: world,
      invariants: [rangePairing((w: W) => w.mm)],
      threads: {
        zap: function* (w) {
          yield* mmuNotifierInvalidateRangeStart(w.mm, 0x0, 0x2000);
          yield* mmuNotifierInvalidateRangeEnd(w.mm, 0x2000, 0x4000);
        },
      },
    });
    expect(firedChecks(runSerial(moved))).toEqual(['range-pairing', 'range-not-ended']);
  });

  it('is per thread: another thread cannot end my range', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          yield* mmuNotifierInvalidateRangeStart(w.mm, 0x0, 0x1000);
        },
        b: function* (w) {
          yield* mmuNotifierInvalidateRangeEnd(w.mm, 0x0, 0x1000);
        },
      },
    });
    const v = exploreProgram(p);
    expect(v.kind).toBe('violated');
    if (v.kind === 'violated') expect(v.violations.find((x) => x.check === 'range-not-ended')?.message).toMatch(/^A \(a\) returned after/);
  });
});

describe('reference-leak: a page reference its thread took and never put', () => {
  it('get_page, get_page_unless_zero and a gup pin left unput are each reported with the call and its step', () => {
    const gets: [string, (w: W) => Steps, RegExp][] = [
      ['get_page', (w) => folioGet(w.page), /^A \(a\) returned after get_page\(P\) \(a reference on P\) at step 1: the reference was never put/],
      ['get_page_unless_zero', (w) => (function* () { yield* folioGetUnlessZero(w.page); })(), /get_page_unless_zero\(P\) \(a reference on P\) at step 1/],
      [
        'gup',
        (w) => perform<void>({ object: w.page, access: 'write', label: 'follow_page(FOLL_GET)', run: (self) => pinPage(w.page, self, 'get_user_pages(0x1000)') }),
        /get_user_pages\(0x1000\) \(a reference on P\) at step 1/,
      ],
    ];
    for (const [name, get, message] of gets) {
      const t = runSerial(program<W>({ setup: world, threads: { a: get } }));
      expect(firedChecks(t), name).toEqual(['reference-leak']);
      expect(t.violations[0]!.message, name).toMatch(message);
    }
  });

  it('a put of the thread\'s own reference, or an atomic_sub of it, discharges it', () => {
    for (const drop of [(w: W) => folioPut(w.page), (w: W) => pageRefAdd(w.page, -1, 'atomic_dec(&page->_count)')]) {
      const p = program<W>({
        setup: world,
        threads: {
          a: function* (w) {
            yield* folioGet(w.page);
            yield* drop(w);
          },
        },
      });
      expect(exploreProgram(p).kind).toBe('holds');
    }
  });

  it('a failed get_page_unless_zero takes nothing; a reference declared as kept by someone else is no leak', () => {
    const p = program<W>({
      setup: () => ({ ...world(), page: newFolio('P', { ref: 0 }) }),
      threads: {
        a: function* (w) {
          expect(yield* folioGetUnlessZero(w.page)).toBe(false);
        },
      },
    });
    expect(exploreProgram(p).kind).toBe('holds');
    const kept = program<W>({ setup: world, threads: { a: (w) => folioGet(w.page, 'get_page(P)', { keptBy: 'the PTE set_pte_at installs' }) } });
    expect(exploreProgram(kept).kind).toBe('holds');
  });

  it('a put drops the putter\'s own reference first: a reference taken by one thread and put by another is the taker\'s leak', () => {
    // B's put drops a reference P had from the start (the mapping's); A's own is still A's.
    const p = program<W>({
      setup: () => ({ ...world(), page: newFolio('P', { ref: 2, mapcount: 1 }) }),
      threads: { a: (w) => folioGet(w.page), b: function* (w) { yield* folioPut(w.page); } },
    });
    const v = exploreProgram(p);
    expect(v.kind).toBe('violated');
    if (v.kind === 'violated') expect(v.violations.map((x) => `${x.check} ${x.thread}`)).toEqual(['reference-leak 0']);
  });
});

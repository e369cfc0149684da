import { describe, expect, it } from 'vitest';
import { assertLive } from '../../../models/kit/lifetime';
import { folioPut, newFolio, type Folio } from '../../../models/mm/folio';
import { foundViolation } from '../../helpers/detectors';
import { followPte, hex, newPageTable, ptepClearFlush, ptepGet, pteOf, setPteAt, setPteAtSetup, type PageTable, type Pte } from '../../../models/mm/pte';
import { spinLock, spinUnlock } from '../../../models/spinlock';
import { exploreProgram, firedChecks, program, runSchedule, runSerial } from '../../helpers/program';

/** How a replay that schedules the blocked thread B fails (the message names B as not runnable). */
const BLOCKED_B = /replay diverged at step \d+: (the schedule runs B, which cannot run here|B \(\w+\) is blocked)/;

interface Page {
  readonly name: string;
  pins: number;
}
interface W {
  pt: PageTable<Page>;
  page: Page;
  seen: (Pte<Page> | Page | null)[];
}
function world(): W {
  const page = { name: 'page', pins: 0 };
  const pt = newPageTable<Page>('pte(mm, 0x1000)');
  setPteAtSetup(pt, 0x1000, page, false);
  return { pt, page, seen: [] };
}
const pin = (p: Page) => void p.pins++;

describe('primary PTEs', () => {
  it('setup installs an entry; pte_none elsewhere; the PTL is named after its table', () => {
    const w = world();
    expect(pteOf(w.pt, 0x1000)).toEqual({ page: w.page, writable: false });
    expect(pteOf(w.pt, 0x2000)).toBeNull();
    expect(w.pt.ptl.name).toBe('ptl(pte(mm, 0x1000))');
    expect(hex(0x1000)).toBe('0x1000');
  });

  it('ptep_get reads without the PTL; writers under it install and clear, clear returns the old entry', () => {
    let w: W | null = null;
    const p = program<W>({
      setup: () => (w = world()),
      threads: {
        a: function* (w) {
          w.seen.push(yield* ptepGet(w.pt, 0x1000));
          yield* spinLock(w.pt.ptl);
          w.seen.push(yield* ptepClearFlush(w.pt, 0x1000));
          yield* setPteAt(w.pt, 0x2000, { page: w.page, writable: true });
          yield* spinUnlock(w.pt.ptl);
          w.seen.push(yield* ptepGet(w.pt, 0x1000));
        },
      },
    });
    const t = runSerial(p);
    expect(t.violations).toEqual([]);
    expect(t.steps.map((s) => s.label)).toEqual([
      'ptep_get(pte(mm, 0x1000), 0x1000)',
      'spin_lock(&ptl(pte(mm, 0x1000)))',
      'ptep_clear_flush(vma, 0x1000, pte(mm, 0x1000))',
      'set_pte_at(pte(mm, 0x1000), 0x2000)',
      'spin_unlock(&ptl(pte(mm, 0x1000)))',
      'ptep_get(pte(mm, 0x1000), 0x1000)',
    ]);
    expect(w!.seen).toEqual([{ page: w!.page, writable: false }, { page: w!.page, writable: false }, null]);
    expect(pteOf(w!.pt, 0x2000)).toEqual({ page: w!.page, writable: true });
  });

  it('writing a PTE without its PTL is bug-on (lockdep_assert_held), also when another thread holds it', () => {
    const unlocked = program<W>({ setup: world, threads: { a: function* (w) { yield* ptepClearFlush(w.pt, 0x1000); } } });
    const t = runSerial(unlocked);
    expect(firedChecks(t)).toEqual(['bug-on']);
    expect(t.violations[0]!.message).toMatch(/lockdep_assert_held\(&ptl\(pte\(mm, 0x1000\)\)\) failed in ptep_clear_flush/);
    const foreign = program<W>({
      setup: world,
      threads: {
        a: function* (w) { yield* spinLock(w.pt.ptl); yield* spinUnlock(w.pt.ptl); },
        b: function* (w) { yield* setPteAt(w.pt, 0x1000, null); },
      },
    });
    expect(firedChecks(runSchedule(foreign, 'A B'))).toEqual(['bug-on']);
  });

  it('follow_page pins the mapped page under the PTL, or returns null for pte_none without pinning', () => {
    let w: W | null = null;
    const p = program<W>({
      setup: () => (w = world()),
      threads: {
        a: function* (w) {
          w.seen.push(yield* followPte(w.pt, 0x1000, pin));
          w.seen.push(yield* followPte(w.pt, 0x2000, pin));
        },
      },
    });
    expect(runSerial(p).violations).toEqual([]);
    expect(w!.seen).toEqual([w!.page, null]);
    expect(w!.page.pins).toBe(1);
  });

  it('follow_page waits while another thread holds the PTL, and deadlocks on its own', () => {
    const racing = program<W>({
      setup: world,
      threads: {
        a: function* (w) { yield* spinLock(w.pt.ptl); yield* spinUnlock(w.pt.ptl); },
        b: function* (w) { yield* followPte(w.pt, 0x1000, pin); },
      },
    });
    expect(() => runSchedule(racing, 'A B')).toThrow(BLOCKED_B);
    const self = program<W>({ setup: world, threads: { a: function* (w) { yield* spinLock(w.pt.ptl); yield* followPte(w.pt, 0x1000, pin); } } });
    const t = runSerial(self);
    expect(firedChecks(t)).toEqual(['deadlock']);
    expect(t.violations[0]!.message).toMatch(/follow_page\(0x1000\).*waiting for ptl\(pte\(mm, 0x1000\)\) held by A \(a\)/);
  });

  it('follow_page against a locked clear: the pin happens before the clear or not at all', () => {
    const outcomes = new Set<string>();
    const p = program<W>({
      setup: world,
      threads: {
        gup: function* (w) { w.seen.push(yield* followPte(w.pt, 0x1000, pin)); },
        unmap: function* (w) {
          yield* spinLock(w.pt.ptl);
          yield* ptepClearFlush(w.pt, 0x1000);
          yield* spinUnlock(w.pt.ptl);
        },
      },
      invariants: [
        {
          id: 'record-outcome',
          description: 'records what gup saw once both threads are done',
          check: (w) => {
            if (w.seen.length === 1 && pteOf(w.pt, 0x1000) === null && w.pt.ptl.owner === null) outcomes.add(`${w.seen[0] === null ? 'none' : 'page'}/pins=${w.page.pins}`);
            return true;
          },
        },
      ],
    });
    expect(exploreProgram(p).kind).toBe('holds');
    expect([...outcomes].sort()).toEqual(['none/pins=0', 'page/pins=1']);
  });
});

describe('follow_page: partial-order reduction sees the page it pins', () => {
  it('dfs finds the pin placed after a put that freed the still-mapped page', () => {
    // the bug: b drops the mapping's reference without clearing the PTE
    const p = program<{ pt: PageTable<Folio>; page: Folio }>({
      setup: () => {
        const pt = newPageTable<Folio>('pte');
        const page = newFolio('P');
        setPteAtSetup(pt, 0x1000, page);
        return { pt, page };
      },
      threads: {
        gup: function* (w) {
          yield* followPte(w.pt, 0x1000, (page, self) => {
            assertLive(page, self, `get_page(${page.name})`);
            page.ref++;
          });
        },
        unmap: function* (w) { yield* folioPut(w.page); },
      },
    });
    expect(foundViolation(p, 'use-after-free')?.message).toMatch(/get_page\(P\)/);
  });
});

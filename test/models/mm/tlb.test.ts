import { describe, expect, it } from 'vitest';
import { newFolio, type Folio } from '../../../models/mm/folio';
import {
  flushTlbBatchedPending,
  flushTlbMm,
  flushTlbRange,
  newMmTlb,
  newTlbUnmapBatch,
  setTlbUbcFlushPending,
  tlbEntryOf,
  tlbFillAtSetup,
  tlbLookup,
  tryToUnmapFlush,
  type MmTlb,
  type TlbUnmapBatch,
} from '../../../models/mm/tlb';
import { keepLastWorld } from '../../helpers/last-world';
import { exploreProgram, program, runSchedule } from '../../helpers/program';

interface W {
  mm: MmTlb;
  batch: TlbUnmapBatch;
  page: Folio;
  got: unknown[];
}

const fresh = (): W => {
  const page = newFolio('page');
  const mm = newMmTlb('mm');
  tlbFillAtSetup(mm, 0, 0x1000, { page, writable: true });
  tlbFillAtSetup(mm, 1, 0x1000, { page, writable: true });
  tlbFillAtSetup(mm, 1, 0x2000, { page, writable: false });
  return { mm, batch: newTlbUnmapBatch('kswapd'), page, got: [] };
};

describe('tlb', () => {
  it('a lookup hits the cached entry and misses elsewhere', () => {
    const kept = keepLastWorld(fresh);
    const p = program<W>({
      setup: kept.setup,
      threads: {
        a: function* (w) {
          w.got.push((yield* tlbLookup(w.mm, 1, 0x1000))?.writable, yield* tlbLookup(w.mm, 2, 0x1000));
        },
      },
    });
    exploreProgram(p);
    expect(kept.last().got).toEqual([true, null]);
  });

  it('flush_tlb_range drops the address on every CPU; flush_tlb_mm drops everything', () => {
    const kept = keepLastWorld(fresh);
    const p = program<W>({
      setup: kept.setup,
      threads: {
        a: function* (w) {
          yield* flushTlbRange(w.mm, 0x1000);
          w.got.push(tlbEntryOf(w.mm, 0, 0x1000), tlbEntryOf(w.mm, 1, 0x1000), tlbEntryOf(w.mm, 1, 0x2000)?.writable);
          yield* flushTlbMm(w.mm);
          w.got.push(tlbEntryOf(w.mm, 1, 0x2000));
        },
      },
    });
    exploreProgram(p);
    expect(kept.last().got).toEqual([null, null, false, null]);
  });

  it('a batched flush leaves the entries until try_to_unmap_flush, and sets mm->tlb_flush_batched', () => {
    const kept = keepLastWorld(fresh);
    const p = program<W>({
      setup: kept.setup,
      threads: {
        a: function* (w) {
          yield* setTlbUbcFlushPending(w.batch, w.mm);
          w.got.push(w.mm.tlbFlushBatched, tlbEntryOf(w.mm, 1, 0x1000) !== null, w.batch.pending.size);
          yield* tryToUnmapFlush(w.batch);
          w.got.push(tlbEntryOf(w.mm, 1, 0x1000), w.batch.pending.size);
        },
      },
    });
    exploreProgram(p);
    // try_to_unmap_flush does not clear the mm's flag: only flush_tlb_batched_pending does
    expect(kept.last().got).toEqual([true, true, 1, null, 0]);
    expect(kept.last().mm.tlbFlushBatched).toBe(true);
  });

  it('the v4.12 form (markMm: false) owes the flush in the batch only, so flush_tlb_batched_pending sees nothing', () => {
    const kept = keepLastWorld(fresh);
    const p = program<W>({
      setup: kept.setup,
      threads: {
        a: function* (w) {
          yield* setTlbUbcFlushPending(w.batch, w.mm, { markMm: false });
          yield* flushTlbBatchedPending(w.mm);
          w.got.push(w.mm.tlbFlushBatched, tlbEntryOf(w.mm, 1, 0x1000) !== null, w.batch.pending.size);
        },
      },
    });
    const t = runSchedule(p, 'A2');
    expect(t.steps.map((s) => s.label)).toEqual(['set_tlb_ubc_flush_pending(mm->tlb)', 'READ mm->tlb_flush_batched']);
    expect(kept.last().got).toEqual([false, true, 1]);
  });

  it('flush_tlb_batched_pending flushes and clears only when the flag is set', () => {
    const idle = keepLastWorld(fresh);
    const p = program<W>({ setup: idle.setup, threads: { a: (w) => flushTlbBatchedPending(w.mm) } });
    const t = runSchedule(p, 'A');
    expect(t.steps.map((s) => s.label)).toEqual(['READ mm->tlb_flush_batched']);
    expect(tlbEntryOf(idle.last().mm, 1, 0x1000)).not.toBeNull();

    const pending = keepLastWorld(fresh);
    const q = program<W>({
      setup: pending.setup,
      threads: {
        a: function* (w) {
          yield* setTlbUbcFlushPending(w.batch, w.mm);
          yield* flushTlbBatchedPending(w.mm);
        },
      },
    });
    const u = runSchedule(q, 'A4');
    expect(u.steps.map((s) => s.label).slice(1)).toEqual([
      'READ mm->tlb_flush_batched',
      'flush_tlb_batched_pending: flush_tlb_mm(mm->tlb)',
      'mm->tlb_flush_batched = false',
    ]);
    expect(pending.last().mm.tlbFlushBatched).toBe(false);
    expect(tlbEntryOf(pending.last().mm, 1, 0x1000)).toBeNull();
  });

  it('a lookup racing with a flush sees the entry or not, never half of it', () => {
    const seen = new Set<string>();
    const p = program<W>({
      setup: fresh,
      threads: {
        cpu1: function* (w) {
          seen.add(String((yield* tlbLookup(w.mm, 1, 0x1000))?.writable ?? 'miss'));
        },
        flusher: (w) => flushTlbRange(w.mm, 0x1000),
      },
    });
    const v = exploreProgram(p);
    expect(v.stats.executions).toBe(2);
    expect([...seen].sort()).toEqual(['miss', 'true']);
  });
});

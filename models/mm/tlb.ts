/**
 * Per-CPU TLBs of one mm and the deferred ("batched") flush of reclaim, as S11 needs them (v4.13:
 * arch_tlbbatch_flush, mm->tlb_flush_batched).
 *
 * Kernel semantics kept:
 * - A TLB entry caches a translation (page + write permission) after the PTE changed; only a flush
 *   removes it. flush_tlb_range / flush_tlb_mm reach every CPU that runs the mm (IPIs) and return
 *   when all are flushed.
 * - Reclaim may clear a PTE without flushing: set_tlb_ubc_flush_pending records the mm in the
 *   task's tlbflush_unmap_batch and sets mm->tlb_flush_batched; try_to_unmap_flush flushes every
 *   CPU of the batch later (before the page is written back or freed).
 * - flush_tlb_batched_pending(mm): if the flag is set, flush the whole mm, then clear the flag.
 *
 * Choices:
 * - The TLBs of every CPU that runs the mm are one object, `<mm>->tlb`: a flush touches them all
 *   at once, and a CPU's lookup conflicts with flushes, as it should.
 * - mm->tlb_flush_batched is a field of the mm object (`<mm>->tlb_flush_batched`); its writers and
 *   readers hold the PTL in the kernel, and the model leaves the locking to the callers.
 * - The batch (task-private in the kernel) is its own object, so steps on it commute with others.
 * - Flushes are synchronous (x86). The arm64 variant (TLBI issued, completed by a DSB on the issuing
 *   CPU, S11d) is not modelled.
 */
import { perform, type SharedObject, type Steps } from '../../src/index';
import type { Folio } from './folio';

/** A cached translation. */
export interface TlbEntry {
  readonly page: Folio;
  readonly writable: boolean;
}

/** The TLBs of the CPUs that run one mm: cpu → address → entry. */
export interface Tlbs extends SharedObject {
  readonly cpus: Map<number, Map<number, TlbEntry>>;
}

/** The mm's side: its TLBs and the batched-flush flag. */
export interface MmTlb extends SharedObject {
  readonly tlb: Tlbs;
  /** mm->tlb_flush_batched: reclaim cleared PTEs of this mm and has not flushed yet. */
  tlbFlushBatched: boolean;
}

/** struct tlbflush_unmap_batch of one reclaiming task. */
export interface TlbUnmapBatch extends SharedObject {
  /** The mms whose CPUs must be flushed (the kernel keeps a cpumask). */
  readonly pending: Set<MmTlb>;
}

export function newMmTlb(mmName: string): MmTlb {
  return { name: `${mmName}->tlb_flush_batched`, tlb: { name: `${mmName}->tlb`, cpus: new Map() }, tlbFlushBatched: false };
}

export function newTlbUnmapBatch(taskName: string): TlbUnmapBatch {
  return { name: `${taskName}->tlb_ubc`, pending: new Set() };
}

/** A TLB entry present when the threads start (the CPU touched the page earlier). */
export function tlbFillAtSetup(mm: MmTlb, cpu: number, address: number, entry: TlbEntry): void {
  let t = mm.tlb.cpus.get(cpu);
  if (t === undefined) mm.tlb.cpus.set(cpu, (t = new Map()));
  t.set(address, entry);
}

/** The entry `cpu` holds for `address`, without a step (for invariants). */
export function tlbEntryOf(mm: MmTlb, cpu: number, address: number): TlbEntry | null {
  return mm.tlb.cpus.get(cpu)?.get(address) ?? null;
}

/** A user access on `cpu`: the TLB lookup. Null on a miss (the hardware would walk the PTEs). */
export function* tlbLookup(mm: MmTlb, cpu: number, address: number, label = `TLB lookup cpu${cpu} 0x${address.toString(16)}`): Steps<TlbEntry | null> {
  return yield* perform({ object: mm.tlb, access: 'read', label, run: () => tlbEntryOf(mm, cpu, address) });
}

/** flush_tlb_range: drop `address` from every CPU's TLB (local flush + IPIs). */
export function* flushTlbRange(mm: MmTlb, address: number, label = `flush_tlb_range(vma, 0x${address.toString(16)})`): Steps<void> {
  yield* perform<void>({
    object: mm.tlb,
    access: 'write',
    label,
    run: () => {
      for (const t of mm.tlb.cpus.values()) t.delete(address);
    },
  });
}

/** flush_tlb_mm: drop every entry of the mm on every CPU. */
export function* flushTlbMm(mm: MmTlb, label = `flush_tlb_mm(${mm.tlb.name})`): Steps<void> {
  yield* perform<void>({
    object: mm.tlb,
    access: 'write',
    label,
    run: () => {
      for (const t of mm.tlb.cpus.values()) t.clear();
    },
  });
}

/**
 * set_tlb_ubc_flush_pending: the PTE was cleared without a flush; remember to flush the mm's CPUs.
 * `markMm: false` is its v4.12 form, before 3ea277194daa added `mm->tlb_flush_batched = true`:
 * only the reclaiming task's batch knows a flush is owed.
 */
export function* setTlbUbcFlushPending(batch: TlbUnmapBatch, mm: MmTlb, opts: { readonly markMm?: boolean } = {}): Steps<void> {
  if (opts.markMm === false) {
    yield* perform<void>({
      object: batch,
      access: 'write',
      label: `set_tlb_ubc_flush_pending(${mm.tlb.name})`,
      run: () => void batch.pending.add(mm),
    });
    return;
  }
  yield* perform<void>({
    object: mm,
    access: 'write',
    label: `set_tlb_ubc_flush_pending(${mm.tlb.name}): mm->tlb_flush_batched = true`,
    alsoTouches: [{ object: batch, access: 'write' }],
    run: () => {
      batch.pending.add(mm);
      mm.tlbFlushBatched = true;
    },
  });
}

/** try_to_unmap_flush: flush the CPUs of every mm in the batch (one step per mm) and empty it. */
export function* tryToUnmapFlush(batch: TlbUnmapBatch): Steps<void> {
  for (const mm of [...batch.pending]) {
    yield* perform<void>({
      object: mm.tlb,
      access: 'write',
      label: `try_to_unmap_flush(): arch_tlbbatch_flush(${mm.tlb.name})`,
      alsoTouches: [{ object: batch, access: 'write' }],
      run: () => {
        for (const t of mm.tlb.cpus.values()) t.clear();
        batch.pending.delete(mm);
      },
    });
  }
}

/** READ mm->tlb_flush_batched. */
export function* readTlbFlushBatched(mm: MmTlb): Steps<boolean> {
  return yield* perform({ object: mm, access: 'read', label: `READ ${mm.name}`, run: () => mm.tlbFlushBatched });
}

/** flush_tlb_batched_pending (3ea277194daa): if reclaim left a flush pending, flush the mm now. */
export function* flushTlbBatchedPending(mm: MmTlb): Steps<void> {
  if (!(yield* readTlbFlushBatched(mm))) return;
  yield* flushTlbMm(mm, `flush_tlb_batched_pending: flush_tlb_mm(${mm.tlb.name})`);
  yield* perform<void>({
    object: mm,
    access: 'write',
    label: `${mm.name} = false`,
    run: () => {
      mm.tlbFlushBatched = false;
    },
  });
}

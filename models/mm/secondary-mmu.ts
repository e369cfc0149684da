/**
 * A KVM-like secondary MMU (virt/kvm/kvm_main.c, 2.6.27–4.x): shadow PTEs (`spte[addr]`) that
 * point at primary pages *without* holding a reference on them, `kvm->mmu_lock`, and the pair
 * `mmu_notifier_seq` / `mmu_notifier_count` that lets its page-fault path detect an invalidation
 * that ran while it was looking the page up. Its mmu-notifier callbacks:
 * - release: zap every spte (kvm_arch_flush_shadow_all), and from then on create none (`released`:
 *   the client contract that INV-SMMU-NO-FREED relies on after ->release);
 * - invalidate_page(a): seq++, zap spte[a] — the seq bump inside mmu_lock, as KVM's comment asks
 *   (`seqBumpOutsideLock` moves it after the unlock, the mistake that comment warns about);
 * - invalidate_range_start(s, e): count++, zap sptes in [s, e);
 * - invalidate_range_end(s, e): seq++ then count--, BUG_ON(count < 0);
 * - change_pte(a, page): seq++, then either rewrite an existing spte[a] (3.x x86: only sptes found
 *   through KVM's rmap) or create one (`changePte: 'create'`, the behaviour 6bdb913f0a warns about),
 *   or create one only while its own range_start is the sole one outstanding (`count <= 1`,
 *   `changePte: 'create-unless-nested'`, the rule 6bdb913f0a states for clients).
 * Zapping an spte may set the page's PG_referenced (`propagateAccessed`), as kvm_set_pfn_accessed
 * does inside the mmu_lock section: on a freed page that is the "Bad page state" of 3ad3d901bb's
 * report.
 *
 * Choices:
 * - Every op on KVM's state declares `kvm->mmu_lock` as its object. The state is one unit for the
 *   dependency relation; this over-approximates (sound) and lets one step stand for a whole
 *   mmu_lock critical section: each callback is one step, enabled only while mmu_lock is free. That
 *   coarsening loses no behaviour: everything the section writes is read either under mmu_lock or,
 *   for `seq`, by one lockless load that sees the value before or after the section.
 * - The fault path is left to scenarios (it is what S6a varies); its pieces are here: the lockless
 *   seq read, the locked read of seq and count, the spte install that refuses after release.
 * - The accessed-bit write stays inside the section, as in the kernel (outside it the page could be
 *   freed between the zap and the write, a use after free the kernel cannot have), but as a step of
 *   its own on the page, so that it is ordered against the page's free by the dependency relation.
 *   A section that unmapped a page is then three steps: lock and zap, set the bit, unlock.
 */
import { bugOn, type Invariant, letterOf, perform, type Steps, type ThreadContext } from '../../src/index';
import {
  newMmuNotifier,
  registeredNotifier,
  type MmuNotifier,
  type MmuNotifierMm,
  type MmuNotifierOps,
} from './mmu-notifier';
import { setFlag, type Folio } from './folio';
import { describeOwner, lockAcquired, lockReleased } from '../kit/lock-tracking';
import { newSpinlock, spinUnlock, type Spinlock } from '../spinlock';

export interface KvmOptions {
  /** Zapping an spte sets PG_referenced on its page (kvm_set_pfn_accessed), one step per page. */
  readonly propagateAccessed?: boolean;
  /**
   * What change_pte does with an address that has no spte: nothing (`rewrite`, the default), map it
   * (`create`), or map it only when no other invalidation is outstanding (`create-unless-nested`).
   */
  readonly changePte?: 'rewrite' | 'create' | 'create-unless-nested';
  /** Whether the notifier is on the mm's list when the threads start (default true). */
  readonly registered?: boolean;
  /**
   * invalidate_page bumps mmu_notifier_seq after dropping mmu_lock instead of inside it (a wrong
   * client KVM's comment warns against: a fault can test the old seq between the zap and the bump).
   */
  readonly seqBumpOutsideLock?: boolean;
}

/** struct kvm, the parts the mmu-notifier protocol uses. */
export interface Kvm {
  readonly name: string;
  /** kvm->mmu_lock: protects every field below. */
  readonly mmuLock: Spinlock;
  // invariant: an entry maps a page only while the fault path or change_pte installed it and no
  // callback covering its address has run since
  readonly spte: Map<number, Folio | null>;
  /** kvm->mmu_notifier_seq: bumped when an invalidation completes. */
  seq: number;
  /** kvm->mmu_notifier_count: invalidate_range_start calls not yet ended. */
  count: number;
  /** ->release has run: the fault path must not create sptes any more. */
  released: boolean;
  /**
   * Ghost: every spte the fault path installed while an invalidate_range_start covering its address
   * was outstanding on the mm (from the pairing books of models/mmu-notifier.ts).
   */
  readonly mappedInActiveRange: string[];
  /** kvm->mmu_notifier, registered on the mm (or not yet, when `registered: false`). */
  readonly notifier: MmuNotifier<Folio>;
  readonly options: KvmOptions;
}

/** A VM on `mm` with no sptes; its notifier is registered unless `options.registered` is false. */
export function newKvm(mm: MmuNotifierMm<Folio>, name = 'kvm', options: KvmOptions = {}): Kvm {
  const kvm = {
    name,
    mmuLock: newSpinlock(`${name}->mmu_lock`),
    spte: new Map<number, Folio | null>(),
    seq: 0,
    count: 0,
    released: false,
    mappedInActiveRange: [] as string[],
    options,
  } as Omit<Kvm, 'notifier'> & { notifier: MmuNotifier<Folio> };
  const ops = kvmMmuNotifierOps(kvm);
  const mnName = `${name}->mmu_notifier`;
  kvm.notifier = options.registered === false ? newMmuNotifier(mm, mnName, ops) : registeredNotifier(mm, mnName, ops);
  return kvm;
}

/** An spte that exists when the threads start (not a step). */
export function setSpteAtSetup(kvm: Kvm, address: number, page: Folio): void {
  kvm.spte.set(address, page);
}

/** Addresses whose spte maps a page, for invariants. */
export function mappedSptes(kvm: Kvm): [number, Folio][] {
  const out: [number, Folio][] = [];
  for (const [a, p] of kvm.spte) if (p !== null) out.push([a, p]);
  return out;
}

function hex(a: number): string {
  return `0x${a.toString(16)}`;
}

function holder(l: Spinlock): string {
  return `${l.name} held by ${describeOwner(l.owner)}`;
}

/** One whole `spin_lock(&kvm->mmu_lock); body; spin_unlock(&kvm->mmu_lock)` section as a step. */
function* mmuLockSection<R>(kvm: Kvm, label: string, body: (self: ThreadContext) => R): Steps<R> {
  return yield* perform({
    object: kvm.mmuLock,
    access: 'write',
    label,
    enabled: () => kvm.mmuLock.owner === null,
    enabledAt: (owner) => owner === 0,
    waitsFor: () => holder(kvm.mmuLock),
    run: (self) => {
      // why the bookkeeping: lockdep sees the class (ptl → mmu_lock edges when called under a PTL)
      // and happens-before orders this section with the fault path's locked section.
      kvm.mmuLock.owner = self;
      lockAcquired(self, kvm.mmuLock, label, { atomic: true });
      const r = body(self);
      kvm.mmuLock.owner = null;
      lockReleased(self, kvm.mmuLock);
      return r;
    },
  });
}

/** Clears spte[a] if it maps a page, collecting the page for kvm_set_pfn_accessed(). */
function zap(kvm: Kvm, address: number, zapped: Folio[]): void {
  const page = kvm.spte.get(address);
  if (page === undefined || page === null) return;
  kvm.spte.set(address, null);
  zapped.push(page);
}

/**
 * A zapping mmu_lock section. When it unmapped pages and accessed bits are propagated, the section
 * stays open across one `kvm_set_pfn_accessed(page)` step per page (a write of the page's flags,
 * declared on the page) and ends with spin_unlock; otherwise it is one step.
 */
function* zapSection(kvm: Kvm, label: string, body: (zapped: Folio[]) => void): Steps<void> {
  const zapped = yield* perform({
    object: kvm.mmuLock,
    access: 'acquire',
    label,
    enabled: () => kvm.mmuLock.owner === null,
    enabledAt: (owner) => owner === 0,
    waitsFor: () => holder(kvm.mmuLock),
    run: (self) => {
      kvm.mmuLock.owner = self;
      lockAcquired(self, kvm.mmuLock, label, { atomic: true });
      const z: Folio[] = [];
      body(z);
      if (z.length === 0 || !kvm.options.propagateAccessed) {
        kvm.mmuLock.owner = null;
        lockReleased(self, kvm.mmuLock);
      }
      return z;
    },
  });
  if (zapped.length === 0 || !kvm.options.propagateAccessed) return;
  for (const p of zapped) yield* setFlag(p, 'referenced', true, `kvm_set_pfn_accessed(${p.name})`);
  yield* spinUnlock(kvm.mmuLock);
}

/** The callbacks KVM registers (kvm_mmu_notifier_ops). */
function kvmMmuNotifierOps(kvm: Omit<Kvm, 'notifier'>): MmuNotifierOps<Folio> {
  const k = kvm as Kvm;
  return {
    release: () =>
      zapSection(k, `kvm_mmu_notifier_release(): zap all sptes of ${k.name}`, (z) => {
        for (const a of [...k.spte.keys()]) zap(k, a, z);
        k.released = true;
      }),
    invalidatePage: (_mn, _mm, a) =>
      k.options.seqBumpOutsideLock
        ? invalidatePageSeqOutsideLock(k, a)
        : zapSection(k, `kvm_mmu_notifier_invalidate_page(${hex(a)}): seq++, zap spte`, (z) => {
            k.seq++;
            zap(k, a, z);
          }),
    invalidateRangeStart: (_mn, _mm, s, e) =>
      zapSection(k, `kvm_mmu_notifier_invalidate_range_start(${hex(s)}, ${hex(e)}): count++, zap sptes`, (z) => {
        k.count++;
        for (const a of [...k.spte.keys()]) if (a >= s && a < e) zap(k, a, z);
      }),
    invalidateRangeEnd: (_mn, _mm, s, e) =>
      mmuLockSection(k, `kvm_mmu_notifier_invalidate_range_end(${hex(s)}, ${hex(e)}): seq++, count--`, () => {
        k.seq++;
        k.count--;
        bugOn(k.count < 0, `kvm_mmu_notifier_invalidate_range_end: BUG_ON(${k.name}->mmu_notifier_count < 0)`, `${k.name}->mmu_notifier_count = ${k.count}`);
      }),
    changePte: (_mn, _mm, a, page) =>
      mmuLockSection(k, `kvm_mmu_notifier_change_pte(${hex(a)}): seq++, set spte`, () => {
        k.seq++;
        const cur = k.spte.get(a) ?? null;
        const mode = k.options.changePte ?? 'rewrite';
        // why count <= 1: the caller's own range_start is outstanding; another one may have zapped
        // this address already and will not zap it again at its end (6bdb913f0a)
        const create = mode === 'create' || (mode === 'create-unless-nested' && k.count <= 1);
        if (cur !== null || create) k.spte.set(a, page);
      }),
  };
}

/** invalidate_page with the seq bump after spin_unlock(mmu_lock) (`seqBumpOutsideLock`). */
function* invalidatePageSeqOutsideLock(kvm: Kvm, a: number): Steps<void> {
  yield* zapSection(kvm, `kvm_mmu_notifier_invalidate_page(${hex(a)}): zap spte`, (z) => zap(kvm, a, z));
  yield* perform<void>({
    object: kvm.mmuLock,
    access: 'write',
    label: `${kvm.name}->mmu_notifier_seq++ [after spin_unlock(mmu_lock)]`,
    run: () => {
      kvm.seq++;
    },
  });
}

/** `mmu_seq = kvm->mmu_notifier_seq; smp_rmb();` — the fault path's lockless snapshot. */
export function* kvmReadSeq(kvm: Kvm): Steps<number> {
  return yield* perform({
    object: kvm.mmuLock,
    access: 'read',
    label: `mmu_seq = ${kvm.name}->mmu_notifier_seq`,
    run: () => kvm.seq,
  });
}

/** The state `mmu_notifier_retry(kvm, mmu_seq)` tests, read under mmu_lock. */
export interface KvmNotifierState {
  readonly count: number;
  readonly seq: number;
}

/** Reads `mmu_notifier_count` and `mmu_notifier_seq` under mmu_lock (one step: both are stable). */
export function* kvmNotifierState(kvm: Kvm): Steps<KvmNotifierState> {
  const label = `mmu_notifier_retry(${kvm.name}, mmu_seq): read count, seq`;
  return yield* perform({
    object: kvm.mmuLock,
    access: 'read',
    label,
    run: (self) => {
      bugOn(kvm.mmuLock.owner !== self, `lockdep_assert_held(&${kvm.mmuLock.name}) failed in ${label}`);
      return { count: kvm.count, seq: kvm.seq };
    },
  });
}

/**
 * `mmu_set_spte()`: install spte[address] := page under mmu_lock. Refuses after ->release (the
 * client contract) and returns whether it mapped.
 */
export function* kvmMapSpte(kvm: Kvm, address: number, page: Folio): Steps<boolean> {
  const label = `mmu_set_spte(${kvm.name}, ${hex(address)})`;
  return yield* perform({
    object: kvm.mmuLock,
    access: 'write',
    label,
    // why: noteActiveRange reads the mm's pairing books, which other threads' range_start/end write
    alsoTouches: [{ object: kvm.notifier.mm, access: 'read' }],
    run: (self) => {
      bugOn(kvm.mmuLock.owner !== self, `lockdep_assert_held(&${kvm.mmuLock.name}) failed in ${label}`);
      if (kvm.released) return false;
      kvm.spte.set(address, page);
      noteActiveRange(kvm, address, self);
      return true;
    },
  });
}

/** Ghost bookkeeping for INV-NO-SPTE-IN-ACTIVE-RANGE: is `address` inside an outstanding range? */
function noteActiveRange(kvm: Kvm, address: number, self: ThreadContext): void {
  for (const [thread, ranges] of kvm.notifier.mm.openRanges) {
    for (const r of ranges) {
      if (address < r.start || address >= r.end) continue;
      kvm.mappedInActiveRange.push(
        `${self.letter} (${self.name}) step ${self.step} mapped ${kvm.name} spte[${hex(address)}] while ${letterOf(thread)}'s ` +
          `invalidate_range_start(${hex(r.start)}, ${hex(r.end)}) is outstanding`,
      );
      return;
    }
  }
}

/**
 * INV-NO-SPTE-IN-ACTIVE-RANGE (the rule of cddb8a5c14): the fault path creates no spte inside a
 * range between its invalidate_range_start and invalidate_range_end. change_pte is the sanctioned
 * exception (it runs inside its caller's own bracket) and is not counted.
 */
export function noSpteInActiveRange<W>(kvmOf: (w: W) => Kvm): Invariant<W> {
  return {
    id: 'no-spte-in-active-range',
    description: 'no spte is created inside a range whose invalidate_range_start has not yet ended',
    check: (w) => {
      const bad = kvmOf(w).mappedInActiveRange;
      return bad.length === 0 ? true : bad[0]!;
    },
  };
}

/**
 * INV-SMMU-NO-FREED: no spte of the VM that `kvmOf` picks maps a freed page.
 */
export function smmuNoFreed<W>(kvmOf: (w: W) => Kvm): Invariant<W> {
  return {
    id: 'smmu-no-freed',
    description: 'a freed page is mapped by no secondary-MMU spte',
    check: (w) => {
      const kvm = kvmOf(w);
      for (const [a, p] of kvm.spte) {
        if (p !== null && p.life === 'freed') return `${p.name} was freed while ${kvm.name} spte[${hex(a)}] still maps it`;
      }
      return true;
    },
  };
}

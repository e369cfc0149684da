/**
 * An HMM mirror's snapshot of the CPU page table vs an invalidation of the same range
 * (races.md S12, EXTENDED: 12a and 12c; 12b and 12d are not modelled).
 *
 * Commits:
 * - c0b124054f9e "mm/hmm/mirror: mirror process address space on device with HMM helpers" (v4.14,
 *   seed 003): HMM's invalidate_range_start only counted; the driver's
 *   sync_cpu_device_pagetables() ran from invalidate_range_end. The notifier API says pages may be
 *   freed before range_end, so a device that pins nothing must stop using them at range_start.
 * - ec131b2d7fa6 "mm/hmm: invalidate device page table at start of invalidation" (v4.20).
 * - 99cb252f5e68 "mm/mmu_notifier: add an interval tree notifier" (v5.5): the pattern drivers use
 *   since — seq = mmu_interval_read_begin(); snapshot with hmm_range_fault(); take the driver's
 *   update lock; if mmu_interval_read_retry(seq) start again; program the device; unlock — with the
 *   invalidate callback taking the same lock to set the subscription's seq and zap the device.
 *
 * Variants `v4.14-buggy` / `v4.20-fixed` (12a) have one thread, munmap's zap of [0x0, 0x2000) over
 * a page P the device already maps: no interleaving is needed. Variants `no-retry-buggy`,
 * `unlocked-commit-buggy` and `fixed` (12c) add the device fault: thread A snapshots 0x1000 and
 * programs the device, retrying up to `attempts` times; thread B is munmap's zap through the
 * interval notifier. HMM takes no page reference, so only the protocol keeps the device from
 * mapping P after B frees it.
 *
 * Each part of the fixes is needed, and a variant or a mutant (`mutants`, run by
 * test/scenarios/hmm-mirror-snapshot-vs-invalidate.test.ts) shows it, every one as `smmu-no-freed`:
 * - ec131b2d7fa6 has one part, the sync moved to range_start: `v4.14-buggy` keeps it at range_end.
 * - The driver's commit: read_retry under the update lock (`no-retry-buggy` skips it) and the
 *   device programmed before the lock is dropped (`unlocked-commit-buggy`).
 * - The driver's ->invalidate: mmu_interval_set_seq (`no-set-seq`: the zap runs, but a snapshot
 *   taken before it still passes read_retry and is programmed after the free) and the zap itself
 *   (`no-zap`: the entry programmed before the invalidation stays).
 * - mmu_interval_read_begin's wait while an invalidation of the subscription is in progress
 *   (`read-begin-no-wait`: A reads the odd seq after the callback set it, snapshots the PTE B has
 *   not cleared yet, and read_retry finds nothing changed).
 * - The retry loop (`attempts`) is not a safety part: a driver that gives up instead of retrying
 *   maps nothing, which is not this race (the device faults again).
 *
 * Choices:
 * - models/hmm.ts: each subscriptions->lock section, the driver's callback and the driver's commit
 *   are one step each (their locks are never seen held).
 * - hmm_range_fault is one lockless read of the PTE (under mmap_read_lock, which munmap's zap
 *   does not exclude here: zap_page_range from madvise(DONTNEED) also only reads mmap_lock).
 *   A snapshot that finds no page gives up (the real one would fault a page in: not this race).
 * - B's PTL section (lock, clear, unlock) is one step declared on the page table, which A reads.
 */
import { named, observing } from '../models/kit/ghost';
import { fusedAs } from '../models/kit/fused';
import { folioPut, newFolio, type Folio } from '../models/mm/folio';
import {
  deviceCommit,
  deviceCommitUnlocked,
  deviceInvalidate,
  deviceNoFreed,
  hmmMirrorSync,
  insertIntervalSubAtSetup,
  intervalInvalidateEnd,
  intervalInvalidateStart,
  mmuIntervalReadBegin,
  newDevice,
  newSubscriptions,
  type Device,
  type IntervalSub,
  type InvalidateParts,
  type Subscriptions,
} from '../models/mm/hmm';
import { newPageTable, ptepClearFlush, ptepGet, setPteAtSetup, type PageTable, type Pte } from '../models/mm/pte';
import { spinLock, spinUnlock } from '../models/spinlock';
import { defineScenario, perform, type Steps, type Variant } from '../src/index';

const ADDR = 0x1000;
const RANGE_START = 0x0;
const RANGE_END = 0x2000;

interface World {
  readonly subs: Subscriptions;
  /** The driver's interval subscription over [0x0, 0x2000). */
  readonly sub: IntervalSub;
  readonly dev: Device;
  readonly pt: PageTable<Folio>;
  readonly page: Folio;
  /** How many times A may snapshot (parameter `attempts`). */
  readonly attempts: number;
}

// ---- 12a: the v4.14 HMM invalidation hooks, and ec131b2d7fa6 ----------------------------------

function zapV414(syncAt: 'start' | 'end') {
  return function* (w: World): Steps {
    const { subs, dev } = w;
    yield* perform<void>({
      object: subs,
      access: 'write',
      label: 'hmm_invalidate_range_start(): hmm->notifiers++',
      run: () => {
        subs.activeRanges++;
      },
    });
    if (syncAt === 'start') yield* hmmMirrorSync(dev, RANGE_START, RANGE_END, 'hmm_invalidate_range_start()');
    yield* zapPte(w);
    if (syncAt === 'end') yield* hmmMirrorSync(dev, RANGE_START, RANGE_END, 'hmm_invalidate_range_end()');
    yield* perform<void>({
      object: subs,
      access: 'write',
      label: 'hmm_invalidate_range_end(): hmm->notifiers--',
      run: () => {
        subs.activeRanges--;
      },
    });
  };
}

// ---- 12c: B, munmap through the interval notifier (v5.5) ---------------------------------------

function zapIntervalWith(parts: InvalidateParts) {
  return function* (w: World): Steps {
    const curSeq = yield* intervalInvalidateStart(w.sub, RANGE_START, RANGE_END);
    if (curSeq !== null) yield* deviceInvalidate(w.dev, w.sub, curSeq, RANGE_START, RANGE_END, parts);
    yield* zapPte(w);
    yield* intervalInvalidateEnd(w.subs);
  };
}

const zapInterval = zapIntervalWith({ setSeq: true, zap: true });

/** Clear the PTE under the PTL, then free the page (the TLB batch frees it before range_end). */
function* zapPte(w: World): Steps {
  const old = yield* fusedAs({ object: w.pt, access: 'write' }, () => clearPte(w.pt));
  if (old !== null) yield* folioPut(old.page, `free_pages_and_swap_cache(${old.page.name})`);
}

function* clearPte(pt: PageTable<Folio>): Steps<Pte<Folio>> {
  yield* spinLock(pt.ptl);
  const old = yield* ptepClearFlush(pt, ADDR);
  yield* spinUnlock(pt.ptl);
  return old;
}

// ---- 12c: A, the driver's device fault ------------------------------------------------------------

type Commit = 'retry-check' | 'no-retry-check' | 'unlocked';

function deviceFault(commit: Commit, readBegin = { wait: true }) {
  return function* (w: World): Steps {
    const { sub, dev, pt } = w;
    for (let attempt = 0; attempt < w.attempts; attempt++) {
      const seq = yield* mmuIntervalReadBegin(sub, readBegin);
      const pte = yield* ptepGet(pt, ADDR); // hmm_range_fault(): no page reference taken
      if (pte === null) return;
      const programmed =
        commit === 'unlocked'
          ? yield* deviceCommitUnlocked(dev, sub, seq, ADDR, pte.page)
          : yield* deviceCommit(dev, sub, seq, ADDR, pte.page, commit);
      if (programmed) return;
    }
  };
}

// why P: the one page the device maps
const invariants = [observing(deviceNoFreed((w: World) => w.dev), named('dev', 'P'))];

type MutantName = 'no-set-seq' | 'no-zap' | 'read-begin-no-wait';

/**
 * The `fixed` variant with one part of the interval-notifier protocol removed (the parts the
 * driver's commit holds are the buggy variants). Not in `variants`: a mutant is a test of the fix
 * (test/scenarios), not a kernel version.
 */
export const mutants: Readonly<Record<MutantName, Variant<World>>> = {
  'no-set-seq': {
    summary: 'fixed, but the driver\'s ->invalidate zaps without mmu_interval_set_seq() (mutant)',
    expect: { violated: 'smmu-no-freed' },
    invariants,
    threads: { fault: deviceFault('retry-check'), munmap: zapIntervalWith({ setSeq: false, zap: true }) },
  },
  'no-zap': {
    summary: 'fixed, but the driver\'s ->invalidate sets the seq without zapping the device (mutant)',
    expect: { violated: 'smmu-no-freed' },
    invariants,
    threads: { fault: deviceFault('retry-check'), munmap: zapIntervalWith({ setSeq: true, zap: false }) },
  },
  'read-begin-no-wait': {
    summary: 'fixed, but mmu_interval_read_begin() does not wait for an invalidation in progress (mutant)',
    expect: { violated: 'smmu-no-freed' },
    invariants,
    threads: { fault: deviceFault('retry-check', { wait: false }), munmap: zapInterval },
  },
};

export default defineScenario({
  id: 'hmm-mirror-snapshot-vs-invalidate',
  title: 'HMM mirror: device page table vs invalidation — zap at range_start, and the interval notifier read_begin/read_retry',
  commits: [
    'c0b124054f9e mm/hmm/mirror: mirror process address space on device with HMM helpers',
    'ec131b2d7fa6 mm/hmm: invalidate device page table at start of invalidation',
    '99cb252f5e68 mm/mmu_notifier: add an interval tree notifier',
  ],
  params: { attempts: 2 },
  setup: ({ attempts }): World => {
    const subs = newSubscriptions('mm');
    const dev = newDevice('dev');
    const page = newFolio('P', { ref: 1, mapcount: 1 });
    const pt = newPageTable<Folio>('pte');
    setPteAtSetup(pt, ADDR, page);
    dev.dpte.set(ADDR, page);
    return { subs, sub: insertIntervalSubAtSetup(subs, 'sub', RANGE_START, RANGE_END), dev, pt, page, attempts };
  },
  variants: {
    'v4.14-buggy': {
      summary: 'v4.14 HMM: the device is zapped only from range_end, after the page was freed',
      expect: { violated: 'smmu-no-freed' },
      invariants,
      threads: { munmap: zapV414('end') },
    },
    'v4.20-fixed': {
      summary: 'v4.20 (ec131b2d7fa6): the device is zapped at range_start',
      expect: 'holds',
      invariants,
      threads: { munmap: zapV414('start') },
    },
    'no-retry-buggy': {
      summary: 'a driver that programs its snapshot without mmu_interval_read_retry()',
      expect: { violated: 'smmu-no-freed' },
      invariants,
      threads: { fault: deviceFault('no-retry-check'), munmap: zapInterval },
    },
    'unlocked-commit-buggy': {
      summary: 'a driver that tests mmu_interval_read_retry() under its lock but programs the device after dropping it',
      expect: { violated: 'smmu-no-freed' },
      invariants,
      threads: { fault: deviceFault('unlocked'), munmap: zapInterval },
    },
    fixed: {
      summary: 'v5.5+ (99cb252f5e68): read_begin, snapshot, then read_retry and program under the update lock',
      expect: 'holds',
      invariants,
      threads: { fault: deviceFault('retry-check'), munmap: zapInterval },
    },
  },
});

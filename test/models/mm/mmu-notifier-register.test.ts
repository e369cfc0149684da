import { describe, expect, it } from 'vitest';
import { newZone, type Zone } from '../../../models/mm/allocator';
import { isReachable } from '../../../models/hlist-rcu';
import { EINTR, ERA_3X, mutexRmapLock, newAllLocksMm, type AllLocksMm } from '../../../models/mm/mm-take-all-locks';
import { newMmuNotifier, newMmuNotifierMm, type MmuNotifier } from '../../../models/mm/mmu-notifier';
import {
  mmHasNotifiers,
  mmuNotifierLink,
  mmuNotifierMmInstall,
  mmuNotifierRegister,
  registerLinksNotifier,
  newLazyMmuNotifierMm,
  type LazyMmuNotifierMm,
} from '../../../models/mm/mmu-notifier-register';
import { mutexIsLocked, newMutex, type Mutex } from '../../../models/mutex';
import { newRwsem } from '../../../models/rwsem';
import { keepLastWorld } from '../../helpers/last-world';
import { firedChecks, program, runSerial } from '../../helpers/program';

interface W {
  nmm: LazyMmuNotifierMm;
  locks: AllLocksMm;
  iMmap: Mutex;
  zone: Zone;
  a: MmuNotifier;
  b: MmuNotifier;
  rets: number[];
  has: boolean[];
}

function world(): W {
  const nmm = newLazyMmuNotifierMm('mm');
  const iMmap = newMutex('M->i_mmap_mutex');
  const locks = newAllLocksMm('mm', {
    allLocksMutex: newMutex('mm_all_locks_mutex'),
    mmapLock: newRwsem('mm->mmap_sem'),
    vmas: [{ name: 'vma', mapping: mutexRmapLock(iMmap), anonVmas: [], vmaLock: null }],
  });
  return { nmm, locks, iMmap, zone: newZone('zone', { freePages: 2 }), a: newMmuNotifier(nmm, 'a'), b: newMmuNotifier(nmm, 'b'), rets: [], has: [] };
}

describe('mmu_notifier_register', () => {
  it('the first registration installs mm->mmu_notifier_mm and keeps its allocation; the second frees its own', () => {
    const kept = keepLastWorld(world);
    const p = program<W>({
      setup: kept.setup,
      threads: {
        kvm: function* (w) {
          w.has.push(yield* mmHasNotifiers(w.nmm));
          w.rets.push(yield* mmuNotifierRegister(w.a, { locks: w.locks, era: ERA_3X, zone: w.zone }));
          w.has.push(yield* mmHasNotifiers(w.nmm));
          w.rets.push(yield* mmuNotifierRegister(w.b, { locks: w.locks, era: ERA_3X, zone: w.zone }));
        },
      },
    });
    const t = runSerial(p);
    expect(firedChecks(t)).toEqual([]);
    const w = kept.last();
    expect(w.rets).toEqual([0, 0]);
    expect(w.has).toEqual([false, true]);
    expect(w.zone.freePages).toBe(1);
    expect(isReachable(w.nmm.list, w.a.hlist) && isReachable(w.nmm.list, w.b.hlist)).toBe(true);
    expect(t.steps.filter((s) => s.label === 'kfree(mmu_notifier_mm)')).toHaveLength(1);
    // allocation first, then mmap_sem: the 35cfa2b0b4 order
    const labels = t.steps.map((s) => s.label);
    expect(labels.indexOf('kmalloc(sizeof(struct mmu_notifier_mm), GFP_KERNEL)')).toBeLessThan(labels.indexOf('down_write(&mm->mmap_sem)'));
  });

  it('an mm made without the lazy pointer counts as having notifiers', () => {
    const kept = keepLastWorld(() => ({ mm: newMmuNotifierMm('mm'), has: [] as boolean[] }));
    runSerial(program({ setup: kept.setup, threads: { a: function* (w) { w.has.push(yield* mmHasNotifiers(w.mm)); } } }));
    expect(kept.last().has).toEqual([true]);
  });

  it('-EINTR from mm_take_all_locks: nothing linked, nothing held, the allocation freed', () => {
    const kept = keepLastWorld(world);
    const p = program<W>({
      setup: kept.setup,
      threads: {
        kvm: function* (w) {
          w.rets.push(yield* mmuNotifierRegister(w.a, { locks: w.locks, era: ERA_3X, zone: w.zone, signal: () => true }));
        },
      },
    });
    expect(firedChecks(runSerial(p))).toEqual([]);
    const w = kept.last();
    expect(w.rets).toEqual([EINTR]);
    expect([w.nmm.installed, isReachable(w.nmm.list, w.a.hlist), mutexIsLocked(w.iMmap), w.zone.freePages]).toEqual([false, false, false, 2]);
  });

  it('linking takes the notifier list lock around hlist_add_head_rcu', () => {
    const t = runSerial(program<W>({ setup: world, threads: { a: function* (w) { yield* mmuNotifierLink(w.a); } } }));
    expect(t.steps.map((s) => s.label)).toEqual([
      'spin_lock(&mm->mmu_notifier_mm->lock)',
      'hlist_add_head_rcu(&a->hlist, &mm->mmu_notifier_mm->list)',
      'spin_unlock(&mm->mmu_notifier_mm->lock)',
    ]);
  });

  it('a second install replaces the list: a notifier linked on the first is lost, and register-links-notifier says so', () => {
    const kept = keepLastWorld(world);
    const inv = registerLinksNotifier(
      (w: W) => w.nmm,
      (w: W) => [
        { mn: w.a, ghost: { returned: w.rets[0] ?? null } },
        { mn: w.b, ghost: { returned: w.rets[1] ?? null } },
      ],
    );
    const t = runSerial(
      program<W>({
        setup: kept.setup,
        invariants: [inv],
        threads: {
          kvm: function* (w) {
            yield* mmuNotifierMmInstall(w.nmm);
            yield* mmuNotifierLink(w.a);
            w.rets.push(0);
            yield* mmuNotifierMmInstall(w.nmm); // as if mm_has_notifiers had been read before the locks
            yield* mmuNotifierLink(w.b);
            w.rets.push(0);
          },
        },
      }),
    );
    const w = kept.last();
    expect([isReachable(w.nmm.list, w.a.hlist), isReachable(w.nmm.list, w.b.hlist)]).toEqual([false, true]);
    expect(firedChecks(t)).toEqual(['register-links-notifier']);
    expect(t.violations[0]!.message).toBe('mmu_notifier_register(a) returned 0, but a is not on mm->mmu_notifier_mm->list');
  });

  it('register-links-notifier holds for registrations that returned 0 with their notifier linked, and ignores failed ones', () => {
    const inv = registerLinksNotifier(
      (w: W) => w.nmm,
      (w: W) => [
        { mn: w.a, ghost: { returned: w.rets[0] ?? null } },
        { mn: w.b, ghost: { returned: w.rets[1] ?? null } },
      ],
    );
    const t = runSerial(
      program<W>({
        setup: world,
        invariants: [inv],
        threads: {
          kvm: function* (w) {
            w.rets.push(yield* mmuNotifierRegister(w.a, { locks: w.locks, era: ERA_3X, zone: w.zone }));
            w.rets.push(yield* mmuNotifierRegister(w.b, { locks: w.locks, era: ERA_3X, zone: w.zone, signal: () => true }));
          },
        },
      }),
    );
    expect(firedChecks(t)).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { GFP_ATOMIC, GFP_KERNEL, GFP_NOFS, kfreeToZone, kmalloc, kswapdPass, newZone, type Zone } from '../../../models/mm/allocator';
import { mutexLock, mutexUnlock, newMutex, type Mutex } from '../../../models/mutex';
import { newSpinlock, spinLock, spinUnlock, type Spinlock } from '../../../models/spinlock';
import { keepLastWorld } from '../../helpers/last-world';
import { exploreProgram, firedChecks, program, runSerial } from '../../helpers/program';

interface W {
  zone: Zone;
  /** The lock reclaim's rmap walk takes (an i_mmap lock). */
  iMmap: Mutex;
  spin: Spinlock;
  got: boolean[];
}

function world(freePages: number, directReclaim = true): () => W {
  return () => {
    const w = { iMmap: newMutex('i_mmap', { lockClass: 'i_mmap' }), spin: newSpinlock('spin'), got: [] } as unknown as W;
    w.zone = newZone('zone', {
      freePages,
      directReclaim,
      reclaimWalk: function* () {
        yield* mutexLock(w.iMmap);
        yield* mutexUnlock(w.iMmap);
      },
    });
    return w;
  };
}

const kswapd = function* (w: W) {
  yield* kswapdPass(w.zone);
};

describe('allocator', () => {
  it('takes a free page when there is one; GFP_ATOMIC gets NULL when there is none', () => {
    const kept = keepLastWorld(world(1));
    const p = program<W>({
      setup: kept.setup,
      threads: {
        a: function* (w) {
          w.got.push(yield* kmalloc(w.zone, GFP_KERNEL, 'kmalloc(GFP_KERNEL)'));
          w.got.push(yield* kmalloc(w.zone, GFP_ATOMIC, 'kmalloc(GFP_ATOMIC)'));
        },
      },
    });
    const t = runSerial(p);
    expect(firedChecks(t)).toEqual([]);
    expect(kept.last().got).toEqual([true, false]);
    expect(kept.last().zone.freePages).toBe(0);
    expect(kept.last().zone.failures).toBe(1);
  });

  it('a sleeping allocation under a spinlock is sleep-in-atomic; GFP_ATOMIC there is fine', () => {
    const atomicOk = program<W>({
      setup: world(1),
      threads: { a: function* (w) { yield* spinLock(w.spin); yield* kmalloc(w.zone, GFP_ATOMIC, 'kmalloc(GFP_ATOMIC)'); yield* spinUnlock(w.spin); } },
    });
    expect(firedChecks(runSerial(atomicOk))).toEqual([]);
    const sleeping = program<W>({
      setup: world(1),
      threads: { a: function* (w) { yield* spinLock(w.spin); yield* kmalloc(w.zone, GFP_KERNEL, 'kmalloc(GFP_KERNEL)'); yield* spinUnlock(w.spin); } },
    });
    const t = runSerial(sleeping);
    expect(firedChecks(t)).toEqual(['sleep-in-atomic']);
    expect(t.violations[0]!.message).toMatch(/kmalloc\(GFP_KERNEL\)/);
  });

  it('holding a lock that reclaim takes across GFP_KERNEL is a reclaim inversion, even with memory free', () => {
    const p = program<W>({
      setup: world(1),
      threads: {
        a: function* (w) { yield* mutexLock(w.iMmap); yield* kmalloc(w.zone, GFP_KERNEL, 'kmalloc(GFP_KERNEL)'); yield* mutexUnlock(w.iMmap); },
        kswapd,
      },
    });
    const t = runSerial(p);
    expect(firedChecks(t)).toEqual(['reclaim-inversion']);
    expect(t.violations[0]!.message).toMatch(/i_mmap held across a reclaim-capable allocation/);
    expect(t.violations[0]!.message).toMatch(/i_mmap taken in reclaim/);
  });

  it('GFP_NOFS under the same lock is no inversion, on any schedule', () => {
    const p = program<W>({
      setup: world(1),
      threads: {
        a: function* (w) { yield* mutexLock(w.iMmap); yield* kmalloc(w.zone, GFP_NOFS, 'kmalloc(GFP_NOFS)'); yield* mutexUnlock(w.iMmap); },
        kswapd,
      },
    });
    expect(exploreProgram(p).kind).toBe('holds');
  });

  it('below the watermark, direct reclaim runs the rmap walk in the caller and then allocates', () => {
    const kept = keepLastWorld(world(0));
    const p = program<W>({ setup: kept.setup, threads: { a: function* (w) { w.got.push(yield* kmalloc(w.zone, GFP_KERNEL, 'kmalloc')); } } });
    const t = runSerial(p);
    expect(firedChecks(t)).toEqual([]);
    expect(t.steps.map((s) => s.label)).toEqual([
      'kmalloc',
      'direct reclaim: current->flags |= PF_MEMALLOC; mutex_lock(&i_mmap)',
      'mutex_unlock(&i_mmap)',
      'direct reclaim: free the reclaimed page; current->flags &= ~PF_MEMALLOC',
      'kmalloc',
    ]);
    expect(kept.last().got).toEqual([true]);
  });

  it("direct reclaim waits on the reclaim lock its own caller holds: a deadlock", () => {
    const p = program<W>({
      setup: world(0),
      threads: { a: function* (w) { yield* mutexLock(w.iMmap); yield* kmalloc(w.zone, GFP_KERNEL, 'kmalloc'); yield* mutexUnlock(w.iMmap); } },
    });
    const t = runSerial(p);
    expect(firedChecks(t)).toContain('deadlock');
    expect(t.violations.find((v) => v.check === 'deadlock')!.message).toMatch(/i_mmap held by A \(a\) itself/);
  });

  it('without direct reclaim the caller sleeps until kswapd frees a page', () => {
    const waiter = function* (w: W) {
      w.got.push(yield* kmalloc(w.zone, GFP_KERNEL, 'kmalloc'));
    };
    expect(exploreProgram(program<W>({ setup: world(0, false), threads: { a: waiter, kswapd } })).kind).toBe('holds');
    const alone = runSerial(program<W>({ setup: world(0, false), threads: { a: waiter } }));
    expect(firedChecks(alone)).toEqual(['deadlock']);
    expect(alone.violations[0]!.message).toMatch(/kswapd to free a page of zone/);
  });

  it('an allocation inside reclaim does not recurse into reclaim (PF_MEMALLOC): it fails instead', () => {
    const kept = keepLastWorld((): W => {
      const w = world(0)();
      const zone: Zone = newZone('zone', {
        freePages: 0,
        reclaimWalk: function* () {
          w.got.push(yield* kmalloc(zone, GFP_KERNEL, 'kmalloc in reclaim'));
        },
      });
      return { ...w, zone };
    });
    const p = program<W>({
      setup: kept.setup,
      threads: { a: function* (w) { yield* kswapdPass(w.zone); yield* kfreeToZone(w.zone, 'kfree'); } },
    });
    expect(firedChecks(runSerial(p))).toEqual([]);
    expect(kept.last().zone.failures).toBe(1);
    expect(kept.last().zone.freePages).toBe(2);
  });
});

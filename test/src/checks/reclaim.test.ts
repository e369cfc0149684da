import { describe, expect, it } from 'vitest';
import { mutexLock, mutexUnlock, newMutex, type Mutex } from '../../../models/mutex';
import { enterReclaim, inReclaim, leaveReclaim, markReclaimCapableAllocation } from '../../../src/checks/reclaim';
import { perform, type SharedObject, type Steps } from '../../../src/runtime/op';
import { checksFiredAnywhere } from '../../helpers/detectors';
import { firedChecks, program, runSchedule, runSerial } from '../../helpers/program';

interface W {
  iMmap: Mutex;
  other: Mutex;
  allocator: SharedObject;
}
const world = (): W => ({ iMmap: newMutex('mapping->i_mmap_mutex'), other: newMutex('other'), allocator: { name: 'allocator' } });

/** kmalloc with flags that may (GFP_KERNEL) or may not (GFP_NOFS here, GFP_ATOMIC) enter reclaim. */
function* kmalloc(w: W, flags: 'GFP_KERNEL' | 'GFP_NOFS'): Steps {
  const label = `kmalloc(size, ${flags})`;
  yield* perform<void>({
    object: w.allocator,
    access: 'write',
    label,
    run: (self) => {
      if (flags === 'GFP_KERNEL') markReclaimCapableAllocation(self, label);
    },
  });
}

/** kswapd or direct reclaim: an rmap walk that takes i_mmap_mutex. */
function* shrinkPageList(w: W): Steps {
  yield* perform<void>({ object: w.allocator, access: 'write', label: 'shrink_page_list()', run: (self) => enterReclaim(self, 'shrink_page_list()') });
  yield* mutexLock(w.iMmap);
  yield* mutexUnlock(w.iMmap);
  yield* perform<void>({ object: w.allocator, access: 'write', label: 'reclaim done', run: (self) => leaveReclaim(self) });
}

function* allocUnderIMmap(w: W, flags: 'GFP_KERNEL' | 'GFP_NOFS'): Steps {
  yield* mutexLock(w.iMmap);
  yield* kmalloc(w, flags);
  yield* mutexUnlock(w.iMmap);
}

describe('reclaim-inversion', () => {
  it('fires when a lock taken in reclaim is held across a reclaim-capable allocation, naming both sites', () => {
    const p = program<W>({ setup: world, threads: { alloc: (w) => allocUnderIMmap(w, 'GFP_KERNEL'), kswapd: shrinkPageList } });
    const t = runSerial(p);
    expect(firedChecks(t)).toEqual(['reclaim-inversion']);
    expect(t.violations[0]!.message).toBe(
      'possible reclaim deadlock fs_reclaim → mapping->i_mmap_mutex → fs_reclaim: ' +
        'mapping->i_mmap_mutex taken in reclaim (B (kswapd) at step 5 in mutex_lock(&mapping->i_mmap_mutex); reclaim entered by B (kswapd) at step 4 in shrink_page_list()); ' +
        'mapping->i_mmap_mutex held across a reclaim-capable allocation (A (alloc) at step 2 in kmalloc(size, GFP_KERNEL); mapping->i_mmap_mutex taken by A (alloc) at step 1 in mutex_lock(&mapping->i_mmap_mutex))',
    );
    // Reclaim first, allocation later: the same pair, found from the other side.
    expect(firedChecks(runSchedule(p, 'B B B B A A A'))).toEqual(['reclaim-inversion']);
  });

  it('does not fire for GFP_NOFS allocations, or for locks reclaim never takes', () => {
    expect(checksFiredAnywhere(program<W>({ setup: world, threads: { alloc: (w) => allocUnderIMmap(w, 'GFP_NOFS'), kswapd: shrinkPageList } }))).toEqual(
      new Set(),
    );
    const otherLock = function* (w: W): Steps {
      yield* mutexLock(w.other);
      yield* kmalloc(w, 'GFP_KERNEL');
      yield* mutexUnlock(w.other);
    };
    expect(checksFiredAnywhere(program<W>({ setup: world, threads: { alloc: otherLock, kswapd: shrinkPageList } }))).toEqual(new Set());
  });

  it('direct reclaim in the allocating thread that takes the lock it holds is reported', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          yield* mutexLock(w.other);
          yield* kmalloc(w, 'GFP_KERNEL');
          yield* perform<void>({ object: w.allocator, access: 'write', label: '__alloc_pages_direct_reclaim()', run: (self) => enterReclaim(self, '__alloc_pages_direct_reclaim()') });
          yield* mutexLock(w.iMmap);
          yield* mutexUnlock(w.iMmap);
          yield* perform<void>({ object: w.allocator, access: 'write', label: 'reclaim done', run: (self) => leaveReclaim(self) });
          yield* mutexUnlock(w.other);
        },
        b: function* (w) { yield* mutexLock(w.iMmap); yield* kmalloc(w, 'GFP_KERNEL'); yield* mutexUnlock(w.iMmap); },
      },
    });
    expect(firedChecks(runSerial(p))).toEqual(['reclaim-inversion']);
  });

  it('allocations inside reclaim do not recurse into it; leaving reclaim twice is a bug', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          yield* perform<void>({ object: w.allocator, access: 'write', label: 'enter', run: (self) => enterReclaim(self, 'enter') });
          yield* mutexLock(w.iMmap);
          yield* perform<void>({
            object: w.allocator,
            access: 'write',
            label: 'kmalloc in reclaim',
            run: (self) => {
              expect(inReclaim(self)).toBe(true);
              markReclaimCapableAllocation(self, 'kmalloc in reclaim');
            },
          });
          yield* mutexUnlock(w.iMmap);
          yield* perform<void>({ object: w.allocator, access: 'write', label: 'leave', run: (self) => leaveReclaim(self) });
          yield* perform<void>({ object: w.allocator, access: 'write', label: 'leave again', run: (self) => leaveReclaim(self) });
        },
      },
    });
    expect(firedChecks(runSerial(p))).toEqual(['bug-on']);
  });
});

import { describe, expect, it } from 'vitest';
import { mmapWriteLock, mmapWriteUnlock, newMmLocks, newVmaLock, vmaEndRead, vmaStartRead, vmaStartWrite, type MmLocks, type VmaLock } from '../../../../models/mm/vma-lock';
import { DEFAULT_LIMITS, explore } from '../../../../src/search/explorer';
import { makeStrategy } from '../../../../src/search/strategies';
import { bugOn } from '../../../../src/runtime/errors';
import { program } from '../../../helpers/program';

describe('dfs with a step that can block', () => {
  // vma_start_read is a trylock that never blocks; vma_start_write waits for its readers. In the
  // first execution the reader goes first, so the writer's race is with the reader's release,
  // before which it cannot run: the reversal has to walk back past the trylock-like acquisition.
  it('reverses a race past a non-blocking acquisition when the waiting step cannot run after it', () => {
    const p = program<{ mm: MmLocks; v: VmaLock }>({
      setup: () => {
        const mm = newMmLocks('mm');
        return { mm, v: newVmaLock('vma', mm) };
      },
      threads: {
        fault: function* (w) {
          const locked = yield* vmaStartRead(w.v);
          bugOn(!locked, 'vma_start_read failed: the fault falls back to mmap_lock');
          if (locked) yield* vmaEndRead(w.v);
        },
        writer: function* (w) {
          yield* mmapWriteLock(w.mm);
          yield* vmaStartWrite(w.v);
          yield* mmapWriteUnlock(w.mm);
        },
      },
    });
    const run = (id: string) => explore({ scenario: p, variant: p.variants.main!, params: {}, strategy: makeStrategy(id), limits: DEFAULT_LIMITS });
    const plain = run('exhaustive');
    const dpor = run('dfs');
    expect(plain.kind).toBe('violated');
    expect(dpor.kind).toBe('violated');
    expect(dpor.kind === 'violated' && dpor.violations[0]!.check).toBe('bug-on');
  });
});

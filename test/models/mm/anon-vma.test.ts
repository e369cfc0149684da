import { describe, expect, it } from 'vitest';
import {
  anonVmaAllocReusing,
  anonVmaGetUnlessZero,
  anonVmaLockWrite,
  anonVmaUnlockRead,
  anonVmaUnlockWrite,
  folioLockAnonVmaRead,
  newAnonVma,
  putAnonVma,
  type AnonVma,
  type LockAnonVmaReadOptions,
} from '../../../models/mm/anon-vma';
import { folioSetMapping, newFolio, type Folio } from '../../../models/mm/folio';
import { newRcu, type Rcu } from '../../../models/rcu';
import type { Invariant } from '../../../src/runtime/scenario';
import { keepLastWorld } from '../../helpers/last-world';
import { exploreProgram, firedChecks, program, runSchedule } from '../../helpers/program';
import { recordTrace } from '../../../src/trace/trace';

interface W {
  rcu: Rcu;
  av1: AnonVma;
  av2: AnonVma;
  folio: Folio;
  /** What folio_lock_anon_vma_read returned, and the folio's mapping at that moment. */
  got: { av: AnonVma | null; mappingThen: unknown } | null;
}

const fresh = (mapcount = 1) => (): W => {
  const av1 = newAnonVma('av1');
  const av2 = newAnonVma('av2');
  return { rcu: newRcu(), av1, av2, folio: newFolio('folio', { mapcount, mapping: av1 }), got: null };
};

/** A reader that records what it got and unlocks it again. */
const reader = (recheck: LockAnonVmaReadOptions['recheck']) =>
  function* (w: W) {
    const av = yield* folioLockAnonVmaRead(w.folio, w.rcu, { recheck });
    w.got = { av, mappingThen: w.folio.mapping };
    if (av) yield* anonVmaUnlockRead(av);
  };

/** folio_move_anon_rmap to av2 under the folio's old root rwsem for write (UFFDIO_MOVE's rule). */
function* mover(w: W) {
  yield* anonVmaLockWrite(w.av1);
  yield* folioSetMapping(w.folio, w.av2, 8, 'folio_move_anon_rmap(folio, dst_vma)');
  yield* anonVmaUnlockWrite(w.av1);
}

const lockedTheCurrentAnonVma: Invariant<W> = {
  id: 'locked-current',
  description: 'the anon_vma returned is the folio mapping at return',
  check: (w) => w.got === null || w.got.av === null || w.got.av === w.got.mappingThen || `returned ${w.got.av.name}, folio is on ${String((w.got.mappingThen as AnonVma).name)}`,
};

describe('anon_vma', () => {
  it('a child shares its root\'s rwsem and the root is its own root', () => {
    const root = newAnonVma('root');
    const child = newAnonVma('child', { root });
    expect(root.root).toBe(root);
    expect(child.root).toBe(root);
    expect(child.rwsem).toBe(root.rwsem);
    expect(root.rwsem.name).toBe('root->rwsem');
  });

  it('fast path: returns the anon_vma with its root rwsem held for read, the RCU section left', () => {
    const kept = keepLastWorld(fresh());
    const p = program<W>({
      setup: kept.setup,
      threads: {
        a: function* (w) {
          const av = yield* folioLockAnonVmaRead(w.folio, w.rcu, { recheck: true });
          w.got = { av, mappingThen: w.folio.mapping };
          expect(av?.rwsem.readers.size).toBe(1);
          expect(w.rcu.readers.size).toBe(0);
          yield* anonVmaUnlockRead(av!);
        },
      },
    });
    const v = exploreProgram(p);
    expect(v.kind).toBe('holds');
    expect(kept.last().got?.av).toBe(kept.last().av1);
  });

  it('returns NULL for an unmapped folio and for a file folio', () => {
    const kept = keepLastWorld(fresh(0));
    exploreProgram(program<W>({ setup: kept.setup, threads: { a: reader(true) } }));
    expect(kept.last().got?.av).toBeNull();
    const file = keepLastWorld((): W => ({ ...fresh()(), folio: newFolio('folio', { mapcount: 1, mapping: { name: 'mapping', anon: false } }) }));
    exploreProgram(program<W>({ setup: file.setup, threads: { a: reader(true) } }));
    expect(file.last().got?.av).toBeNull();
  });

  it('slow path: while a writer holds the rwsem the reader pins the anon_vma, sleeps, and drops the pin', () => {
    const kept = keepLastWorld(fresh());
    const refcounts: number[] = [];
    const p = program<W>({
      setup: kept.setup,
      threads: {
        writer: function* (w) {
          yield* anonVmaLockWrite(w.av1);
          yield* anonVmaUnlockWrite(w.av1);
        },
        reader: function* (w) {
          const av = yield* folioLockAnonVmaRead(w.folio, w.rcu, { recheck: true });
          refcounts.push(w.av1.refcount.count);
          if (av) yield* anonVmaUnlockRead(av);
        },
      },
    });
    // A takes the lock; B: rcu_read_lock, read mapping, read root, trylock fails, pin, folio_mapped,
    // rcu_read_unlock, then sleeps in down_read until A's up_write; then re-check, unpin, up_read.
    // (folio_mapped is a read of its own after the mapping read, as in v6.8)
    const t = runSchedule(p, 'A B8 A B4');
    expect(firedChecks(t)).toEqual([]);
    expect(t.steps.map((s) => s.label)).toContain('refcount_inc_not_zero(&av1->refcount)');
    expect(refcounts).toEqual([1]);
  });

  it('without the re-check some schedule returns an anon_vma the folio has left; with it none does', () => {
    const buggy = exploreProgram(program<W>({ setup: fresh(), threads: { move: mover, read: reader(false) }, invariants: [lockedTheCurrentAnonVma] }));
    expect(buggy.kind).toBe('violated');
    const fixed = exploreProgram(program<W>({ setup: fresh(), threads: { move: mover, read: reader(true) }, invariants: [lockedTheCurrentAnonVma] }));
    expect(fixed.kind).toBe('holds');
  });

  it('each locking path needs its own re-check: with only one, the other returns the anon_vma the folio left', () => {
    const prog = (recheck: LockAnonVmaReadOptions['recheck']) =>
      program<W>({ setup: fresh(), threads: { move: mover, read: reader(recheck) }, invariants: [lockedTheCurrentAnonVma] });
    /** The reader's steps in the schedule dfs found violating, or null when every schedule holds. */
    const readerSteps = (recheck: LockAnonVmaReadOptions['recheck']) => {
      const p = prog(recheck);
      const v = exploreProgram(p);
      if (v.kind !== 'violated') return null;
      return recordTrace(p, 'main', p.variants.main!, p.params, v.schedule).steps.filter((s) => s.thread === 1).map((s) => `${s.label} → ${s.result}`);
    };
    // without the trylock path's re-check: B read av1, A's whole move ran, B's trylock succeeded
    expect(readerSteps({ afterTrylock: false, afterSleep: true })).toContain('down_read_trylock(&av1->rwsem) → true');
    // without the sleeping path's: B's trylock failed under A's write lock, it slept through the move
    const slept = readerSteps({ afterTrylock: true, afterSleep: false });
    expect(slept).toContain('down_read_trylock(&av1->rwsem) → false');
    expect(slept).toContain('down_read(&av1->rwsem) → null');
    expect(readerSteps({ afterTrylock: true, afterSleep: true })).toBeNull();
  });

  it('the inc-not-zero pin fails on a dying anon_vma; a put after the free is a refcount bug', () => {
    const got: boolean[] = [];
    const p = program<W>({
      setup: fresh(),
      threads: {
        a: function* (w) {
          yield* putAnonVma(w.av1); // 1 → 0: freed
          got.push(w.av1.life === 'freed');
          yield* putAnonVma(w.av1);
        },
      },
    });
    const t = runSchedule(p, 'A3');
    expect(got).toEqual([true]);
    expect(firedChecks(t)).toEqual(['refcount']);
    const pin = program<W>({
      setup: () => {
        const w = fresh()();
        w.av1.refcount.count = 0;
        return w;
      },
      threads: {
        a: function* (w) {
          got.push(yield* anonVmaGetUnlessZero(w.av1));
        },
      },
    });
    runSchedule(pin, 'A');
    expect(got).toEqual([true, false]);
  });

  it('SLAB_TYPESAFE_BY_RCU: a freed anon_vma is handed out again, and a stale pin then succeeds on the new one', () => {
    const got: unknown[] = [];
    const p = program<W>({
      setup: fresh(),
      threads: {
        owner: function* (w) {
          got.push(yield* anonVmaAllocReusing(w.av1, [])); // still in use: another object
          yield* putAnonVma(w.av1); // 1 → 0: freed
          got.push(yield* anonVmaAllocReusing(w.av1, [w.av2]));
        },
        stale: function* (w) {
          got.push(yield* anonVmaGetUnlessZero(w.av1));
        },
      },
    });
    expect(firedChecks(runSchedule(p, 'A4 B'))).toEqual([]);
    expect(got).toEqual([false, true, true]); // reused: the inc-not-zero finds a count of 1
    got.length = 0;
    expect(firedChecks(runSchedule(p, 'A3 B A'))).toEqual([]);
    expect(got).toEqual([false, false, true]); // freed, not yet reused: the pin fails, no fault (type-stable)
  });

  it('only a root anon_vma can be handed out again (a modelling error otherwise)', () => {
    const p = program<W>({
      setup: () => ({ ...fresh()(), av2: newAnonVma('child', { root: newAnonVma('root') }) }),
      threads: { a: function* (w) { yield* anonVmaAllocReusing(w.av2, []); } },
    });
    expect(() => runSchedule(p, 'A')).toThrow(/only a root anon_vma/);
  });

  it('a walker that never unlocks is a lock leak', () => {
    const p = program<W>({
      setup: fresh(),
      threads: {
        a: function* (w) {
          yield* folioLockAnonVmaRead(w.folio, w.rcu, { recheck: true });
        },
      },
    });
    const v = exploreProgram(p);
    expect(v.kind === 'violated' && v.violations.map((x) => x.check)).toEqual(['lock-leak']);
  });
});

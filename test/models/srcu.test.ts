import { describe, expect, it } from 'vitest';
import { newSrcu, srcuReadLock, srcuReadUnlock, synchronizeSrcu, type Srcu } from '../../models/srcu';
import { exploreProgram, firedChecks, program, runSchedule } from '../helpers/program';

interface W {
  s: Srcu;
  /** Ghost: 1 while the reader is inside its section, with what it saw. */
  readerInside: boolean;
  syncReturnedWhileReaderInside: boolean;
  synced: boolean;
}
const world = (): W => ({ s: newSrcu('s'), readerInside: false, syncReturnedWhileReaderInside: false, synced: false });

function* reader(w: W) {
  const idx = yield* srcuReadLock(w.s);
  w.readerInside = true;
  yield* srcuReadUnlock(w.s, idx);
  w.readerInside = false;
}

describe('srcu', () => {
  it('synchronize_srcu waits for a reader that entered before it', () => {
    const p = program<W>({
      setup: world,
      threads: {
        reader,
        updater: function* (w) {
          yield* synchronizeSrcu(w.s);
          if (w.readerInside) w.syncReturnedWhileReaderInside = true;
        },
      },
      invariants: [{ id: 'grace-period', description: '', check: (w) => !w.syncReturnedWhileReaderInside || 'returned early' }],
    });
    expect(exploreProgram(p).kind).toBe('holds');
    // Reader inside, snapshot taken: the wait is not runnable until the reader leaves.
    expect(() => runSchedule(p, 'A B B')).toThrow(/B, which cannot run here/);
    const t = runSchedule(p, 'A B A B');
    expect(t.steps.map((s) => s.label)).toEqual([
      'srcu_read_lock(&s)',
      'synchronize_srcu(&s)',
      'srcu_read_unlock(&s)',
      'synchronize_srcu(&s) waits for readers',
    ]);
  });

  it('synchronize_srcu does not wait for readers that enter after it began', () => {
    const p = program<W>({
      setup: world,
      threads: {
        updater: function* (w) {
          yield* synchronizeSrcu(w.s);
          w.synced = true;
        },
        late: reader,
        early: reader,
      },
    });
    // C enters, A snapshots (waits for C), B enters, C leaves: A's wait can run while B is inside.
    const t = runSchedule(p, 'C A B C A B');
    expect(t.steps[4]!.label).toBe('synchronize_srcu(&s) waits for readers');
    expect(t.steps[4]!.blocked).toEqual([]);
    expect(t.status).toBe('complete');
  });

  it('synchronize_srcu waits for every reader of its grace period, not only the oldest', () => {
    interface T {
      s: Srcu;
      inside: number;
      returnedWith: number | null;
    }
    function* twoReader(w: T) {
      const idx = yield* srcuReadLock(w.s);
      w.inside++;
      yield* srcuReadUnlock(w.s, idx);
      w.inside--;
    }
    const p = program<T>({
      setup: () => ({ s: newSrcu('s'), inside: 0, returnedWith: null }),
      threads: {
        first: twoReader,
        second: twoReader,
        updater: function* (w) {
          yield* synchronizeSrcu(w.s);
          w.returnedWith = w.inside;
        },
      },
    });
    // A and B enter, C snapshots both; A (the oldest) leaves: C must still wait for B
    expect(() => runSchedule(p, 'A B C A C')).toThrow(/C, which cannot run here/);
    const t = runSchedule(p, 'A B C A B C');
    expect(t.status).toBe('complete');
    expect(t.steps[5]!.label).toBe('synchronize_srcu(&s) waits for readers');
    // the younger leaving first is not enough either
    expect(() => runSchedule(p, 'A B C B C')).toThrow(/C, which cannot run here/);
  });

  it('a token must come back to the thread that took it', () => {
    const p = program<W & { token: number; t: Srcu }>({
      setup: () => ({ ...world(), token: 0, t: newSrcu('t') }),
      threads: {
        a: function* (w) {
          w.token = yield* srcuReadLock(w.s);
        },
        b: function* (w) {
          // a first step, so that the token is read after A took it
          yield* srcuReadUnlock(w.t, yield* srcuReadLock(w.t));
          yield* srcuReadUnlock(w.s, w.token);
        },
      },
    });
    const t = runSchedule(p, 'A B3');
    expect(firedChecks(t)).toEqual(['lock-leak', 'unlock-not-held']);
    expect(t.violations[1]!.message).toMatch(/entered by A/);
  });

  it('unlocking twice is unlock-not-held', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          const i = yield* srcuReadLock(w.s);
          yield* srcuReadUnlock(w.s, i);
          yield* srcuReadUnlock(w.s, i);
        },
      },
    });
    expect(firedChecks(runSchedule(p, 'A3'))).toEqual(['unlock-not-held']);
  });

  it('synchronize_srcu inside its own read section never returns', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          const i = yield* srcuReadLock(w.s);
          yield* synchronizeSrcu(w.s);
          yield* srcuReadUnlock(w.s, i);
        },
      },
    });
    const t = runSchedule(p, 'A2');
    expect(firedChecks(t)).toEqual(['deadlock']);
    expect(t.violations[0]!.message).toMatch(/waiting for SRCU readers A of s to leave/);
  });

  it('leaving a section open at return is a lock leak', () => {
    const p = program<W>({ setup: world, threads: { a: function* (w) { yield* srcuReadLock(w.s); } } });
    expect(firedChecks(runSchedule(p, 'A'))).toEqual(['lock-leak']);
  });
});

import { describe, expect, it } from 'vitest';
import {
  downgradeWrite,
  downRead,
  downReadTrylock,
  downWrite,
  downWriteNestLock,
  downWriteTrylock,
  newRwsem,
  upRead,
  upWrite,
  type Rwsem,
} from '../../models/rwsem';
import { newSpinlock, spinLock, spinUnlock, type Spinlock } from '../../models/spinlock';
import { mutexLock, mutexUnlock, newMutex } from '../../models/mutex';
import type { Steps } from '../../src/runtime/op';
import type { Invariant } from '../../src/runtime/scenario';
import { checksFiredAnywhere } from '../helpers/detectors';
import { exploreProgram, firedChecks, program, runSchedule, runSerial } from '../helpers/program';

interface W {
  s: Rwsem;
  l: Spinlock;
  readers: number;
  writers: number;
  bothReadersInside: boolean;
}
const world = (strict = false) => (): W => ({
  s: newRwsem('s', { strict }),
  l: newSpinlock('l'),
  readers: 0,
  writers: 0,
  bothReadersInside: false,
});

function* reader(w: W) {
  yield* downRead(w.s);
  w.readers++;
  if (w.readers === 2) w.bothReadersInside = true;
  yield* upRead(w.s);
  w.readers--;
}

function* writer(w: W) {
  yield* downWrite(w.s);
  w.writers++;
  yield* upWrite(w.s);
  w.writers--;
}

const exclusive: Invariant<W> = {
  id: 'rw-exclusion',
  description: 'a writer is alone',
  check: (w) => (w.writers === 0 || (w.writers === 1 && w.readers === 0)) || `${w.writers} writers, ${w.readers} readers`,
};

describe('rwsem', () => {
  for (const strict of [false, true]) {
    it(`a writer excludes readers and writers (strict=${strict})`, () => {
      const p = program<W>({ setup: world(strict), threads: { r: reader, w1: writer, w2: writer }, invariants: [exclusive] });
      expect(exploreProgram(p).kind).toBe('holds');
    });
  }

  it('readers share it', () => {
    const p = program<W>({ setup: world(), threads: { a: reader, b: reader } });
    const t = runSchedule(p, 'A B A B');
    expect(t.status).toBe('complete');
    expect(t.steps.map((s) => s.label)).toEqual(['down_read(&s)', 'down_read(&s)', 'up_read(&s)', 'up_read(&s)']);
  });

  for (const strict of [false, true]) {
    it(`a queued writer is visible, and blocks new readers while readers own the lock (strict=${strict})`, () => {
      const p = program<W>({ setup: world(strict), threads: { a: reader, w: writer, b: reader } });
      // A reads; W queues (its first step returns false); B cannot enter behind W.
      const t = runSchedule(p, 'A B A B B C C');
      expect(t.steps[1]).toMatchObject({ label: 'down_write(&s)', result: 'false' });
      expect(t.steps[2]!.blocked).toEqual([
        { thread: 1, label: 'down_write(&s) waits', waitsFor: 's held for read by A (a)' },
        { thread: 2, label: 'down_read(&s)', waitsFor: 's held for read by A (a) and writer B (w) queued on s' },
      ]);
      expect(t.status).toBe('complete');
    });

    it(`a recursive read behind a waiting writer deadlocks (strict=${strict})`, () => {
      const recursive = function* (w: W) {
        yield* downRead(w.s);
        yield* downRead(w.s);
        yield* upRead(w.s);
        yield* upRead(w.s);
      };
      const t = runSchedule(program<W>({ setup: world(strict), threads: { a: recursive, w: writer } }), 'A B');
      expect(firedChecks(t)).toContain('deadlock');
      expect(t.violations.find((v) => v.check === 'deadlock')!.message).toMatch(
        /A \(a\) blocked in down_read\(&s\) waiting for s held for read by A \(a\) itself and writer B \(w\) queued on s; B \(w\) blocked in down_write\(&s\) waits waiting for s held for read by A \(a\)/,
      );
    });
  }

  it('Linux order: a reader takes the free lock ahead of a queued writer; strict: it waits its turn', () => {
    const threads = {
      holder: writer,
      queued: writer,
      late: function* (w: W) {
        yield* downRead(w.s);
        w.readers++;
        yield* upRead(w.s);
        w.readers--;
      },
    };
    // A holds it for write; B queues; A releases; C's down_read runs before B is woken
    const linux = runSchedule(program<W>({ setup: world(false), threads }), 'A B A C C B B');
    expect(linux.violations).toEqual([]);
    expect(linux.steps.map((s) => s.label)).toEqual(['down_write(&s)', 'down_write(&s)', 'up_write(&s)', 'down_read(&s)', 'up_read(&s)', 'down_write(&s) waits', 'up_write(&s)']);
    const strict = program<W>({ setup: world(true), threads });
    expect(() => runSchedule(strict, 'A B A C')).toThrow(/C, which cannot run here/);
    expect(runSchedule(strict, 'A B A B B C C').status).toBe('complete');
  });

  it('Linux order: writers are not FIFO (a later writer may take the lock first); strict: arrival order', () => {
    const threads = { holder: writer, first: writer, second: writer };
    // A holds it; B queues, then C queues; A releases; C takes it before B
    const linux = runSchedule(program<W>({ setup: world(false), threads }), 'A B C A C C B B');
    expect(linux.violations).toEqual([]);
    expect(linux.steps[4]).toMatchObject({ thread: 2, label: 'down_write(&s) waits' });
    const strict = program<W>({ setup: world(true), threads });
    expect(() => runSchedule(strict, 'A B C A C')).toThrow(/C, which cannot run here/);
    expect(runSchedule(strict, 'A B C A B B C C').status).toBe('complete');
    // a writer arriving at a free lock with a writer queued takes it at once (optimistic spinning)
    const newcomer = runSchedule(program<W>({ setup: world(false), threads }), 'A B A C C B B');
    expect(newcomer.steps[3]).toMatchObject({ thread: 2, label: 'down_write(&s)', result: 'true' });
  });

  it('trylocks fail whenever a blocking call would wait, and never block', () => {
    const got: boolean[] = [];
    const p = program<W>({
      setup: world(),
      threads: {
        a: function* (w) {
          yield* downRead(w.s);
          yield* upRead(w.s);
        },
        w: writer,
        t: function* (w) {
          const r = yield* downReadTrylock(w.s);
          got.push(r);
          if (r) yield* upRead(w.s);
          const x = yield* downWriteTrylock(w.s);
          got.push(x);
          if (x) yield* upWrite(w.s);
        },
      },
    });
    const runs: [string, boolean[]][] = [
      ['A C C C A B B', [true, false]], // A reads: a second reader gets in, a writer does not
      ['A B C C A B B', [false, false]], // a writer is queued: neither gets in
      ['C C C C A A B B', [true, true]], // free
      ['A B A C C B B', [false, false]], // free, but a writer is queued: the fast paths fail (RWSEM_FLAG_WAITERS)
    ];
    for (const [schedule, expected] of runs) {
      got.length = 0;
      expect(runSchedule(p, schedule).violations).toEqual([]);
      expect(got).toEqual(expected);
    }
  });

  it('downgrade_write lets readers in but not writers', () => {
    const p = program<W>({
      setup: world(),
      threads: {
        d: function* (w) {
          yield* downWrite(w.s);
          yield* downgradeWrite(w.s);
          yield* upRead(w.s);
        },
        r: reader,
        w: writer,
      },
    });
    const t = runSchedule(p, 'A A B B A C C');
    expect(t.violations).toEqual([]);
    // C's down_write queues behind the downgraded reader and cannot take it
    expect(() => runSchedule(p, 'A A C C')).toThrow(/C, which cannot run here/);
  });

  it('up_read without a read lock, up_write by a reader or a non-owner: unlock-not-held', () => {
    const cases: [string, (w: W) => Steps, RegExp][] = [
      ['up_read unheld', function* (w) { yield* upRead(w.s); }, /up_read\(&s\).*not held for read/],
      ['up_write by reader', function* (w) { yield* downRead(w.s); yield* upWrite(w.s); }, /up_write\(&s\).*not held for write/],
      ['double up_write', function* (w) { yield* downWrite(w.s); yield* upWrite(w.s); yield* upWrite(w.s); }, /not held for write/],
      ['downgrade unheld', function* (w) { yield* downgradeWrite(w.s); }, /downgrade_write/],
    ];
    for (const [, body, message] of cases) {
      const t = runSerial(program<W>({ setup: world(), threads: { a: body } }));
      expect(firedChecks(t)).toContain('unlock-not-held');
      expect(t.violations.find((v) => v.check === 'unlock-not-held')!.message).toMatch(message);
    }
  });

  it('down_read and down_write may sleep: a bug under a spinlock', () => {
    for (const take of [downRead, downWrite]) {
      const p = program<W>({ setup: world(true), threads: { a: function* (w) { yield* spinLock(w.l); yield* take(w.s); yield* spinUnlock(w.l); } } });
      expect(firedChecks(runSchedule(p, 'A2'))).toEqual(['sleep-in-atomic']);
    }
  });
});

describe('rwsem strict order, restated on its state key', () => {
  // why three writers: the state the audit must see is the lock free with one writer queued and
  // another still waiting behind it, where the strict order (FIFO writers) keeps the second out;
  // an enabledAt that forgot the queue would let it in there, and the audit names it
  it('a writer waiting behind a queued one stays out while the lock is free, on the key as live', () => {
    const p = program<W>({ setup: world(true), threads: { a: writer, b: writer, c: writer }, invariants: [exclusive] });
    expect(exploreProgram(p, { limits: { auditExecutions: Number.MAX_SAFE_INTEGER } }).kind).toBe('holds');
  });

  // why: the one-step form (mm_take_all_locks' down_write_nest_lock) has its own enabledAt, and in
  // the strict order it too waits while a writer is queued, free as the lock may be
  it('the nest-lock form waits behind a queued writer too, on the key as live', () => {
    type N = W & { nest: ReturnType<typeof newMutex> };
    function* nested(w: N) {
      yield* mutexLock(w.nest);
      yield* downWriteNestLock(w.s, w.nest);
      w.writers++;
      yield* upWrite(w.s);
      w.writers--;
      yield* mutexUnlock(w.nest);
    }
    const p = program<N>({ setup: () => ({ ...world(true)(), nest: newMutex('nest') }), threads: { a: nested, b: writer, c: writer }, invariants: [exclusive] });
    expect(exploreProgram(p, { limits: { auditExecutions: Number.MAX_SAFE_INTEGER } }).kind).toBe('holds');
  });
});

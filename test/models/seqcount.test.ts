import { describe, expect, it } from 'vitest';
import {
  newSeqCounter,
  newSeqcount,
  rawReadSeqcount,
  readSeqcountBegin,
  readSeqcountRetry,
  seqCounterIncrement,
  seqCounterRead,
  writeSeqcountBegin,
  writeSeqcountEnd,
  type SeqCounter,
  type Seqcount,
} from '../../models/seqcount';
import { newPlainField, readOnce, writeOnce, type PlainField } from '../../models/plain-field';
import { exploreProgram, firedChecks, program, runSchedule, runSerial } from '../helpers/program';

interface W {
  s: Seqcount;
  c: SeqCounter;
  a: PlainField<number>;
  b: PlainField<number>;
  /** Ghost: a reader accepted a torn (a ≠ b) snapshot. */
  torn: boolean;
}
const world = (): W => ({ s: newSeqcount('seq'), c: newSeqCounter('kvm->mmu_notifier_seq'), a: newPlainField('a', 0), b: newPlainField('b', 0), torn: false });

function* writer(w: W) {
  yield* writeSeqcountBegin(w.s);
  yield* writeOnce(w.a, 1);
  yield* writeOnce(w.b, 1);
  yield* writeSeqcountEnd(w.s);
}

function* reader(w: W) {
  for (;;) {
    const start = yield* readSeqcountBegin(w.s);
    const a = yield* readOnce(w.a);
    const b = yield* readOnce(w.b);
    if (!(yield* readSeqcountRetry(w.s, start))) {
      if (a !== b) w.torn = true;
      return;
    }
  }
}

describe('seqcount', () => {
  it('a reader that does not retry never accepts a torn snapshot', () => {
    const noTear = { id: 'no-torn-read', description: '', check: (w: W) => !w.torn || 'torn read accepted' };
    expect(exploreProgram(program<W>({ setup: world, threads: { writer, reader }, invariants: [noTear] })).kind).toBe('holds');
  });

  it('read_seqcount_begin waits while a write is in progress; raw_read_seqcount does not', () => {
    const p = program<W>({ setup: world, threads: { writer, reader } });
    expect(() => runSchedule(p, 'A B')).toThrow(/B, which cannot run here/);
    const raw = program<W>({
      setup: world,
      threads: { writer, peek: function* (w) { expect([1, 0, 2]).toContain(yield* rawReadSeqcount(w.s)); } },
    });
    expect(runSchedule(raw, 'A B A A A').violations).toEqual([]);
  });

  it('the retry path: a write between begin and retry makes the reader go round again', () => {
    const p = program<W>({ setup: world, threads: { writer, reader } });
    const t = runSchedule(p, 'B B A A A A B B B B B B');
    expect(t.steps.filter((s) => s.label.startsWith('read_seqcount_retry')).map((s) => s.result)).toEqual(['true', 'false']);
  });

  it('two writers at once are a bug (their serialising lock is missing)', () => {
    const p = program<W>({ setup: world, threads: { w1: writer, w2: writer } });
    expect(firedChecks(runSchedule(p, 'A B'))).toEqual(['bug-on']);
  });

  it('a plain counter: read and increment are one step each', () => {
    const p = program<W>({
      setup: world,
      threads: { a: function* (w) { yield* seqCounterIncrement(w.c); expect(yield* seqCounterRead(w.c)).toBe(1); } },
    });
    expect(runSerial(p).steps.map((s) => s.label)).toEqual(['kvm->mmu_notifier_seq++', 'read kvm->mmu_notifier_seq']);
  });
});

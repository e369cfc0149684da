/**
 * Sequence counters, two kinds:
 * - a plain counter read and bumped under some lock (KVM's mmu_notifier_seq): `SeqCounter`;
 * - a seqcount_t whose odd values mean "write in progress": writers bracket updates with
 *   write_seqcount_begin/end (and must be serialised by their own lock), readers take a start value
 *   with read_seqcount_begin (which spins while a write is in progress) and retry when
 *   read_seqcount_retry says the sequence moved. `rawReadSeqcount` reads without waiting (an odd
 *   value is then returned as is), as raw_read_seqcount and the mmu interval notifier do.
 *
 * Happens-before: the end of a write publishes to readers whose begin sees it. Plain reads inside
 * a seqcount read section that race with a writer are reported by data-race, as KCSAN would without
 * its seqlock annotations; mark such reads READ_ONCE (readOnce in plain-field.ts).
 */
import { bugOn, hbAcquire, hbRelease, perform, type SharedObject, type Steps, type ThreadContext, threadName } from '../src/index';

/** A plain sequence number (bumped on each invalidation, compared by a retrying reader). */
export interface SeqCounter extends SharedObject {
  value: number;
}

export function newSeqCounter(name: string, initial = 0): SeqCounter {
  return { name, value: initial };
}

/** One load of the counter. */
export function* seqCounterRead(c: SeqCounter): Steps<number> {
  return yield* perform({ object: c, access: 'read', label: `read ${c.name}`, run: () => c.value });
}

/** c++ as one step (a read-modify-write under the lock that serialises writers). */
export function* seqCounterIncrement(c: SeqCounter): Steps<void> {
  yield* perform<void>({ object: c, access: 'write', label: `${c.name}++`, run: () => void c.value++ });
}

/** seqcount_t: odd while a writer is inside its write section. */
export interface Seqcount extends SharedObject {
  sequence: number;
  // invariant: writer !== null exactly when sequence is odd
  writer: ThreadContext | null;
}

/** A seqcount's stateKey: its sequence, odd while a write is in progress. */
function sequenceKey(this: Seqcount): number {
  return this.sequence;
}

export function newSeqcount(name: string): Seqcount {
  return { name, sequence: 0, writer: null, stateKey: sequenceKey };
}

/** write_seqcount_begin: sequence becomes odd. Two writers at once is a bug (their lock is missing). */
export function* writeSeqcountBegin(s: Seqcount): Steps<void> {
  yield* perform<void>({
    object: s,
    access: 'write',
    label: `write_seqcount_begin(&${s.name})`,
    run: (self) => {
      bugOn(s.writer !== null, `write_seqcount_begin(&${s.name}) by ${threadName(self)} while ${s.writer ? threadName(s.writer) : ''} is writing`);
      s.sequence++;
      s.writer = self;
    },
  });
}

/** write_seqcount_end: sequence becomes even again. */
export function* writeSeqcountEnd(s: Seqcount): Steps<void> {
  yield* perform<void>({
    object: s,
    access: 'write',
    label: `write_seqcount_end(&${s.name})`,
    run: (self) => {
      bugOn(s.writer !== self, `write_seqcount_end(&${s.name}) by ${threadName(self)}, which did not begin the write`);
      s.sequence++;
      s.writer = null;
      hbRelease(self, s);
    },
  });
}

/** read_seqcount_begin: waits (spins) while a write is in progress; returns the even start value. */
export function* readSeqcountBegin(s: Seqcount): Steps<number> {
  return yield* perform({
    object: s,
    access: 'read',
    label: `read_seqcount_begin(&${s.name})`,
    enabled: () => s.sequence % 2 === 0,
    enabledAt: (sequence) => sequence % 2 === 0,
    waitsFor: () => `${s.name} write by ${s.writer ? threadName(s.writer) : '?'} to end`,
    run: (self) => {
      hbAcquire(self, s);
      return s.sequence;
    },
  });
}

/** raw_read_seqcount: the current value without waiting (may be odd). */
export function* rawReadSeqcount(s: Seqcount): Steps<number> {
  return yield* perform({
    object: s,
    access: 'read',
    label: `raw_read_seqcount(&${s.name})`,
    run: (self) => {
      hbAcquire(self, s);
      return s.sequence;
    },
  });
}

/** read_seqcount_retry: true when the reader must retry (the sequence moved since `start`). */
export function* readSeqcountRetry(s: Seqcount, start: number): Steps<boolean> {
  return yield* perform({
    object: s,
    access: 'read',
    label: `read_seqcount_retry(&${s.name}, ${start})`,
    run: () => s.sequence !== start,
  });
}

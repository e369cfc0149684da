import { describe, expect, it } from 'vitest';
import { foundViolation } from '../helpers/detectors';
import { kfree, newMortal, type Mortal } from '../../models/kit/lifetime';
import {
  atomicAddReturn,
  atomicCmpxchg,
  atomicRead,
  atomicSet,
  newAtomic,
  newPlainField,
  peekField,
  readField,
  readOnce,
  writeField,
  writeOnce,
  type AtomicValue,
  type PlainField,
} from '../../models/plain-field';
import { firedChecks, program, runSchedule, runSerial } from '../helpers/program';

interface W {
  mn: Mortal;
  ops: PlainField<string>;
  count: AtomicValue;
}
const world = (): W => {
  const mn = newMortal('mn');
  return { mn, ops: newPlainField('mn->ops', 'kvm_mmu_notifier_ops', { container: mn }), count: newAtomic('mm->mm_users', 1, { container: mn }) };
};

describe('plain fields and atomics', () => {
  it('each access is one step on the field, with kernel labels', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          yield* writeField(w.ops, 'other');
          expect(yield* readField(w.ops)).toBe('other');
          yield* writeOnce(w.ops, 'x');
          expect(yield* readOnce(w.ops)).toBe('x');
          expect(peekField(w.ops)).toBe('x');
        },
      },
    });
    const t = runSerial(p);
    expect(t.steps.map((s) => `${s.access} ${s.object}: ${s.label}`)).toEqual([
      'write mn->ops: mn->ops = other',
      'read mn->ops: read mn->ops',
      'write mn->ops: WRITE_ONCE(mn->ops, x)',
      'read mn->ops: READ_ONCE(mn->ops)',
    ]);
  });

  it('a field of a freed object is a use after free', () => {
    const p = program<W>({ setup: world, threads: { a: function* (w) { yield* kfree(w.mn); }, b: function* (w) { yield* readField(w.ops, 'mn->ops->release') } } });
    expect(firedChecks(runSchedule(p, 'A B'))).toEqual(['use-after-free']);
    const atomic = program<W>({ setup: world, threads: { a: function* (w) { yield* kfree(w.mn); }, b: function* (w) { yield* atomicRead(w.count); } } });
    expect(firedChecks(runSchedule(atomic, 'A B'))).toEqual(['use-after-free']);
  });

  it('atomics: set, add_return, cmpxchg', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          yield* atomicSet(w.count, 2);
          expect(yield* atomicAddReturn(w.count, 1)).toBe(3);
          expect(yield* atomicAddReturn(w.count, -1)).toBe(2);
          expect(yield* atomicCmpxchg(w.count, 5, 9)).toBe(2);
          expect(yield* atomicCmpxchg(w.count, 2, 9)).toBe(2);
          expect(yield* atomicRead(w.count)).toBe(9);
        },
      },
    });
    const t = runSerial(p);
    expect(t.violations).toEqual([]);
    expect(t.steps.map((s) => s.label).slice(1, 3)).toEqual(['atomic_inc_return(&mm->mm_users)', 'atomic_dec_return(&mm->mm_users)']);
  });
});

describe('plain fields: partial-order reduction sees the container', () => {
  it('dfs finds a read of a field placed after the free of its container', () => {
    // why the reader comes first: dfs runs it first, so only a declared race can reorder the two
    const p = program<W>({ setup: world, threads: { a: function* (w) { yield* readField(w.ops); }, b: function* (w) { yield* kfree(w.mn); } } });
    expect(foundViolation(p, 'use-after-free')?.message).toMatch(/read mn->ops/);
    const atomic = program<W>({ setup: world, threads: { a: function* (w) { yield* atomicRead(w.count); }, b: function* (w) { yield* kfree(w.mn); } } });
    expect(foundViolation(atomic, 'use-after-free')).toBeDefined();
  });
});

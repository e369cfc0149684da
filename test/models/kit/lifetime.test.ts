import { describe, expect, it } from 'vitest';
import { derefStep, isFreed, kfree, kmemCacheAllocReusing, mortal, newMortal, type Mortal } from '../../../models/kit/lifetime';
import { perform } from '../../../src/runtime/op';
import { assertLive } from '../../../models/kit/lifetime';
import { firedChecks, program, runSchedule, runSerial } from '../../helpers/program';

interface W {
  obj: Mortal;
}
const world = (): W => ({ obj: newMortal('anon_vma') });

describe('lifetime', () => {
  it('mortal() mixes live lifetime fields into any object', () => {
    const page = { name: 'page', ref: 1, ...mortal() };
    expect(page).toEqual({ name: 'page', ref: 1, life: 'live', freedAt: null });
    expect(isFreed(page)).toBe(false);
  });

  it('an access before the free is fine; after it, use-after-free names the access and the free', () => {
    const p = program<W>({
      setup: world,
      threads: {
        user: function* (w) { yield* derefStep(w.obj, 'anon_vma->root'); },
        freer: function* (w) { yield* kfree(w.obj, 'anon_vma_free(anon_vma)'); },
      },
    });
    expect(runSchedule(p, 'A B').violations).toEqual([]);
    const t = runSchedule(p, 'B A');
    expect(firedChecks(t)).toEqual(['use-after-free']);
    expect(t.violations[0]).toMatchObject({
      message: expect.stringMatching(/anon_vma->root by A \(user\) at step 2 touches anon_vma, freed by B \(freer\) at step 1 in anon_vma_free\(anon_vma\)/),
      state: 'anon_vma.life = freed',
      fatal: true,
    });
  });

  it('double free names the first free', () => {
    const p = program<W>({ setup: world, threads: { a: function* (w) { yield* kfree(w.obj); }, b: function* (w) { yield* kfree(w.obj); } } });
    const t = runSchedule(p, 'A B');
    expect(firedChecks(t)).toEqual(['use-after-free']);
    expect(t.violations[0]!.message).toMatch(/double free: kfree\(anon_vma\) by B \(b\).*already freed by A \(a\) at step 1/);
  });

  it('assertLive works inside any op of a model', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          yield* kfree(w.obj);
          yield* perform<void>({ object: w.obj, access: 'write', label: 'anon_vma->degree++', run: (self) => assertLive(w.obj, self, 'anon_vma->degree++') });
        },
      },
    });
    expect(runSerial(p).violations[0]!.message).toMatch(/use-after-free: anon_vma->degree\+\+/);
  });
});

describe('kmemCacheAllocReusing', () => {
  it('hands a freed object out again with its fields reset, and leaves a live one alone', () => {
    interface O extends Mortal {
      n: number;
    }
    const got: boolean[] = [];
    let last: O | null = null;
    const p = program<{ o: O }>({
      setup: () => {
        last = { ...newMortal('obj'), n: 7 };
        return { o: last };
      },
      threads: {
        a: function* (w) {
          got.push(yield* kmemCacheAllocReusing(w.o, (o) => (o.n = 0)));
          yield* kfree(w.o);
          got.push(yield* kmemCacheAllocReusing(w.o, (o) => (o.n = 0)));
          yield* derefStep(w.o, 'obj->n');
        },
      },
    });
    expect(firedChecks(runSchedule(p, 'A4'))).toEqual([]);
    expect(got).toEqual([false, true]);
    expect(last).toMatchObject({ life: 'live', freedAt: null, n: 0 });
  });
});

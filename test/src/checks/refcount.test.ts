import { describe, expect, it } from 'vitest';
import { refcountIncrementOnZero, refcountPutOfFreed, refcountUnderflow } from '../../../src/checks/refcount';
import { KernelFault } from '../../../src/runtime/errors';
import { newRefcount, refcountGet, refcountGetUnlessZero, refcountPutAndTest, type Refcount } from '../../../models/refcount';
import type { Steps } from '../../../src/runtime/op';
import { checksFiredAnywhere } from '../../helpers/detectors';
import { fakeThreads } from '../../helpers/fake-thread';
import { keepLastWorld } from '../../helpers/last-world';
import { firedChecks, program, runSchedule } from '../../helpers/program';

function faultOf(f: () => void): KernelFault {
  try {
    f();
  } catch (e) {
    if (e instanceof KernelFault) return e;
    throw e;
  }
  throw new Error('no fault');
}

describe('refcount detector', () => {
  const { threads: [a, b] } = fakeThreads(2);
  const zeroAt = { thread: 'A (t0)', threadId: 0, step: 2, label: 'refcount_dec_and_test(&r)' };

  it('underflow names the put and where the count reached zero', () => {
    const f = faultOf(() => refcountUnderflow(b!, { name: 'r' }, 'refcount_dec_and_test(&r)', zeroAt));
    expect(f.check).toBe('refcount');
    expect(f.message).toMatch(/underflow.*by B \(t1\).*already reached 0 by A \(t0\) at step 2/);
  });

  it('increment on zero and put of a freed object', () => {
    expect(faultOf(() => refcountIncrementOnZero(b!, { name: 'r' }, 'refcount_inc(&r)', null)).message).toMatch(/addition on 0/);
    const f = faultOf(() => refcountPutOfFreed(a!, { name: 'page' }, 'put_page(page)', zeroAt));
    expect(f).toMatchObject({ check: 'refcount', state: 'page.life = freed' });
  });
});

describe('refcount detector: must not fire', () => {
  interface W {
    ref: Refcount;
    got: boolean[];
  }
  const world = (): W => ({ ref: newRefcount('obj->refcount', 1), got: [] });
  const lookup = function* (w: W): Steps {
    const ok = yield* refcountGetUnlessZero(w.ref, 'lookup');
    w.got.push(ok);
    if (ok) yield* refcountPutAndTest(w.ref, 'lookup');
  };
  const lastPut = function* (w: W): Steps {
    yield* refcountPutAndTest(w.ref);
  };

  it('get_unless_zero on a count of zero fails quietly; a plain get there is the bug', () => {
    const keep = keepLastWorld(world);
    const quiet = runSchedule(program<W>({ setup: keep.setup, threads: { owner: lastPut, lookup } }), 'A B');
    expect(quiet.violations).toEqual([]);
    expect(keep.last().got).toEqual([false]);
    expect(keep.last().ref.count).toBe(0);
    const plain = runSchedule(program<W>({ setup: world, threads: { owner: lastPut, getter: function* (w) { yield* refcountGet(w.ref); } } }), 'A B');
    expect(firedChecks(plain)).toEqual(['refcount']);
  });

  it('get_unless_zero racing the last put never reports on any schedule', () => {
    expect(checksFiredAnywhere(program<W>({ setup: world, threads: { owner: lastPut, lookup } }))).toEqual(new Set());
  });
});

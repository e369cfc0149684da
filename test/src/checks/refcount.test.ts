import { describe, expect, it } from 'vitest';
import { refcountIncrementOnZero, refcountPutOfFreed, refcountUnderflow } from '../../../src/checks/refcount';
import { KernelFault } from '../../../src/runtime/errors';
import { fakeThreads } from '../../helpers/fake-thread';

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

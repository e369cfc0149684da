import { describe, expect, it } from 'vitest';
import { assertLive, freeObject, type Mortal } from '../../../src/checks/use-after-free';
import { KernelFault } from '../../../src/runtime/errors';
import { fakeThreads } from '../../helpers/fake-thread';

const obj = (): Mortal => ({ name: 'mn', life: 'live', freedAt: null });

function faultOf(f: () => void): KernelFault {
  try {
    f();
  } catch (e) {
    if (e instanceof KernelFault) return e;
    throw e;
  }
  throw new Error('no fault');
}

describe('use-after-free detector', () => {
  it('a live object passes; the free records who freed it, when, with which call', () => {
    const { threads: [a] } = fakeThreads(1);
    const o = obj();
    assertLive(o, a!, 'mn->ops');
    a!.step = 4;
    freeObject(o, a!, 'kfree(mn)');
    expect(o).toMatchObject({ life: 'freed', freedAt: { thread: 'A (t0)', threadId: 0, step: 4, label: 'kfree(mn)' } });
  });

  it('an access after the free names both sides', () => {
    const { threads: [a, b] } = fakeThreads(2);
    const o = obj();
    a!.step = 3;
    freeObject(o, a!, 'kfree(mn)');
    b!.step = 7;
    const f = faultOf(() => assertLive(o, b!, 'mn->ops->release'));
    expect(f.check).toBe('use-after-free');
    expect(f.message).toBe('use-after-free: mn->ops->release by B (t1) at step 7 touches mn, freed by A (t0) at step 3 in kfree(mn)');
    expect(f.state).toBe('mn.life = freed');
  });

  it('a second free is a double free naming the first', () => {
    const { threads: [a, b] } = fakeThreads(2);
    const o = obj();
    freeObject(o, a!, 'kfree(mn)');
    const f = faultOf(() => freeObject(o, b!, 'kfree(mn)'));
    expect(f.message).toMatch(/^double free: kfree\(mn\) by B \(t1\).*already freed by A \(t0\)/);
  });
});

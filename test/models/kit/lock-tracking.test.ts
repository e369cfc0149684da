import { describe, expect, it } from 'vitest';
import { hold, release } from '../../../models/kit/held';
import { describeOwner, lockAcquired, lockReleased, unlockNotHeld, type LockObject } from '../../../models/kit/lock-tracking';
import { lockdepHeld } from '../../../src/checks/lockdep';
import { KernelFault } from '../../../src/runtime/errors';
import { fakeThreads } from '../../helpers/fake-thread';

const lock = (name: string, lockClass = name): LockObject => ({ name, lockClass });

describe('held resources (models/held.ts)', () => {
  it('release forgets the most recent holding of the object and says whether there was one', () => {
    const { threads: [a] } = fakeThreads(1);
    const l = lock('l');
    const m = lock('m');
    hold(a!, l, 'first', true);
    a!.step = 2;
    hold(a!, m, 'm', false);
    a!.step = 3;
    hold(a!, l, 'second', false);
    expect(release(a!, l)).toBe(true);
    expect(a!.held.map((h) => `${h.label}@${h.step}:${h.atomic}`)).toEqual(['first@1:true', 'm@2:false']);
    expect(release(a!, l)).toBe(true);
    expect(release(a!, l)).toBe(false);
    expect(a!.held.map((h) => h.label)).toEqual(['m']);
  });
});

describe('lock tracking (models/lock-tracking.ts)', () => {
  it('an acquisition is held, seen by lockdep under its class (subclass suffixed), and forgotten at release', () => {
    const { threads: [a], warnings } = fakeThreads(1);
    const p1 = lock('pte1', 'ptl');
    const p2 = lock('pte2', 'ptl');
    lockAcquired(a!, p1, 'spin_lock(&pte1)', { atomic: true });
    lockAcquired(a!, p2, 'spin_lock_nested(&pte2, 1)', { atomic: true, subclass: 1 });
    expect(a!.held.map((h) => h.label)).toEqual(['spin_lock(&pte1)', 'spin_lock_nested(&pte2, 1)']);
    expect(lockdepHeld(a!).map((h) => h.lockClass)).toEqual(['ptl', 'ptl/1']);
    expect(warnings).toEqual([]);
    lockReleased(a!, p2);
    lockReleased(a!, p1);
    expect(a!.held).toEqual([]);
    expect(lockdepHeld(a!)).toEqual([]);
  });

  it('a trylock of an ordered pair adds no edge; the blocking inverse acquisition does', () => {
    const { threads: [a, b], warnings } = fakeThreads(2);
    const x = lock('x');
    const y = lock('y');
    lockAcquired(a!, x, 'lock(x)', { atomic: false });
    lockAcquired(a!, y, 'lock(y)', { atomic: false });
    lockReleased(a!, y);
    lockReleased(a!, x);
    lockAcquired(b!, y, 'lock(y)', { atomic: false });
    lockAcquired(b!, x, 'trylock(x)', { atomic: false, trylock: true });
    expect(warnings).toEqual([]);
    lockReleased(b!, x);
    lockAcquired(b!, x, 'lock(x)', { atomic: false });
    expect(warnings.map((w) => w.check)).toEqual(['lock-order']);
  });

  it('describeOwner and unlockNotHeld say who holds what', () => {
    const { threads: [a, b] } = fakeThreads(2);
    expect(describeOwner(null)).toBe('nobody');
    expect(describeOwner(a!, a!)).toBe('A (t0) itself');
    expect(describeOwner(a!, b!)).toBe('A (t0)');
    let fault: unknown = null;
    try {
      unlockNotHeld(b!, lock('l'), 'spin_unlock(&l)', 'is held by A (t0)', 'l.owner = A');
    } catch (e) {
      fault = e;
    }
    expect(fault).toBeInstanceOf(KernelFault);
    expect(fault).toMatchObject({ check: 'unlock-not-held', state: 'l.owner = A', message: 'bad unlock balance: spin_unlock(&l) by B (t1) at step 1, but l is held by A (t0)' });
  });
});

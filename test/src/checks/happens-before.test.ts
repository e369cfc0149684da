import { describe, expect, it } from 'vitest';
import { clockOf, epochOf, happenedBefore, hbAcquire, hbAtomic, hbPublish, hbRelease, joinClock } from '../../../src/checks/happens-before';
import { fakeThreads } from '../../helpers/fake-thread';

describe('happens-before clocks', () => {
  it('a fresh thread has seen only its own first epoch', () => {
    const { threads: [a, b] } = fakeThreads(2);
    expect(epochOf(a!)).toBe(1);
    expect(happenedBefore(b!, a!.id, epochOf(a!))).toBe(false);
    expect(happenedBefore(a!, a!.id, 99)).toBe(true);
  });

  it('release then acquire on one object orders the releaser’s past before the acquirer', () => {
    const { threads: [a, b] } = fakeThreads(2);
    const before = epochOf(a!);
    hbRelease(a!, 'lock');
    expect(epochOf(a!)).toBe(before + 1);
    hbAcquire(b!, 'lock');
    expect(happenedBefore(b!, a!.id, before)).toBe(true);
    expect(happenedBefore(b!, a!.id, epochOf(a!))).toBe(false);
  });

  it('acquire on another object, or before the release, orders nothing', () => {
    const { threads: [a, b, c] } = fakeThreads(3);
    const e = epochOf(a!);
    hbAcquire(b!, 'lock');
    hbRelease(a!, 'lock');
    hbAcquire(c!, 'other');
    expect(happenedBefore(b!, a!.id, e)).toBe(false);
    expect(happenedBefore(c!, a!.id, e)).toBe(false);
  });

  it('releases join: several readers all reach the next acquirer; order is transitive', () => {
    const { threads: [a, b, c, d] } = fakeThreads(4);
    const ea = epochOf(a!);
    const eb = epochOf(b!);
    hbRelease(a!, 'sem');
    hbRelease(b!, 'sem');
    hbAcquire(c!, 'sem');
    hbAtomic(c!, 'flag');
    hbAtomic(d!, 'flag');
    expect([happenedBefore(d!, a!.id, ea), happenedBefore(d!, b!.id, eb)]).toEqual([true, true]);
  });

  it('publish does not start a new epoch; joinClock takes the maximum', () => {
    const { threads: [a] } = fakeThreads(1);
    hbPublish(a!, 'x');
    expect(epochOf(a!)).toBe(1);
    const c = [1, 5];
    joinClock(c, [3, 2, 7]);
    expect(c).toEqual([3, 5, 7]);
    expect(clockOf(a!)).toEqual([1]);
  });
});

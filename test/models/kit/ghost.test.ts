import { describe, expect, it } from 'vitest';
import { CallCounter, HolderSet, PerThreadStacks } from '../../../models/kit/ghost';

describe('ghost state', () => {
  it('HolderSet is a multiset of holders', () => {
    const h = new HolderSet();
    h.add('fault');
    h.add('fault');
    h.add('lru');
    expect(h.describe()).toBe('fault ×2, lru');
    expect(h.size).toBe(3);
    expect(h.remove('fault')).toBe(true);
    expect(h.count('fault')).toBe(1);
    expect(h.remove('gup')).toBe(false);
    h.remove('fault');
    h.remove('lru');
    expect(h.describe()).toBe('nobody');
  });

  it('PerThreadStacks keeps open brackets per thread, innermost last', () => {
    const s = new PerThreadStacks<[number, number]>();
    s.push('A', [0, 10]);
    s.push('A', [2, 4]);
    s.push('B', [5, 6]);
    expect(s.peek('A')).toEqual([2, 4]);
    expect(s.open('A')).toEqual([[0, 10], [2, 4]]);
    expect(s.pop('A')).toEqual([2, 4]);
    expect(s.pop('C')).toBeUndefined();
    expect(s.all()).toEqual([[0, 10], [5, 6]]);
  });

  it('CallCounter counts calls and calls in flight', () => {
    const c = new CallCounter();
    c.enter();
    c.enter();
    c.exit();
    expect([c.calls, c.inFlight]).toEqual([2, 1]);
  });
});

import { describe, expect, it } from 'vitest';
import {
  describePprev,
  hlistAddHeadRcu,
  hlistDelInitRcu,
  hlistDelRcu,
  hlistFirstRcu,
  hlistNextRcu,
  hlistUnhashed,
  isReachable,
  LIST_POISON2,
  newHlistHead,
  newHlistNode,
  type HlistHead,
  type HlistNode,
} from '../../models/hlist-rcu';
import { newSpinlock, spinLock, spinUnlock, type Spinlock } from '../../models/spinlock';
import type { Steps } from '../../src/runtime/op';
import { firedChecks, program, runSerial } from '../helpers/program';

interface W {
  lock: Spinlock;
  h: HlistHead;
  a: HlistNode;
  b: HlistNode;
  seen: string[];
}

function world(): W {
  const lock = newSpinlock('L');
  const h = newHlistHead('h', lock);
  return { lock, h, a: newHlistNode('a', h), b: newHlistNode('b', h), seen: [] };
}

/** Runs one thread body on a fresh world, returning its trace and the world it left. */
function runOne(body: (w: W) => Steps) {
  let last: W | null = null;
  const trace = runSerial(program<W>({ setup: () => (last = world()), threads: { a: body } }));
  return { trace, w: last! };
}

function* locked(w: W, inner: Steps) {
  yield* spinLock(w.lock);
  yield* inner;
  yield* spinUnlock(w.lock);
}

describe('hlist with RCU variants', () => {
  it('add_head_rcu links at the head and fixes the old first node pprev', () => {
    const { w } = runOne(function* (w) {
      yield* locked(w, hlistAddHeadRcu(w.a, w.h));
      yield* locked(w, hlistAddHeadRcu(w.b, w.h));
    });
    expect(w.h.first).toBe(w.b);
    expect(w.b.next).toBe(w.a);
    expect(describePprev(w.b.pprev)).toBe('&h.first');
    expect(describePprev(w.a.pprev)).toBe('&b.next');
  });

  it('del_rcu unlinks, keeps next for readers, and poisons pprev; the node still reads as hashed', () => {
    const { w } = runOne(function* (w) {
      yield* locked(w, hlistAddHeadRcu(w.a, w.h));
      yield* locked(w, hlistAddHeadRcu(w.b, w.h));
      yield* locked(w, hlistDelRcu(w.b));
      w.seen.push(String(yield* hlistUnhashed(w.b)));
      const after = yield* hlistNextRcu(w.b);
      w.seen.push(after?.name ?? 'NULL');
    });
    expect(w.h.first).toBe(w.a);
    expect(w.a.pprev).toBe(w.h);
    expect(w.b.pprev).toBe(LIST_POISON2);
    expect(w.seen).toEqual(['false', 'a']);
  });

  it('deleting a poisoned node again dereferences LIST_POISON2: oops', () => {
    const { trace } = runOne(function* (w) {
      yield* locked(w, hlistAddHeadRcu(w.a, w.h));
      yield* locked(w, hlistDelRcu(w.a));
      yield* locked(w, hlistDelRcu(w.a));
    });
    expect(firedChecks(trace)).toEqual(['oops']);
    expect(trace.violations[0]!.state).toBe('a.pprev = LIST_POISON2');
  });

  it('del_init_rcu on a poisoned node also faults: it only tests for NULL', () => {
    const { trace } = runOne(function* (w) {
      yield* locked(w, hlistAddHeadRcu(w.a, w.h));
      yield* locked(w, hlistDelRcu(w.a));
      yield* locked(w, hlistDelInitRcu(w.a));
    });
    expect(firedChecks(trace)).toEqual(['oops']);
  });

  it('del_rcu of an unhashed node writes through NULL: oops', () => {
    const { trace } = runOne(function* (w) {
      yield* locked(w, hlistDelRcu(w.a));
    });
    expect(firedChecks(trace)).toEqual(['oops']);
    expect(trace.violations[0]!.message).toMatch(/NULL pointer dereference/);
  });

  it('del_init_rcu leaves the node unhashed and is a no-op the second time', () => {
    const { trace, w } = runOne(function* (w) {
      yield* locked(w, hlistAddHeadRcu(w.a, w.h));
      yield* locked(w, hlistAddHeadRcu(w.b, w.h));
      yield* locked(w, hlistDelInitRcu(w.a));
      yield* locked(w, hlistDelInitRcu(w.a));
      w.seen.push(String(yield* hlistUnhashed(w.a)));
    });
    expect(trace.violations).toEqual([]);
    expect(w.a.pprev).toBeNull();
    expect(w.b.next).toBeNull();
    expect(isReachable(w.h, w.a)).toBe(false);
    expect(w.seen).toEqual(['true']);
  });

  it('an RCU walk is one step per pointer load', () => {
    const { trace, w } = runOne(function* (w) {
      yield* locked(w, hlistAddHeadRcu(w.a, w.h));
      yield* locked(w, hlistAddHeadRcu(w.b, w.h));
      for (let n = yield* hlistFirstRcu(w.h); n; n = yield* hlistNextRcu(n)) w.seen.push(n.name);
    });
    expect(w.seen).toEqual(['b', 'a']);
    expect(trace.steps.slice(-3).map((s) => s.result)).toEqual(['b', 'a', 'NULL']);
  });

  it('a writer without the list lock trips lockdep_assert_held', () => {
    const { trace } = runOne(function* (w) {
      yield* hlistAddHeadRcu(w.a, w.h);
    });
    expect(firedChecks(trace)).toEqual(['bug-on']);
    expect(trace.violations[0]!.message).toMatch(/lockdep_assert_held\(&L\)/);
  });
});

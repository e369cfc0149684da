import { describe, expect, it } from 'vitest';
import { hlistFirstRcu, hlistNextRcu } from '../../models/hlist-rcu';
import { callRelease, newMmuNotifierMm, notifierOf, registeredNotifier, type MmuNotifier, type MmuNotifierMm } from '../../models/mmu-notifier';
import { program, runSchedule, runSerial } from '../helpers/program';

interface W {
  mm: MmuNotifierMm;
  mn: MmuNotifier;
  mn2: MmuNotifier;
  inside: number[];
}

function world(): W {
  const mm = newMmuNotifierMm('mm');
  return { mm, mn: registeredNotifier(mm, 'mn'), mn2: registeredNotifier(mm, 'mn2'), inside: [] };
}

describe('mmu notifier list', () => {
  it('registration at setup links notifiers at the head, newest first, and container_of finds them', () => {
    let w: W | null = null;
    const names: string[] = [];
    runSerial(
      program<W>({
        setup: () => {
          names.length = 0; // runSerial runs the program twice: once to choose, once to record
          return (w = world());
        },
        threads: {
          walk: function* (w) {
            for (let n = yield* hlistFirstRcu(w.mm.list); n; n = yield* hlistNextRcu(n)) names.push(notifierOf(w.mm, n).name);
          },
        },
      }),
    );
    expect(names).toEqual(['mn2', 'mn']);
    expect(w!.mn.hlist.pprev).toBe(w!.mn2.hlist);
  });

  it('->release counts its calls and is visible while in flight', () => {
    let w: W | null = null;
    const p = program<W>({
      setup: () => (w = world()),
      threads: {
        a: function* (w) {
          yield* callRelease(w.mn);
        },
        b: function* (w) {
          yield* callRelease(w.mn);
          w.inside.push(w.mn.inRelease);
        },
      },
    });
    runSchedule(p, 'A B2 A');
    expect(w!.mn.releaseCalls).toBe(2);
    expect(w!.inside).toEqual([1]); // B returned while A was still inside
    expect(w!.mn.inRelease).toBe(0);
  });

  it('container_of on a node that is not a notifier is a scenario bug, not a kernel fault', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          notifierOf(newMmuNotifierMm('other'), w.mn.hlist);
          yield* callRelease(w.mn);
        },
      },
    });
    expect(() => runSerial(p)).toThrow(/threw after step 0: mn->hlist is not the hlist of a notifier/);
  });
});

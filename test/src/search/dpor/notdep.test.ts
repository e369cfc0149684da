/**
 * NotdepView answers the sleep-set check on v = notdep(at, E).j without building v. The oracle
 * here builds v from its definition (the events after `at` that do not happen after it, then j)
 * as a Sequence and asks Sequence.weakInitial, on random executions of random accesses.
 */
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { COMMUTE_GROUPS, EXCLUSIVE, READS } from '../../../../src/search/dpor/dependency';
import { EventLog } from '../../../../src/search/dpor/event-log';
import { NotdepView } from '../../../../src/search/dpor/notdep';
import { Sequence } from '../../../../src/search/dpor/wakeup-tree';

interface Access {
  readonly obj: number;
  readonly group: number;
}

const EXECUTIONS = 3_000;

function randomAccesses(rng: () => number, objects: number): Access[] {
  const n = rng() < 0.8 ? 1 : 2;
  // why mostly reads and exclusives: the RCU group only adds a third way to commute
  const group = (): number => (rng() < 0.45 ? READS : rng() < 0.9 ? EXCLUSIVE : COMMUTE_GROUPS - 1);
  return Array.from({ length: n }, () => ({ obj: Math.floor(rng() * objects), group: group() }));
}

function record(log: EventLog, i: number, thread: number, accesses: readonly Access[]): void {
  log.beginEvent(i, thread, false);
  for (const a of accesses) log.addAccess(i, a.obj, a.group);
  log.computeClockAndRaces(i);
}

/** v by its definition; returns the event index of each position too. */
function definitionOfV(log: EventLog, at: number, j: number, end: number): { v: Sequence; events: number[] } {
  const v = new Sequence();
  const events: number[] = [];
  const push = (m: number): void => {
    v.push(log.thread[m]!);
    for (let a = log.accStart[m]!; a < log.accEnd[m]!; a++) v.access(log.accObj[a]!, log.accGroup[a]!);
    events.push(m);
  };
  for (let m = at + 1; m < end; m++) if (m !== j && !log.happensBefore(at, m)) push(m);
  push(j);
  return { v, events };
}

describe('NotdepView.weakInitial', () => {
  it('agrees with Sequence.weakInitial on v built from its definition', () => {
    const rng = seedrandom('weft-notdep-1');
    let compared = 0;
    const outcomes = new Set<string>();
    for (let e = 0; e < EXECUTIONS; e++) {
      const threads = 2 + Math.floor(rng() * 4);
      const objects = 1 + Math.floor(rng() * 4);
      const length = 3 + Math.floor(rng() * 14);
      const log = new EventLog(threads);
      log.beginExecution();
      for (let i = 0; i < length; i++) {
        record(log, i, Math.floor(rng() * threads), randomAccesses(rng, objects));
        log.commit(i);
      }
      // a pending op at index `length` half of the time, as dfs races the ops left at the end
      const pending = rng() < 0.5;
      if (pending) record(log, length, Math.floor(rng() * threads), randomAccesses(rng, objects));
      const end = length;
      const last = pending ? length : length - 1;
      for (let at = 0; at < last; at++) {
        for (let j = at + 1; j <= last; j++) {
          // the view is asked only about races: j of another thread, happening after `at`
          if (log.thread[j] === log.thread[at] || !log.happensBefore(at, j)) continue;
          const view = new NotdepView();
          view.select(log, at, j, end);
          const { v, events } = definitionOfV(log, at, j, end);
          for (let s = 0; s < threads; s++) {
            const probe = randomAccesses(rng, objects);
            const objs = Int32Array.from(probe.map((p) => p.obj));
            const groups = Int32Array.from(probe.map((p) => p.group));
            const fromSeq = v.weakInitial(s, objs, groups, 0, probe.length);
            const expected = fromSeq >= 0 ? events[fromSeq]! : fromSeq;
            const got = view.weakInitial(s, objs, groups, 0, probe.length);
            if (got !== expected) {
              throw new Error(`execution ${e}, at ${at}, j ${j}, thread ${s}: view ${got}, definition ${expected}`);
            }
            outcomes.add(expected === -2 ? 'not' : expected === -1 ? 'absent' : expected === j ? 'j' : 'first');
            compared++;
          }
        }
      }
    }
    // every kind of answer was exercised, on many questions
    expect([...outcomes].sort()).toEqual(['absent', 'first', 'j', 'not']);
    expect(compared).toBeGreaterThan(50_000);
  });
});

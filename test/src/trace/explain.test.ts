import { applyPatches, enablePatches } from 'immer';
import { describe, expect, it } from 'vitest';
import s1 from '../../../scenarios/mmu-notifier-unregister-release';
import { formatPatch, WorldDiffer, type StatePatch } from '../../../src/trace/explain';
import { renderChanges } from '../../../src/report/table';
import { decodeSchedule } from '../../../src/trace/schedule-token';
import { recordTrace } from '../../../src/trace/trace';

interface Node {
  name: string;
  next: Node | null;
  prev: Node | null;
  count: number;
}

function cyclicWorld() {
  const a: Node = { name: 'a', next: null, prev: null, count: 0 };
  const b: Node = { name: 'b', next: null, prev: a, count: 0 };
  a.next = b;
  b.next = a; // a cycle
  const owners = new Map<string, Node>([['lock', a]]);
  return { a, b, owners, list: [a, b], flag: false };
}

describe('explain: per-step changes as immer-style patches', () => {
  it('handles cycles and Maps, and reports only what changed, with references by name', () => {
    const w = cyclicWorld();
    const d = new WorldDiffer(w);
    expect(d.changes()).toEqual([]);
    w.a.count = 2;
    w.b.next = null;
    w.owners.set('other', w.b);
    w.owners.delete('lock');
    w.flag = true;
    const patches = d.changes();
    expect(patches.map(formatPatch).sort()).toEqual(
      ['a.count = 2', 'b.next = NULL', 'flag = true', 'owners.other = → b', '- owners.lock'].sort(),
    );
    expect(patches.find((p) => p.op === 'replace' && p.path.join('.') === 'b.next')).toEqual({ op: 'replace', path: ['b', 'next'], value: null });
  });

  it('a relinked object shows as a changed pointer, not as the object moving', () => {
    const w = cyclicWorld();
    const d = new WorldDiffer(w);
    w.b.prev = w.b;
    expect(d.changes().map(formatPatch)).toEqual(['b.prev = → b']);
    w.b.prev = null;
    expect(d.changes().map(formatPatch)).toEqual(['b.prev = NULL']);
  });

  it('a pointer that goes from NULL to an object and back shows its fields, then the NULL', () => {
    const w: { slot: { who: string; step: number } | null } = { slot: null };
    const d = new WorldDiffer(w);
    w.slot = { who: 'A', step: 3 };
    expect(d.changes().map(formatPatch)).toEqual(['slot.who = A', 'slot.step = 3']);
    w.slot = null;
    expect(d.changes().map(formatPatch)).toEqual(['slot = NULL']);
  });

  it('its primitive patches apply with immer to a plain copy of the world', () => {
    enablePatches();
    const w = { counters: { x: 1, y: 2 }, items: [1, 2] };
    const d = new WorldDiffer(w);
    w.counters.x = 5;
    w.items.push(3);
    const patches: StatePatch[] = d.changes();
    const copy = applyPatches({ counters: { x: 1, y: 2 }, items: [1, 2] }, patches.map((p) => ({ ...p, path: [...p.path] })));
    expect(copy).toEqual(w);
  });

  it('S1: the step that unlinks mn shows mn.hlist.pprev = NULL; without explain nothing is recorded', () => {
    const schedule = decodeSchedule('AB12A6');
    const plain = recordTrace(s1, 'buggy', s1.variants.buggy!, s1.params, schedule, { focus: 'oops' });
    expect(plain.steps.every((s) => s.changes === null)).toBe(true);
    const t = recordTrace(s1, 'buggy', s1.variants.buggy!, s1.params, schedule, { focus: 'oops', explain: true });
    const unlink = t.steps.find((s) => s.label === 'hlist_del_init_rcu(&mn->hlist)')!;
    expect(unlink.changes!.map(formatPatch)).toContain('mn.hlist.pprev = NULL');
    const release = t.steps.filter((s) => s.label === 'mn->ops->release()');
    expect(release.map((s) => s.changes!.map(formatPatch))).toEqual([
      ['mn.releaseCalls = 1', 'mn.inRelease = 1'],
      ['mn.releaseCalls = 2', 'mn.inRelease = 1'],
    ]);
    expect(renderChanges(t)).toMatch(/t10 B hlist_del_init_rcu\(&mn->hlist\):\n(.*\n)*\s+mn\.hlist\.pprev = NULL/);
    // Recording with changes does not alter the trace itself.
    expect(t.steps.map((s) => s.label)).toEqual(plain.steps.map((s) => s.label));
  });
});

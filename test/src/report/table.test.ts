import { describe, expect, it } from 'vitest';
import s1 from '../../../scenarios/mmu-notifier-unregister-release';
import { renderTable, renderViolations } from '../../../src/report/table';
import { decodeSchedule } from '../../../src/trace/schedule-token';
import { recordTrace } from '../../../src/trace/trace';

const buggy = s1.variants.buggy!;
const record = (schedule: string, focus: 'oops' | 'release-at-most-once') =>
  recordTrace(s1, 'buggy', buggy, s1.params, decodeSchedule(schedule), { focus });

describe('the printed trace table', () => {
  it("S1's minimized trace reads like 751efd8610's table: A tests, B unlinks, A's hlist_del_rcu oopses", () => {
    const t = record('AB12A6', 'oops');
    expect(renderTable(t)).toMatchInlineSnapshot(`
      " t │ A unregister                               │ B release
      ───┼────────────────────────────────────────────┼────────────────────────────────────────────────────────
       1 │ hlist_unhashed(&mn->hlist) → false         │
       2 │                                            │ srcu_read_lock(&srcu) → 1
       3 │                                            │ hlist_first_rcu(&mm->mmu_notifier_mm->list) → mn->hlist
       4 │                                            │ mn->ops->release()
       5 │                                            │ mn->ops->release() returns
       6 │                                            │ hlist_next_rcu(&mn->hlist) → NULL
       7 │                                            │ srcu_read_unlock(&srcu)
       8 │                                            │ spin_lock(&mm->mmu_notifier_mm->lock)
       9 │                                            │ hlist_first_rcu(&mm->mmu_notifier_mm->list) → mn->hlist
      10 │                                            │ hlist_del_init_rcu(&mn->hlist)
      11 │                                            │ hlist_first_rcu(&mm->mmu_notifier_mm->list) → NULL
      12 │                                            │ spin_unlock(&mm->mmu_notifier_mm->lock)
      13 │                                            │ synchronize_srcu(&srcu)
      14 │ srcu_read_lock(&srcu) → 2                  │
      15 │ mn->ops->release()  ✗ release-at-most-once │
      16 │ mn->ops->release() returns                 │
      17 │ srcu_read_unlock(&srcu)                    │
      18 │ spin_lock(&mm->mmu_notifier_mm->lock)      │
      19 │ hlist_del_rcu(&mn->hlist)  ✗ oops ◀        │"
    `);
    const under = renderViolations(t).split('\n');
    expect(under[0]).toMatch(/^✗ oops at t19 in A \(unregister\): /);
    expect(under[1]).toBe('    state: mn->hlist.pprev = NULL');
  });

  it('shows a blocked thread in its own column with what it waits for', () => {
    const t = record('A5B12A2', 'oops');
    const row13 = renderTable(t).split('\n').find((l) => /^13 │/.test(l))!;
    expect(row13).toMatch(/^13 │ \(waits for mm->mmu_notifier_mm->lock held by B \(release\)\) +│ hlist_first_rcu/);
  });

  it('leaves out the steps after the violation the trace is about, and says so', () => {
    const t = record('A5B12A2', 'release-at-most-once');
    const lines = renderTable(t).split('\n');
    expect(lines.at(-2)).toMatch(/^8 │ +│ mn->ops->release\(\)  ✗ release-at-most-once ◀$/);
    expect(lines.at(-1)).toBe('(11 later steps left out: B, A running on after the violation)');
    // The oops at t19 lies in the steps left out, so it is not listed under the table.
    expect(renderViolations(t)).not.toMatch(/oops/);
  });
});

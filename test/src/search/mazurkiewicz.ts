/** The oracle for split searches: plain enumeration, and the Mazurkiewicz classes among its runs. */
import { dependent, observedBy } from '../../../src/search/dpor/dependency';
import { ExhaustiveStrategy } from '../../../src/search/strategies/exhaustive';
import { ExecutionRunner } from '../../../src/runtime/execution';
import type { Op } from '../../../src/runtime/op';
import type { Scenario } from '../../../src/runtime/scenario';

/** Every schedule plain enumeration runs, and the number of Mazurkiewicz classes among them. */
export function enumerate(p: Scenario, variant = 'main'): { schedules: string[]; classes: number } {
  const runner = new ExecutionRunner(p, p.variants[variant]!, p.params);
  // invariants read the world after every step, so dfs orders the steps that change what they read
  const observed = observedBy(p.variants[variant]!.invariants);
  const strategy = new ExhaustiveStrategy();
  const classes = new Set<string>();
  const schedules: string[] = [];
  let events: { id: string; op: Op; thread: number }[] = [];
  const perThread: number[] = [];
  const scheduler = {
    choose: strategy.choose.bind(strategy),
    observe: (_s: number, thread: number, op: Op) => {
      perThread[thread] = (perThread[thread] ?? 0) + 1;
      events.push({ id: `${thread}.${perThread[thread]}`, op, thread });
    },
  };
  while (strategy.beginExecution()) {
    events = [];
    perThread.length = 0;
    const outcome = runner.run(scheduler);
    strategy.endExecution(outcome);
    schedules.push(outcome.schedule.join(''));
    const order: string[] = [];
    for (let i = 0; i < events.length; i++) {
      for (let j = i + 1; j < events.length; j++) {
        const a = events[i]!;
        const b = events[j]!;
        if (a.thread !== b.thread && dependent(a.op, b.op, observed)) order.push(`${a.id}<${b.id}`);
      }
    }
    classes.add(`${events.map((e) => e.id).sort().join(',')}|${order.sort().join(',')}`);
  }
  return { schedules, classes: classes.size };
}

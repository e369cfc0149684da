/** Small programs for the sampling strategies' tests. */
import type { Strategy } from '../../../src/search/strategy';
import { ExecutionRunner } from '../../../src/runtime/execution';
import type { SharedObject } from '../../../src/runtime/op';
import { defineScenario, type Scenario } from '../../../src/runtime/scenario';

interface World {
  readonly x: SharedObject & { value: number };
  readonly pad: SharedObject[];
  seen: number | null;
}

/** A sets x to 1 then 2 around padding; B reads x once. The bug is B reading 1 (depth 2). */
export function depthTwo(pad: number): Scenario {
  return defineScenario<World>({
    id: 'depth-two',
    title: 'a depth-2 ordering bug',
    commits: [],
    setup: () => ({ x: { name: 'x', value: 0 }, pad: Array.from({ length: 2 }, (_, i) => ({ name: `pad${i}` })), seen: null }),
    variants: {
      main: {
        summary: 'test',
        invariants: [{ id: 'never-one', description: 'B never sees the middle value', check: (w) => (w.seen === 1 ? 'B read x = 1' : true) }],
        threads: {
          a: function* (w) {
            for (let i = 0; i < pad; i++) yield { object: w.pad[0]!, access: 'write', label: 'pad', run: () => undefined };
            yield { object: w.x, access: 'write', label: 'x = 1', run: () => void (w.x.value = 1) };
            for (let i = 0; i < pad; i++) yield { object: w.pad[0]!, access: 'write', label: 'pad', run: () => undefined };
            yield { object: w.x, access: 'write', label: 'x = 2', run: () => void (w.x.value = 2) };
          },
          b: function* (w) {
            for (let i = 0; i < pad; i++) yield { object: w.pad[1]!, access: 'write', label: 'pad', run: () => undefined };
            yield { object: w.x, access: 'read', label: 'read x', run: () => void (w.seen = w.x.value) };
          },
        },
      },
    },
  });
}

/** Every schedule a strategy runs, in order. */
export function schedulesOf(p: Scenario, strategy: Strategy): number[][] {
  const runner = new ExecutionRunner(p, p.variants.main!, p.params);
  const out: number[][] = [];
  while (strategy.beginExecution()) {
    const outcome = runner.run(strategy);
    strategy.endExecution(outcome);
    out.push(outcome.schedule.slice());
  }
  return out;
}

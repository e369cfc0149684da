/** Small programs for the sampling strategies' tests. */
import type { Strategy } from '../../../src/search/strategy';
import { ExecutionRunner } from '../../../src/runtime/execution';
import type { SharedObject, Steps } from '../../../src/runtime/op';
import { defineScenario, type Scenario } from '../../../src/runtime/scenario';

// why the reads also write B's pad: they record what B saw in the world's ghost fields, which the
// invariants read, so each must change something the (whole-world) observer orders
interface World {
  readonly x: SharedObject & { value: number };
  readonly pad: SharedObject[];
  seen: number | null;
}

/** Thread A of both depth programs: x = 1, then x = 2, each after `pad` steps on an object of its own. */
function* writesOneThenTwo(w: World, pad: number): Steps<void> {
  for (let i = 0; i < pad; i++) yield { object: w.pad[0]!, access: 'write', label: 'pad', run: () => undefined };
  yield { object: w.x, access: 'write', label: 'x = 1', run: () => void (w.x.value = 1) };
  for (let i = 0; i < pad; i++) yield { object: w.pad[0]!, access: 'write', label: 'pad', run: () => undefined };
  yield { object: w.x, access: 'write', label: 'x = 2', run: () => void (w.x.value = 2) };
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
          a: (w) => writesOneThenTwo(w, pad),
          b: function* (w) {
            for (let i = 0; i < pad; i++) yield { object: w.pad[1]!, access: 'write', label: 'pad', run: () => undefined };
            yield { object: w.x, access: 'read', label: 'read x', alsoTouches: [{ object: w.pad[1]!, access: 'write' }], run: () => void (w.seen = w.x.value) };
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

/** Two threads of `steps` writes each to objects of their own: no bug, only schedules to look at. */
export function twoWriters(steps: number): Scenario {
  return defineScenario<{ a: SharedObject; b: SharedObject }>({
    id: 'two-writers',
    title: 'two threads that never block',
    commits: [],
    setup: () => ({ a: { name: 'a' }, b: { name: 'b' } }),
    variants: {
      main: {
        summary: 'test',
        threads: {
          a: function* (w) {
            for (let i = 0; i < steps; i++) yield { object: w.a, access: 'write', label: 'a', run: () => undefined };
          },
          b: function* (w) {
            for (let i = 0; i < steps; i++) yield { object: w.b, access: 'write', label: 'b', run: () => undefined };
          },
        },
      },
    },
  });
}

/**
 * A depth-3 bug: A writes x = 1 then x = 2 around padding, B reads x twice around padding; the
 * bug is B seeing 1 then 2 (two ordering constraints: A's first write before B's first read,
 * B's first read before A's second write, and that before B's second read).
 */
export function depthThree(pad: number): Scenario {
  return defineScenario<World & { second: number | null }>({
    id: 'depth-three',
    title: 'a depth-3 ordering bug',
    commits: [],
    setup: () => ({ x: { name: 'x', value: 0 }, pad: Array.from({ length: 2 }, (_, i) => ({ name: `pad${i}` })), seen: null, second: null }),
    variants: {
      main: {
        summary: 'test',
        invariants: [
          { id: 'never-one-two', description: 'B never sees 1 then 2', check: (w) => (w.seen === 1 && w.second === 2 ? 'B read 1 then 2' : true) },
        ],
        threads: {
          a: (w) => writesOneThenTwo(w, pad),
          b: function* (w) {
            for (let i = 0; i < pad; i++) yield { object: w.pad[1]!, access: 'write', label: 'pad', run: () => undefined };
            yield { object: w.x, access: 'read', label: 'read x', alsoTouches: [{ object: w.pad[1]!, access: 'write' }], run: () => void (w.seen = w.x.value) };
            for (let i = 0; i < pad; i++) yield { object: w.pad[1]!, access: 'write', label: 'pad', run: () => undefined };
            yield { object: w.x, access: 'read', label: 'read x again', alsoTouches: [{ object: w.pad[1]!, access: 'write' }], run: () => void (w.second = w.x.value) };
          },
        },
      },
    },
  });
}

/**
 * A nondeterministic choice inside a thread: `const v = yield* choose(3)` is one step whose result
 * is 0, 1 or 2, and the search explores every value as it explores every interleaving (dfs,
 * exhaustive and bounded run each value from the same state; random and pct draw it from the
 * execution's seed). The values ride in the replay token (`~B=1`), so a replay makes the same
 * choices, and the trace row reads `choose(3) → 1`.
 *
 * The step touches one object that nothing writes, so it commutes with every other thread's steps
 * and costs the reduction nothing; what the choice changes is the choosing thread's own course.
 * A split search (`--jobs`, `--shard`) that would fix a choice inside the prefix it divides on
 * says so and asks for a whole search instead.
 */
import { perform, type Op, type SharedObject, type Steps } from '../src/index';

/** What every choose() step names: read-only, so choices never order anything. */
const CHOICE: SharedObject = { name: '(choice)' };

// why cached per n: a thread that chooses in a loop announces the same op every time
const ops = new Map<number, Op<number>>();

function chooseOp(n: number, label: string | undefined): Op<number> {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`choose(${n}): n must be a whole number ≥ 1`);
  if (label !== undefined) return { object: CHOICE, access: 'read', label, choices: n, run: () => 0 };
  let op = ops.get(n);
  if (op === undefined) ops.set(n, (op = { object: CHOICE, access: 'read', label: `choose(${n})`, choices: n, run: () => 0 }));
  return op;
}

/** One of 0 … n − 1, every one explored. `label` names the step in traces (default `choose(n)`). */
export function* choose(n: number, label?: string): Steps<number> {
  return yield* perform(chooseOp(n, label));
}

/** One of `options`, every one explored: `yield* chooseFrom(['read', 'write'])`. */
export function* chooseFrom<T>(options: readonly T[], label?: string): Steps<T> {
  const i = yield* choose(options.length, label ?? `choose one of ${options.map(String).join(', ')}`);
  return options[i]!;
}

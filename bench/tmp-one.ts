import { ExecutionRunner } from '../src/runtime/execution';
import { DfsStrategy } from '../src/search/strategies/dfs';
import { observedBy } from '../src/search/dpor/dependency';
import { scenarios } from '../scenarios/index';
const [id, v] = process.argv.slice(2);
const s = scenarios.map((e) => e.scenario).find((x) => x.id === id)!;
const variant = s.variants[v!]!;
const runner = new ExecutionRunner(s, variant, s.params);
const dfs = new DfsStrategy();
dfs.prepare({ threads: runner.threadCount, invariants: variant.invariants?.length ?? 0, observed: observedBy(variant.invariants) });
let counted = 0, ab = 0;
while (dfs.beginExecution()) { const o = runner.run(dfs); if (dfs.endExecution(o) === 'redundant' || o.status === 'abandoned') ab++; else counted++; }
console.log(counted, ab);

/** Helpers for detector tests: explore a tiny program looking for one check. */
import type { Violation } from '../../src/runtime/check';
import type { CheckId } from '../../src/runtime/check-id';
import { DfsStrategy } from '../../src/search/strategies/dfs';
import { DEFAULT_LIMITS, explore } from '../../src/search/explorer';
import type { Verdict } from '../../src/search/verdict';
import { ExecutionRunner } from '../../src/runtime/execution';
import type { Scenario } from '../../src/runtime/scenario';

/** Explores every schedule (dfs) until one violates `check`; the verdict says whether one did. */
export function searchFor(p: Scenario, check: CheckId): Verdict {
  return explore({
    scenario: p,
    variant: p.variants.main!,
    params: p.params,
    strategy: new DfsStrategy(),
    limits: { ...DEFAULT_LIMITS, executionsMax: 100_000 },
    target: { violated: check },
  });
}

/** The violation of `check` that the search found, or undefined. */
export function foundViolation(p: Scenario, check: CheckId): Violation | undefined {
  const v = searchFor(p, check);
  return v.kind === 'violated' ? v.violations.find((x) => x.check === check) : undefined;
}

/** Every check id that fired in any schedule (the whole dfs), for "must not fire" tests. */
export function checksFiredAnywhere(p: Scenario): Set<string> {
  const fired = new Set<string>();
  const strategy = new DfsStrategy();
  // why a loop of our own: explore() stops at the first violation, and these tests want them all
  const runner = new ExecutionRunner(p, p.variants.main!, p.params);
  while (strategy.beginExecution()) {
    const outcome = runner.run(strategy);
    for (const v of outcome.violations) fired.add(v.check);
    strategy.endExecution(outcome);
  }
  return fired;
}

import { DEFAULT_AUDIT_EXECUTIONS, ExecutionRunner, type LimitHit, type RuntimeLimits } from '../runtime/execution';
import type { Expectation, Params, Scenario, Variant } from '../runtime/scenario';
import { observedBy } from './dpor/dependency';
import { strategyDescriptor } from './strategies';
import type { Strategy } from './strategy';
import { addsFinding, type Finding, type Stats, type Verdict } from './verdict';

export interface SearchLimits extends RuntimeLimits {
  /** Stop after this many executions; the verdict is then `incomplete` unless a violation was found. */
  readonly executionsMax: number;
  /** Stop after this much wall time, ms; reported like the execution bound. */
  readonly timeMsMax: number;
}

export const DEFAULT_LIMITS: SearchLimits = {
  executionsMax: 1_000_000,
  stepsPerThreadMax: 1000,
  timeMsMax: 10 * 60 * 1000,
};

export interface ExploreRequest {
  readonly scenario: Scenario;
  readonly variant: Variant<object>;
  readonly params: Params;
  readonly strategy: Strategy;
  readonly limits: SearchLimits;
  /**
   * What to look for. With `{ violated: X }` the search goes on past executions that violate only
   * other checks until one violates X; if it ends without X, the verdict is what the others make of
   * it: `violated` by them when every schedule was explored, `incomplete` (listing them) when a
   * bound cut it. Otherwise it stops at the first violation.
   */
  readonly target?: Expectation;
  /** Where to note progress for another thread (a progress line, a watchdog); absent: nowhere. */
  readonly meter?: MeterLane;
}

/** One exploring thread's share of a search's shared progress record (distribute/meter.ts). */
export interface MeterLane {
  /** [0] executions run to their end, [1] steps (abandoned executions' included): written here, read elsewhere. */
  readonly counts: Float64Array;
  /** Where the runner notes where it is (WATCH in runtime/execution.ts). */
  readonly watch: Int32Array;
}

/**
 * The limits with the audit in force: unless they say how many (`--audit`: all; 0: none, for tests
 * of the reduction itself that under-declare on purpose), the first DEFAULT_AUDIT_EXECUTIONS
 * executions of every search are audit executions, whoever starts it (the CLI, `checkVariant`,
 * `explore`, a worker's share of a split search, the minimizer).
 */
export function withAudit<L extends RuntimeLimits>(limits: L): L {
  return limits.auditExecutions === undefined ? { ...limits, auditExecutions: DEFAULT_AUDIT_EXECUTIONS } : limits;
}

/** Drives strategy and runtime until the strategy is done, a bound is hit, or the target is found. */
export function explore(req: ExploreRequest): Verdict {
  const runner = new ExecutionRunner(req.scenario, req.variant, req.params, withAudit(req.limits), req.meter?.watch ?? null);
  const counts = req.meter?.counts ?? null;
  const { strategy, limits } = req;
  const stats: Stats = { executions: 0, executionsAbandoned: 0, steps: 0, executionsViolated: 0, executionsCut: 0, timeMs: 0 };
  const wanted = req.target !== undefined && req.target !== 'holds' ? req.target.violated : null;
  const cuts: LimitHit[] = [];
  const others: Finding[] = [];
  const started = performance.now();
  const invariants = req.variant.invariants;
  strategy.prepare?.({ threads: runner.threadCount, invariants: invariants?.length ?? 0, observed: observedBy(invariants) });

  const violated = (v: Finding): Verdict => {
    stats.timeMs = performance.now() - started;
    return { kind: 'violated', strategy: strategy.id, violations: v.violations, schedule: v.schedule, stats };
  };

  while (strategy.beginExecution()) {
    if (stats.executions >= limits.executionsMax) {
      cuts.push({
        limit: 'executions',
        flag: '--max-executions',
        value: limits.executionsMax,
        detail: `stopped after ${limits.executionsMax} executions with schedules left to explore`,
      });
      break;
    }
    if (performance.now() - started > limits.timeMsMax) {
      cuts.push({
        limit: 'time',
        flag: '--max-time',
        value: limits.timeMsMax,
        detail: `stopped after ${(limits.timeMsMax / 1000).toFixed(1)} s with schedules left to explore`,
      });
      break;
    }
    const outcome = runner.run(strategy);
    const executionCount = strategy.endExecution(outcome);
    stats.steps += outcome.steps;
    if (counts !== null) counts[1]! += outcome.steps;
    if (outcome.status === 'abandoned' || executionCount === 'redundant') {
      // why: a redundant execution is work done, not a schedule explored; the count of
      // executions must stay the number of distinct schedules (Mazurkiewicz traces under dfs).
      stats.executionsAbandoned++;
      continue;
    }
    stats.executions++;
    if (counts !== null) counts[0]! += 1;
    if (outcome.status === 'cut') {
      stats.executionsCut++;
      if (cuts.every((c) => c.limit !== 'steps-per-thread')) cuts.push(outcome.cutBy!);
    }
    if (outcome.status !== 'violated') continue;
    stats.executionsViolated++;
    if (wanted === null || outcome.violations.some((v) => v.check === wanted)) {
      return violated({ violations: outcome.violations, schedule: outcome.schedule.slice() });
    }
    // why only new checks: a search for X can meet Y in most of its executions; one each is enough
    if (addsFinding(others, outcome.violations)) others.push({ violations: outcome.violations, schedule: outcome.schedule.slice() });
  }
  stats.timeMs = performance.now() - started;
  const allCuts = [...cuts, ...strategy.cuts()];
  // why a cut comes before the others' violations: the search was asked about `wanted`, and a cut
  // one leaves that open; another check's violation beside it is no answer to it
  if (allCuts.length > 0 || !strategyDescriptor(strategy.id).exhaustive) {
    return { kind: 'incomplete', strategy: strategy.id, cutBy: allCuts, stats, ...(others.length > 0 ? { others } : {}) };
  }
  if (others.length > 0) return violated(others[0]!);
  return { kind: 'holds', strategy: strategy.id, stats };
}

import { copyPicks, DEFAULT_AUDIT_EXECUTIONS, ExecutionRunner, type ExecutionOutcome, type LimitHit, type RuntimeLimits } from '../runtime/execution';
import { expectedChecks, type Expectation, type Params, type Scenario, type Variant } from '../runtime/scenario';
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
   * bound cut it. With `{ violated: X, and: [Y, …] }` it goes on until it has met each of them
   * (the verdict then lists an execution per check); a bound that stops it first makes it
   * `incomplete`, with the ones found and the ones `missing`. Otherwise it stops at the first
   * violation.
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
 * `explore`, a shard, the minimizer; a split search's partitions audit what its trial left,
 * parallel.ts auditedByTrial).
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
  const wanted = expectedChecks(req.target);
  // invariant: found[k] is the first execution that violated wanted[k], once there is one
  const found: (Finding | undefined)[] = wanted.map(() => undefined);
  const cuts: LimitHit[] = [];
  const others: Finding[] = [];
  const started = performance.now();
  const invariants = req.variant.invariants;
  strategy.prepare?.({ threads: runner.threadCount, invariants: invariants?.length ?? 0, observed: observedBy(invariants) });

  const violated = (v: Finding, also: readonly Finding[] = []): Verdict => {
    stats.timeMs = performance.now() - started;
    return {
      kind: 'violated',
      strategy: strategy.id,
      violations: v.violations,
      schedule: v.schedule,
      ...(v.picks ? { picks: v.picks } : {}),
      ...(also.length > 0 ? { also } : {}),
      stats,
    };
  };
  /** The distinct findings of the wanted checks met so far, in declared order. */
  const foundSoFar = (): Finding[] => [...new Set(found.filter((f): f is Finding => f !== undefined))];

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
    if (wanted.length === 0) return violated(findingOf(outcome));
    let finding: Finding | null = null;
    let missing = 0;
    for (let k = 0; k < wanted.length; k++) {
      if (found[k] === undefined && outcome.violations.some((v) => v.check === wanted[k])) found[k] = finding ??= findingOf(outcome);
      if (found[k] === undefined) missing++;
    }
    if (missing === 0) {
      const all = foundSoFar();
      return violated(all[0]!, all.slice(1));
    }
    if (finding !== null) continue;
    // why only new checks: a search for X can meet Y in most of its executions; one each is enough
    if (addsFinding(others, outcome.violations) && (wanted.length === 1 || addsFinding(others.concat(foundSoFar()), outcome.violations))) {
      others.push(findingOf(outcome));
    }
  }
  stats.timeMs = performance.now() - started;
  const allCuts = [...cuts, ...strategy.cuts()];
  // why a cut comes before the others' violations: the search was asked about `wanted`, and a cut
  // one leaves that open; another check's violation beside it is no answer to it
  const met = foundSoFar();
  if (allCuts.length > 0 || !strategyDescriptor(strategy.id).exhaustive) {
    const several = wanted.length > 1 ? { ...(met.length > 0 ? { found: met } : {}), missing: wanted.filter((_, k) => found[k] === undefined) } : {};
    return { kind: 'incomplete', strategy: strategy.id, cutBy: allCuts, stats, ...(others.length > 0 ? { others } : {}), ...several };
  }
  // every schedule explored and some expected check never violated: the verdict says what was met
  if (met.length > 0) return violated(met[0]!, met.slice(1));
  if (others.length > 0) return violated(others[0]!);
  return { kind: 'holds', strategy: strategy.id, stats };
}

/** What to keep of a violating execution: its violations, and a copy of its schedule and picks. */
function findingOf(outcome: ExecutionOutcome): Finding {
  const picks = copyPicks(outcome.picks);
  return { violations: outcome.violations, schedule: outcome.schedule.slice(), ...(picks ? { picks } : {}) };
}

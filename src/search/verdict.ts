import type { Violation } from '../runtime/check';
import type { LimitHit } from '../runtime/execution';
import type { Expectation } from '../runtime/scenario';

/** Counters of one search. */
export interface Stats {
  /** Executions run to their end (complete, violated or cut); abandoned ones are not among them. */
  executions: number;
  /**
   * Executions the strategy abandoned as redundant before their end (a DPOR execution blocked by
   * its sleep set). Optimal DPOR has none; they are counted here, never in `executions`.
   */
  executionsAbandoned: number;
  /** Steps over all executions, abandoned ones included (they cost the same work). */
  steps: number;
  /** Executions in which some check fired. */
  executionsViolated: number;
  /** Executions stopped by the per-thread step bound. */
  executionsCut: number;
  /** Wall time of the search, ms. */
  timeMs: number;
}

/** One execution in which checks fired: every violation of it, and its schedule. */
export interface Finding {
  readonly violations: readonly Violation[];
  readonly schedule: readonly number[];
}

/** The result of exploring one variant. Rendering (table, JSON) is a pure function of it. */
export type Verdict =
  /** The strategy is exhaustive, it finished, and no execution violated anything. */
  | { readonly kind: 'holds'; readonly strategy: string; readonly stats: Stats }
  /** Some execution violated a check; its schedule and every violation in it. */
  | {
      readonly kind: 'violated';
      readonly strategy: string;
      readonly violations: readonly Violation[];
      readonly schedule: readonly number[];
      readonly stats: Stats;
    }
  /**
   * The check asked for was not found, but a bound cut the search or the strategy cannot prove
   * absence. `others`: executions that violated other checks meanwhile (the first for each check,
   * in the order found); they are what the search met on its way, not an answer to what was asked.
   */
  | {
      readonly kind: 'incomplete';
      readonly strategy: string;
      readonly cutBy: readonly LimitHit[];
      readonly stats: Stats;
      readonly others?: readonly Finding[];
    };

/** Whether a verdict is what a variant declared. A variant that declares nothing must hold. */
export function matchesExpectation(verdict: Verdict, expect: Expectation | undefined): boolean {
  if (expect === undefined || expect === 'holds') return verdict.kind === 'holds';
  return verdict.kind === 'violated' && verdict.violations.some((v) => v.check === expect.violated);
}

/** Short form: `holds`, `violated:oops`, `incomplete`. */
export function describeVerdict(verdict: Verdict, expect?: Expectation): string {
  if (verdict.kind !== 'violated') return verdict.kind;
  const wanted = expect !== undefined && expect !== 'holds' ? expect.violated : undefined;
  const shown = verdict.violations.find((v) => v.check === wanted) ?? verdict.violations[0]!;
  return `violated:${shown.check}`;
}

/**
 * Whether an execution with these violations adds a check to `findings`: the first execution met
 * for each check is kept, so a long search lists a handful, not every violating execution.
 */
export function addsFinding(findings: readonly Finding[], violations: readonly Violation[]): boolean {
  return violations.some((v) => findings.every((f) => f.violations.every((w) => w.check !== v.check)));
}

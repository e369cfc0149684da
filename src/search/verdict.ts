import type { Violation } from '../runtime/check';
import type { LimitHit, Picks } from '../runtime/execution';
import { expectedChecks, type Expectation } from '../runtime/scenario';
import type { CheckId } from '../runtime/check-id';

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
  /** The values its choose() steps got, per thread; absent when it made no choice. */
  readonly picks?: Picks;
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
      /** The values of the execution's choose() steps, per thread; absent when it made none. */
      readonly picks?: Picks;
      /**
       * With several expected checks (`{ violated, and }`): the executions that first violated each
       * expected check that the one above does not, in declared order.
       */
      readonly also?: readonly Finding[];
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
      /**
       * With several expected checks: the executions that violated the ones found before the cut
       * (the first for each), and the ones not found.
       */
      readonly found?: readonly Finding[];
      readonly missing?: readonly CheckId[];
    };

/** Whether a verdict is what a variant declared. A variant that declares nothing must hold. */
export function matchesExpectation(verdict: Verdict, expect: Expectation | undefined): boolean {
  const wanted = expectedChecks(expect);
  if (wanted.length === 0) return verdict.kind === 'holds';
  return verdict.kind === 'violated' && wanted.every((c) => reached(verdict, c));
}

/** Whether a violated verdict's executions (its own and `also`) violate `check`. */
export function reached(verdict: Verdict & { kind: 'violated' }, check: CheckId): boolean {
  return verdict.violations.some((v) => v.check === check) || (verdict.also ?? []).some((f) => f.violations.some((v) => v.check === check));
}

/** Short form: `holds`, `violated:oops`, `violated:assertion+deadlock`, `incomplete`. */
export function describeVerdict(verdict: Verdict, expect?: Expectation): string {
  if (verdict.kind !== 'violated') return verdict.kind;
  const shown = expectedChecks(expect).filter((c) => reached(verdict, c));
  return `violated:${shown.length > 0 ? shown.join('+') : verdict.violations[0]!.check}`;
}

/**
 * Whether an execution with these violations adds a check to `findings`: the first execution met
 * for each check is kept, so a long search lists a handful, not every violating execution.
 */
export function addsFinding(findings: readonly Finding[], violations: readonly Violation[]): boolean {
  return violations.some((v) => findings.every((f) => f.violations.every((w) => w.check !== v.check)));
}

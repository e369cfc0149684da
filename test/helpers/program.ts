/** Tiny programs for tests: a one-variant scenario built from a setup and thread bodies. */
import { checkVariant, type CheckOptions } from '../../src/search/variant';
import type { Verdict } from '../../src/search/verdict';
import { defineScenario, type Invariant, type Scenario, type ThreadBody } from '../../src/runtime/scenario';
import { ExecutionRunner } from '../../src/runtime/execution';
import { recordTrace, type Trace } from '../../src/trace/trace';
import { decodeSchedule } from '../../src/trace/schedule-token';

export interface ProgramSpec<W extends object> {
  readonly setup: () => W;
  readonly threads: Readonly<Record<string, ThreadBody<W>>>;
  readonly invariants?: readonly Invariant<W>[];
  /** Checked once, when every thread has returned. */
  readonly finalState?: readonly Invariant<W>[];
}

/** A scenario `test-program` with one variant `main` that is expected to hold. */
export function program<W extends object>(spec: ProgramSpec<W>): Scenario {
  return defineScenario<W>({
    id: 'test-program',
    title: 'test program',
    commits: [],
    setup: spec.setup,
    variants: {
      main: { summary: 'test', expect: 'holds', invariants: spec.invariants ?? [], ...(spec.finalState ? { finalState: spec.finalState } : {}), threads: spec.threads },
    },
  });
}

/** Runs the program under the schedule written in table letters: schedule`A A B A` or 'A2BA'. */
export function runSchedule(p: Scenario, schedule: string): Trace {
  return recordTrace(p, 'main', p.variants.main!, p.params, decodeSchedule(schedule.replace(/\s+/g, '')));
}

/** Explores every schedule of the program (dfs), expecting it to hold. */
export function exploreProgram(p: Scenario, options: CheckOptions = {}): Verdict {
  return checkVariant(p, 'main', options);
}

/** The checks that fired in a trace, in order. */
export function firedChecks(t: Trace): string[] {
  return t.violations.map((v) => v.check);
}

/** Runs the program with the lowest-lettered runnable thread always first, and records it. */
export function runSerial(p: Scenario): Trace {
  const runner = new ExecutionRunner(p, p.variants.main!, p.params);
  const outcome = runner.run({ choose: (point) => point.enabled[0]! });
  return recordTrace(p, 'main', p.variants.main!, p.params, outcome.schedule.slice());
}

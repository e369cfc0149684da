/**
 * Test driver: runs a strategy to the end of its search (never stopping at a violation) and
 * collects, per execution, its Mazurkiewicz class in canonical form (with the values it chose, if
 * any) and the checks that fired.
 */
import { commuteGroup, groupsCommute, observedBy, type Observed } from '../../../src/search/dpor/dependency';
import type { Strategy } from '../../../src/search/strategy';
import { ExecutionRunner, type ChoicePoint } from '../../../src/runtime/execution';
import type { Op } from '../../../src/runtime/op';
import type { Params, Scenario } from '../../../src/runtime/scenario';

export interface Collected {
  /** Canonical form of each complete execution, in exploration order (duplicates kept). */
  readonly classes: string[];
  /** Every check id that fired in some execution. */
  readonly checks: Set<string>;
  /** Every violation that fired in some execution, as `check: message`. */
  readonly violations: Set<string>;
  readonly abandoned: number;
}

interface Access {
  readonly obj: string;
  readonly group: number;
}

// why written out again rather than taken from dfs: this is the reference the tests hold dfs to
function accessesOf(op: Op, observed: Observed): Access[] {
  const touched = [{ object: op.object, access: op.access }, ...(op.alsoTouches ?? [])];
  const out: Access[] = touched.map((x) => ({ obj: x.object.name, group: commuteGroup(x.access) }));
  const changes = (name: string) => touched.some((x) => x.access !== 'read' && x.object.name === name);
  if (observed === true && touched.some((x) => x.access !== 'read')) out.push({ obj: '\u0000observer', group: 0 });
  if (Array.isArray(observed)) {
    observed.forEach((footprint: ReadonlySet<string>, k) => {
      if ([...footprint].some(changes)) out.push({ obj: `\u0000observer#${k}`, group: 0 });
    });
  }
  return out;
}

function conflict(a: readonly Access[], b: readonly Access[]): boolean {
  return a.some((x) => b.some((y) => x.obj === y.obj && !groupsCommute(x.group, y.group)));
}

/**
 * The lexicographically least linearization (by thread id) of the execution's dependency order:
 * equal for two executions iff they are in one Mazurkiewicz class (the program is deterministic).
 */
export function canonical(threads: readonly number[], accesses: readonly (readonly Access[])[]): string {
  const n = threads.length;
  const done = new Array<boolean>(n).fill(false);
  const out: number[] = [];
  for (let emitted = 0; emitted < n; emitted++) {
    let pick = -1;
    for (let i = 0; i < n; i++) {
      if (done[i]) continue;
      let ready = true;
      for (let k = 0; k < i && ready; k++) {
        if (!done[k] && (threads[k] === threads[i] || conflict(accesses[k]!, accesses[i]!))) ready = false;
      }
      if (ready && (pick < 0 || threads[i]! < threads[pick]!)) pick = i;
    }
    done[pick] = true;
    out.push(threads[pick]!);
  }
  return out.join('');
}

export interface CollectOptions {
  readonly params?: Params;
  /** Stop after this many complete executions. */
  readonly executionsMax?: number;
  /** Compute canonical forms (cubic in the execution length; off for long scenarios). */
  readonly classes?: boolean;
  /** What the invariants observe, instead of what they declare (`true`: the whole-world rule). */
  readonly observed?: Observed;
}

export function collect(scenario: Scenario, variantName: string, strategy: Strategy, options: CollectOptions = {}): Collected {
  const params = options.params ?? scenario.params;
  const executionsMax = options.executionsMax ?? Infinity;
  const wantClasses = options.classes ?? true;
  const variant = scenario.variants[variantName]!;
  const runner = new ExecutionRunner(scenario, variant, params);
  const observed = options.observed ?? observedBy(variant.invariants);
  strategy.prepare?.({ threads: runner.threadCount, invariants: variant.invariants?.length ?? 0, observed });
  const threads: number[] = [];
  const accesses: Access[][] = [];
  const recorder = {
    choose: (p: ChoicePoint) => strategy.choose(p),
    observe: (step: number, thread: number, op: Op) => {
      threads[step] = thread;
      accesses[step] = accessesOf(op, observed);
      strategy.observe?.(step, thread, op);
    },
    deadlocked: (p: ChoicePoint) => strategy.deadlocked?.(p),
    ...(strategy.pick === undefined ? {} : { pick: (step: number, thread: number, n: number, nth: number) => strategy.pick!(step, thread, n, nth) }),
  };
  const classes: string[] = [];
  const checks = new Set<string>();
  const violations = new Set<string>();
  let abandoned = 0;
  while (classes.length < executionsMax && strategy.beginExecution()) {
    const outcome = runner.run(recorder);
    if (strategy.endExecution(outcome) === 'redundant' || outcome.status === 'abandoned') {
      abandoned++;
      continue;
    }
    threads.length = outcome.steps;
    accesses.length = outcome.steps;
    const halted = outcome.violations.some((v) => v.fatal) ? `!${outcome.violations.map((v) => v.check).join(',')}` : '';
    // why the values: two executions in one class of the dependency order that chose differently are not the same
    const chosen = outcome.picks.some((p) => p.length > 0) ? `|${outcome.picks.map((p) => p.join('.')).join('/')}` : '';
    classes.push(wantClasses ? canonical(threads, accesses) + halted + chosen : '');
    for (const v of outcome.violations) {
      checks.add(v.check);
      violations.add(`${v.check}: ${v.message}`);
    }
  }
  return { classes, checks, violations, abandoned };
}

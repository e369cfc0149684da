import { ScenarioError } from './errors';
import type { Violation } from './check';
import type { Op } from './op';
import { letterOf } from './scenario';

// why local shapes and not execution.ts's types: execution.ts runs these audits, and the folder
// rule allows no import cycle, type-only ones included
interface StepRecord {
  readonly step: number;
  readonly thread: number;
  readonly op: Op;
  readonly result: unknown;
  readonly blocked: readonly { thread: number; label: string; waitsFor: string | null }[];
  readonly violations: readonly Violation[];
  readonly world: object;
}
interface Point {
  readonly enabled: readonly number[];
  readonly step: number;
}

/**
 * The determinism audit. Exploration assumes that a schedule determines everything: the same
 * choices on a fresh world give the same steps, results and findings. A model that keeps state
 * outside the world (module-level variables), reads the clock or Math.random, or iterates
 * something unordered breaks that silently: a violation does not replay, or a search holds once in
 * six. So an audit execution is run twice on two fresh worlds under the same schedule: the two
 * set-up worlds are compared structurally, and the two runs step by step.
 */

const FIX = 'setup and steps must depend only on the parameters and on earlier steps (no Math.random, clock, or state kept outside the world such as module-level variables)';

/** One leaf of a world's structure: its path from the root and what is there. */
type Leaf = readonly [path: string, value: string];

/**
 * The world's structure, breadth first from the root: every primitive, every reference (as the
 * path where its target was first found), every container's size. Functions count by presence.
 */
export function worldShape(world: object): Leaf[] {
  const leaves: Leaf[] = [];
  const pathOf = new Map<object, string>();
  const queue: { o: object; path: string }[] = [{ o: world, path: 'world' }];
  pathOf.set(world, 'world');
  const ref = (v: unknown, path: string): string => {
    if (v === null || v === undefined) return String(v);
    if (typeof v === 'function') return 'function';
    if (typeof v !== 'object') return `${typeof v} ${String(v)}`;
    const seen = pathOf.get(v);
    if (seen !== undefined) return `→ ${seen}`;
    pathOf.set(v, path);
    queue.push({ o: v, path });
    return kindOf(v);
  };
  for (let i = 0; i < queue.length; i++) {
    const { o, path } = queue[i]!;
    if (Array.isArray(o)) {
      leaves.push([`${path}.length`, String(o.length)]);
      o.forEach((v, k) => leaves.push([`${path}[${k}]`, ref(v, `${path}[${k}]`)]));
    } else if (o instanceof Map) {
      leaves.push([`${path}.size`, String(o.size)]);
      let k = 0;
      for (const [key, v] of o) {
        leaves.push([`${path} key ${k}`, ref(key, `${path} key ${k}`)]);
        leaves.push([`${path} value ${k}`, ref(v, `${path} value ${k}`)]);
        k++;
      }
    } else if (o instanceof Set) {
      leaves.push([`${path}.size`, String(o.size)]);
      let k = 0;
      for (const v of o) (leaves.push([`${path} item ${k}`, ref(v, `${path} item ${k}`)]), k++);
    } else {
      for (const k of Object.keys(o)) leaves.push([`${path}.${k}`, ref((o as Record<string, unknown>)[k], `${path}.${k}`)]);
    }
  }
  return leaves;
}

function kindOf(o: object): string {
  if (Array.isArray(o)) return 'array';
  const name = (o as { name?: unknown }).name;
  return typeof name === 'string' ? `object '${name}'` : (Object.getPrototypeOf(o)?.constructor?.name ?? 'object');
}

/** The first difference between the worlds two setups built, as a model error; null when equal. */
export function compareSetups(scenarioId: string, first: readonly Leaf[], second: readonly Leaf[]): string | null {
  const n = Math.max(first.length, second.length);
  for (let i = 0; i < n; i++) {
    const a = first[i];
    const b = second[i];
    if (a !== undefined && b !== undefined && a[0] === b[0] && a[1] === b[1]) continue;
    const at = a?.[0] ?? b?.[0];
    return `${scenarioId}: setup() is not deterministic: two calls with the same parameters built different worlds at ${at} (${a?.[1] ?? 'nothing'} vs ${b?.[1] ?? 'nothing'}); ${FIX}`;
  }
  return null;
}

/** A step's result, as far as two runs can be compared: primitives, shared objects by name. */
export function describeResult(v: unknown, depth = 2): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'function') return 'function';
  if (typeof v !== 'object') return typeof v === 'string' ? `'${v}'` : String(v);
  const name = (v as { name?: unknown }).name;
  if (typeof name === 'string') return name;
  if (depth === 0) return Array.isArray(v) ? `[${v.length}]` : '{…}';
  if (Array.isArray(v)) return `[${v.map((x) => describeResult(x, depth - 1)).join(', ')}]`;
  if (v instanceof Map || v instanceof Set) return `${v.constructor.name}(${v.size})`;
  return `{ ${Object.keys(v).map((k) => `${k}: ${describeResult((v as Record<string, unknown>)[k], depth - 1)}`).join(', ')} }`;
}


/** What one step showed, as text: who ran what on which object, the result, who waited, what fired. */
function stepLine(r: StepRecord, names: readonly string[]): string {
  const blocked = r.blocked.map((b) => `${letterOf(b.thread)} waits in ${b.label}`).join(', ');
  const fired = r.violations.map((v) => `${v.check}: ${v.message}`).join('; ');
  return `${letterOf(r.thread)} (${names[r.thread] ?? '?'}) ${r.op.label} on ${r.op.object.name} → ${describeResult(r.result)}${blocked ? ` [${blocked}]` : ''}${fired ? ` {${fired}}` : ''}`;
}

/** Records every step of the first run as text, passing each step on to the caller's recorder. */
export class StepLog {
  readonly lines: string[] = [];
  constructor(
    private readonly names: readonly string[],
    private readonly next: { onStep(r: StepRecord): void } | undefined,
  ) {}
  onStep(r: StepRecord): void {
    this.lines.push(stepLine(r, this.names));
    this.next?.onStep(r);
  }
}

/** Compares every step of the re-run with the first run's; throws at the first that differs. */
export class StepComparison {
  constructor(
    private readonly names: readonly string[],
    private readonly first: readonly string[],
  ) {}
  onStep(r: StepRecord): void {
    const line = stepLine(r, this.names);
    const was = this.first[r.step - 1];
    if (line !== was) {
      throw new ScenarioError(`the model is not deterministic: re-run under the same schedule, step ${r.step} differs (first run: ${was ?? 'no such step'}; re-run: ${line}); ${FIX}`);
    }
  }
}

/** Follows a recorded schedule exactly; a choice that is no longer possible is a divergence. */
export class ScheduleReplay {
  constructor(
    private readonly schedule: readonly number[],
    /** Step at which the first run was abandoned, or -1. */
    private readonly abandonAt: number,
    private readonly abandon: number,
    private readonly names: readonly string[],
    /** The first run's choices, per thread (ExecutionOutcome.picks). */
    private readonly picks: readonly (readonly number[])[] = [],
  ) {}
  pick(step: number, thread: number, n: number, nth: number): number {
    const v = this.picks[thread]?.[nth];
    if (v === undefined || v >= n) {
      const what = v === undefined ? 'the first run made no such choice' : `the first run chose ${v}`;
      throw new ScenarioError(`the model is not deterministic: re-run under the same schedule, step ${step + 1} chooses among ${n} (${what}); ${FIX}`);
    }
    return v;
  }
  choose(point: Point): number {
    if (point.step === this.abandonAt) return this.abandon;
    const t = this.schedule[point.step];
    if (t === undefined || !point.enabled.includes(t)) {
      const what = t === undefined ? 'the first run ended here' : `${letterOf(t)} (${this.names[t] ?? '?'}) ran here in the first run`;
      throw new ScenarioError(
        `the model is not deterministic: re-run under the same schedule, step ${point.step + 1} differs (${what}; in the re-run only ${point.enabled.map(letterOf).join(', ') || 'nobody'} can run); ${FIX}`,
      );
    }
    return t;
  }
}

/** The two runs ended differently although every step agreed. */
export function compareEnds(first: { status: string; steps: number }, second: { status: string; steps: number }): string | null {
  if (first.status === second.status && first.steps === second.steps) return null;
  return `the model is not deterministic: re-run under the same schedule, the first run ended ${first.status} after ${first.steps} steps and the re-run ${second.status} after ${second.steps}; ${FIX}`;
}

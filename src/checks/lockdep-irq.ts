/**
 * lockdep's IRQ-safety rules, on top of the class graph of lockdep.ts. Each lock class collects
 * usage marks as it is acquired (trylocks included, as in the kernel):
 * - used in hardirq (softirq) context: the class is hardirq-safe (softirq-safe) — it must never be
 *   held where that interrupt can arrive;
 * - taken with hardirqs (softirqs) enabled: the class is hardirq-unsafe (softirq-unsafe).
 *
 * A class that is both is an inconsistent lock state: the interrupt can arrive on the CPU that holds
 * the lock with interrupts on, and its handler spins on that lock forever. A safe class S from which
 * the order graph reaches an unsafe class U is the same deadlock spread over two CPUs: CPU 0 holds U
 * with interrupts on, CPU 1 holds S and waits for U, and the interrupt on CPU 0 waits for S. Both are
 * reported as `irq-lock-inversion` (lockdep's "inconsistent lock state" and "HARDIRQ-safe ->
 * HARDIRQ-unsafe lock order detected"), once per execution each, naming the sites of both marks and
 * of every edge on the path. Like lock-order, the report is a potential deadlock: the schedule
 * itself may have run through.
 */
import type { ThreadContext } from '../runtime/op';
import { hardirqsEnabled, IN_HARDIRQ, IN_SOFTIRQ, softirqsEnabled } from './irq-state';
import { describeSite, type Site } from './site';

/** 0: hardirq, 1: softirq. */
type Level = 0 | 1;
const LEVELS: readonly Level[] = [0, 1];
const CONTEXT = ['hardirq', 'softirq'] as const;
const TAG = ['HARDIRQ', 'SOFTIRQ'] as const;
const IN_CONTEXT = [IN_HARDIRQ, IN_SOFTIRQ] as const;
const ENABLED = [hardirqsEnabled, softirqsEnabled] as const;

/** The part of an order edge this file reads (lockdep.ts's edges). */
export interface IrqOrderEdge {
  readonly from: { readonly lockClass: string; readonly site: Site };
  readonly to: Site;
  readonly toClass: string;
}

/** The class graph: class → (class taken under it → first edge). */
export type ClassGraph = ReadonlyMap<string, ReadonlyMap<string, IrqOrderEdge>>;

interface ClassUsage {
  /** By level: where the class was first taken in that interrupt context, or null. */
  readonly usedIn: [Site | null, Site | null];
  /** By level: where it was first taken with that interrupt enabled, or null. */
  readonly enabled: [Site | null, Site | null];
}

/** Usage marks of one execution, kept in lockdep's ghost books. */
export interface IrqUsageBooks {
  readonly usage: Map<string, ClassUsage>;
  /** By level: some class is safe, so a search can find something. Until then none runs. */
  readonly anySafe: [boolean, boolean];
  /** Reports already made (`level|safe|unsafe`). */
  readonly reported: Set<string>;
}

export function newIrqUsageBooks(): IrqUsageBooks {
  return { usage: new Map(), anySafe: [false, false], reported: new Set() };
}

/**
 * Marks the usage of `lockClass` acquired at `site` in interrupt state `bits` (irq-state.ts), and
 * reports any inversion a new mark completes.
 */
export function markIrqUsage(
  self: ThreadContext,
  b: IrqUsageBooks,
  graph: ClassGraph,
  lockClass: string,
  site: Site,
  bits: number,
): void {
  let u = b.usage.get(lockClass);
  if (u === undefined) b.usage.set(lockClass, (u = { usedIn: [null, null], enabled: [null, null] }));
  let changed = false;
  for (const level of LEVELS) {
    if (bits & IN_CONTEXT[level] && u.usedIn[level] === null) {
      u.usedIn[level] = site;
      b.anySafe[level] = true;
      changed = true;
    }
    if (ENABLED[level](bits) && u.enabled[level] === null) {
      u.enabled[level] = site;
      changed = true;
    }
  }
  if (changed) checkIrqSafety(self, b, graph);
}

/**
 * Looks for every safe class that reaches an unsafe one (itself included) and reports the new
 * ones. Runs only when a mark or an edge is new, which happens a bounded number of times per
 * execution, and only once some class is safe.
 */
export function checkIrqSafety(self: ThreadContext, b: IrqUsageBooks, graph: ClassGraph): void {
  for (const level of LEVELS) {
    if (!b.anySafe[level]) continue;
    for (const [safe, su] of b.usage) {
      const usedAt = su.usedIn[level];
      if (usedAt === null) continue;
      forEachReachable(graph, safe, (cls, path) => {
        const enabledAt = b.usage.get(cls)?.enabled[level];
        if (enabledAt === undefined || enabledAt === null) return;
        const key = `${level}|${safe}|${cls}`;
        if (b.reported.has(key)) return;
        b.reported.add(key);
        report(self, level, safe, usedAt, cls, enabledAt, path);
      });
    }
  }
}

/** Breadth-first over the graph from `start` (reached with an empty path), one visit per class. */
function forEachReachable(graph: ClassGraph, start: string, visit: (cls: string, path: readonly IrqOrderEdge[]) => void): void {
  const via = new Map<string, IrqOrderEdge | null>([[start, null]]);
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const cls = queue[i]!;
    const path: IrqOrderEdge[] = [];
    for (let e = via.get(cls)!; e !== null; e = via.get(e.from.lockClass)!) path.unshift(e);
    visit(cls, path);
    for (const [next, e] of graph.get(cls) ?? []) {
      if (via.has(next)) continue;
      via.set(next, e);
      queue.push(next);
    }
  }
}

function report(
  self: ThreadContext,
  level: Level,
  safe: string,
  usedAt: Site,
  unsafe: string,
  enabledAt: Site,
  path: readonly IrqOrderEdge[],
): void {
  const ctx = CONTEXT[level];
  const inCtx = `taken in ${ctx} context by ${describeSite(usedAt)}`;
  const withOn = `taken with ${ctx}s enabled by ${describeSite(enabledAt)}`;
  if (path.length === 0) {
    self.warn(
      'irq-lock-inversion',
      `inconsistent {IN-${TAG[level]}} -> {${TAG[level]}-ON} usage of lock class ${safe}: ${inCtx}, and ${withOn}; ` +
        `a ${ctx} arriving on the CPU that holds it spins on it forever`,
      `${safe}: IN-${TAG[level]} and ${TAG[level]}-ON`,
    );
    return;
  }
  const ring = [safe, ...path.map((e) => e.toClass)].join(' → ');
  self.warn(
    'irq-lock-inversion',
    `${TAG[level]}-safe -> ${TAG[level]}-unsafe lock order ${ring}: ${safe} is ${inCtx}; ${unsafe} is ${withOn}; ` +
      `${path.map(describeOrderEdge).join('; ')}. A ${ctx} that takes ${safe} on a CPU holding ${unsafe}, while ` +
      `another CPU holds ${safe} and waits for ${unsafe}, deadlocks both`,
    ring,
  );
}

function describeOrderEdge(e: IrqOrderEdge): string {
  return `${e.toClass} taken while holding ${e.from.lockClass} (${describeSite(e.to)}; ${e.from.lockClass} taken by ${describeSite(e.from.site)})`;
}

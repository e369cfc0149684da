/**
 * How `dfs` cuts the top of its search tree into partitions: binary splits over sleep sets
 * (Godefroid 1996), each probed before it is taken.
 *
 * A part (P, S) is split on a thread t runnable after P and not in S into "t runs first", (P.t, the
 * sleepers of S whose announced ops commute with t's), and "t does not", (P, S + t). Every class of
 * the part is in exactly one half (dfs.ts, DfsOptions.sleeping). A half is cheap only when its
 * sleepers rarely leave an execution nothing to count: on lastzero(13), "thread 1 does not run
 * first" holds no class at all yet costs 15,360 executions to learn that, while splitting on any
 * thread from 2 up costs nothing extra. So each candidate split is probed: both halves run their
 * first `probeExecutions` executions, and the first t whose halves both count an execution and
 * waste none is taken (candidates: threads whose next op conflicts with another runnable thread's
 * first, then by id; at most CANDIDATES_MAX per part). A half that probes empty is no split: the
 * part takes the step of the other half instead. Parts are split level by level until there are
 * `partitionsMin` parts not known to be small (a half whose probe finished is small and is split no
 * further), or after `depthMax` levels.
 */
import type { ExecutionRunner } from '../runtime/execution';
import type { Op } from '../runtime/op';
import { dependent, type Observed } from '../search/dpor/dependency';
import { DfsStrategy } from '../search/strategies/dfs';
import { Probe, type PartitionRule, type TopNode } from './tree-top';

/** The parts of a dfs search, in partition order (see the file comment). */
export function splitBySleepers(runner: ExecutionRunner, observed: Observed, rule: PartitionRule): TopNode[] {
  const probe = new Probe();
  let parts: TopNode[] = [{ prefix: [], sleeping: [], leaf: false }];
  for (let depth = 0; depth < rule.depthMax; depth++) {
    if (parts.filter((p) => !p.leaf).length >= rule.partitionsMin) break;
    const next: TopNode[] = [];
    let grew = false;
    for (const part of parts) {
      const halves = part.leaf ? null : splitPart(runner, probe, part, observed, rule.probeExecutions);
      if (halves === null) {
        next.push(part.leaf ? part : { ...part, leaf: true });
        continue;
      }
      grew = true;
      next.push(...halves);
    }
    parts = next;
    if (!grew) break;
  }
  return parts;
}

/**
 * The first split of `part` whose halves both probe non-empty and waste nothing; or `part` itself
 * one step further down when one half is empty (a forced step: no class starts otherwise); null
 * if neither.
 */
// why `observed`: with invariants, dfs orders the steps that change what they read through their
// observers; a sleeper kept by a weaker relation would cut classes dfs considers distinct
function splitPart(runner: ExecutionRunner, probe: Probe, part: TopNode, observed: Observed, probeExecutions: number): TopNode[] | null {
  if (!probe.look(runner, part.prefix)) return null;
  const enabled = probe.enabled.slice();
  const pending = probe.pending.slice();
  let tried = 0;
  for (const t of candidates(enabled, pending, part.sleeping, observed)) {
    // why a cap: each candidate costs two probes, and a part where the first few fail is rarely
    // worth many more (indexer(15) ran 362 probes, 0.75 s, before the order and the cap)
    if (probeExecutions > 0 && tried++ >= CANDIDATES_MAX) break;
    const mine = pending[t]!;
    const first = part.sleeping.filter((u) => {
      const theirs = pending[u];
      return theirs != null && !dependent(theirs, mine, observed);
    });
    const runs: TopNode = { prefix: [...part.prefix, t], sleeping: first, leaf: false };
    const waits: TopNode = { prefix: part.prefix, sleeping: [...part.sleeping, t].sort((a, b) => a - b), leaf: false };
    if (probeExecutions === 0) return [runs, waits];
    // why: every class starts with a runnable thread that is not asleep; with t asleep as well
    // there is none, so the part is exactly its "t runs first" half (2 threads, one asleep: S1)
    if (enabled.every((u) => u === t || waits.sleeping.includes(u))) return [runs];
    const a = probeRun(runner, runs, observed, probeExecutions);
    if (a.finished && a.counted === 0) return [waits];
    if (a.counted === 0 || a.redundant > 0) continue;
    const b = probeRun(runner, waits, observed, probeExecutions);
    if (b.finished && b.counted === 0) return [runs];
    if (b.counted === 0 || b.redundant > 0) continue;
    // why a finished half is a leaf: it is already known to be small, splitting it gains nothing
    return [
      { ...runs, leaf: a.finished },
      { ...waits, leaf: b.finished },
    ];
  }
  return null;
}

/** Candidates of a dfs split tried at most per part (a part with none that fits stays whole). */
const CANDIDATES_MAX = 4;

/**
 * The threads a part may be split on, best first: runnable, not asleep, and those whose next op
 * conflicts with another runnable thread's before those whose op commutes with all of them. Why:
 * a thread that commutes with every other can run first in nearly every class, so "it does not
 * run first" is nearly empty and costs executions to learn it; ids break ties.
 */
function candidates(enabled: readonly number[], pending: readonly (Op | null)[], sleeping: readonly number[], observed: Observed): number[] {
  // why not a thread about to choose: "it runs first" would fix its step in the prefix, and a
  // prefix fixes a step's thread, not its value (forced-prefix.ts); the other threads split alike
  const awake = enabled.filter((t) => !sleeping.includes(t) && pending[t]!.choices === undefined);
  const conflicts = (t: number): boolean => enabled.some((u) => u !== t && dependent(pending[t]!, pending[u]!, observed));
  return [...awake.filter(conflicts), ...awake.filter((t) => !conflicts(t))];
}

/** The first executions of a part's dfs search: how many counted, how many wasted, and whether that was all. */
function probeRun(runner: ExecutionRunner, part: TopNode, observed: Observed, executions: number): { counted: number; redundant: number; finished: boolean } {
  const strategy = new DfsStrategy({ prefix: part.prefix, sleeping: part.sleeping });
  strategy.prepare({ threads: runner.threadCount, invariants: observed === false ? 0 : 1, observed });
  let counted = 0;
  let redundant = 0;
  while (counted + redundant < executions) {
    if (!strategy.beginExecution()) return { counted, redundant, finished: true };
    const outcome = runner.run(strategy);
    if (strategy.endExecution(outcome) === 'redundant' || outcome.status === 'abandoned') redundant++;
    else counted++;
  }
  return { counted, redundant, finished: false };
}

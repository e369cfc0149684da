/**
 * The tables of finished `dfs` searches, kept for the next search in this thread. Why: a search of
 * a few steps otherwise spends most of its time creating them (some twenty typed arrays outside
 * the JS heap), and `check --all`, a split search's partitions and the benchmark's repeated
 * searches run many. Only tables of small searches are kept, so a large search's memory is not
 * held after it ends; a search that stops early (a violation, a bound) keeps its tables to itself.
 */
import { EventLog } from './event-log';
import { Sequence, WakeupTree } from './wakeup-tree';

/** Tables larger than this are left to the garbage collector. */
const KEPT_NODES_MAX = 4_096;
const KEPT_EVENTS_MAX = 1_024;
/** How many of each kind are kept. */
const KEPT_MAX = 4;

const logs = new Map<number, EventLog[]>();
const trees: WakeupTree[] = [];
const sequences: Sequence[] = [];

export function takeLog(threads: number): EventLog {
  const log = logs.get(threads)?.pop();
  if (log === undefined) return new EventLog(threads);
  log.clear();
  return log;
}

export function takeTree(): WakeupTree {
  const tree = trees.pop();
  if (tree === undefined) return new WakeupTree();
  tree.clear();
  return tree;
}

export function takeSequence(): Sequence {
  return sequences.pop() ?? new Sequence();
}

/** Gives back the tables of a search that has ended; none of them may be used after this. */
export function giveBack(log: EventLog | null, tree: WakeupTree, v: Sequence): void {
  if (log !== null && log.eventCapacity <= KEPT_EVENTS_MAX) {
    let kept = logs.get(log.threads);
    if (kept === undefined) {
      kept = [];
      logs.set(log.threads, kept);
    }
    if (kept.length < KEPT_MAX) kept.push(log);
  }
  if (tree.capacity <= KEPT_NODES_MAX && trees.length < KEPT_MAX) trees.push(tree);
  if (sequences.length < KEPT_MAX) sequences.push(v);
}

/**
 * A search's progress in shared memory: one lane per thread that explores (the search worker's own
 * and each pool worker's), each written by its thread alone with plain stores, read by the thread
 * that owns the search (the CLI's main thread) for a progress line, and, when it had to end a
 * search that did not answer, to say what was explored and which model thread never yielded.
 */
import { PHASE, WATCH } from '../runtime/execution';
import type { MeterLane } from '../search/explorer';

/** The schedule a watch keeps of the current execution; longer ones keep their first steps. */
const WATCH_SCHEDULE_ROOM = 4096;
const WATCH_WORDS = WATCH.schedule + WATCH_SCHEDULE_ROOM;
/**
 * Count words per lane: [0] executions and [1] steps of the search (the explorer's), [2]
 * executions run after it, to minimize and record a violation's trace: not part of what the
 * search explored, but progress a watchdog must see.
 */
const COUNT_WORDS = 3;
const AFTER = 2;

/** What crosses threads: the buffers and the number of lanes. */
export interface MeterBuffers {
  readonly lanes: number;
  readonly counts: SharedArrayBuffer;
  readonly watch: SharedArrayBuffer;
}

/** Where one lane's runner stood when it was last read. */
export interface LaneWatch {
  readonly lane: number;
  readonly phase: (typeof PHASE)[keyof typeof PHASE];
  /** Model thread (id), -1 while setup runs. */
  readonly thread: number;
  /** 1-based step being run. */
  readonly step: number;
  /** The choices of the current execution up to `step`, as far as the watch had room. */
  readonly schedule: readonly number[];
}

export class SearchMeter {
  readonly buffers: MeterBuffers;
  private readonly counts: Float64Array;
  private readonly watch: Int32Array;

  constructor(from: number | MeterBuffers) {
    this.buffers =
      typeof from === 'number'
        ? { lanes: from, counts: new SharedArrayBuffer(8 * COUNT_WORDS * from), watch: new SharedArrayBuffer(4 * WATCH_WORDS * from) }
        : from;
    this.counts = new Float64Array(this.buffers.counts);
    this.watch = new Int32Array(this.buffers.watch);
  }

  get lanes(): number {
    return this.buffers.lanes;
  }

  /** The views an explorer writes for lane `i`; lane 0 is the search's own thread, 1 + k pool worker k. */
  lane(i: number): MeterLane {
    if (i < 0 || i >= this.lanes) throw new RangeError(`meter lane ${i} of ${this.lanes}`);
    return { counts: this.counts.subarray(COUNT_WORDS * i, COUNT_WORDS * i + AFTER), watch: this.watch.subarray(WATCH_WORDS * i, WATCH_WORDS * (i + 1)) };
  }

  /** Executions and steps over every lane (racy reads: fine for a count shown or reported after a stop). */
  totals(): { executions: number; steps: number } {
    let executions = 0;
    let steps = 0;
    for (let i = 0; i < this.lanes; i++) {
      executions += this.counts[COUNT_WORDS * i]!;
      steps += this.counts[COUNT_WORDS * i + 1]!;
    }
    return { executions, steps };
  }

  /** Notes one execution of lane `i` run after its search (minimization, recording a trace). */
  ranAfter(i: number): void {
    this.counts[COUNT_WORDS * i + AFTER]! += 1;
  }

  /** Every count of every lane, summed: it stays still only while no lane finishes anything. */
  activity(): number {
    let n = 0;
    for (let i = 0; i < this.counts.length; i++) n += this.counts[i]!;
    return n;
  }

  /** Zeroes every lane, before the next search. */
  reset(): void {
    this.counts.fill(0);
    this.watch.fill(0);
  }

  /** Every lane that is inside an execution, lane order. */
  busy(): LaneWatch[] {
    const out: LaneWatch[] = [];
    for (let i = 0; i < this.lanes; i++) {
      const w = this.watch.subarray(WATCH_WORDS * i, WATCH_WORDS * (i + 1));
      const phase = w[WATCH.phase]! as LaneWatch['phase'];
      if (phase === PHASE.idle) continue;
      const step = w[WATCH.step]!;
      const kept = Math.min(phase === PHASE.begin ? 0 : step, WATCH_SCHEDULE_ROOM);
      out.push({ lane: i, phase, thread: w[WATCH.thread]!, step: phase === PHASE.begin ? 0 : step, schedule: [...w.subarray(WATCH.schedule, WATCH.schedule + kept)] });
    }
    return out;
  }
}

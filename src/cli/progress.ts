/**
 * The progress line on a terminal's stderr: which variant, executions so far, their rate, elapsed
 * time. Redrawn from a timer, so it moves only while the search runs off this thread (the search
 * worker) and this thread's event loop turns; never drawn off a terminal (main decides).
 */

/** Redraws a second at most this many times. */
export const PROGRESS_UPDATES_PER_SECOND = 4;

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

export interface ProgressClock {
  now(): number;
  every(ms: number, f: () => void): () => void;
}

const realClock: ProgressClock = {
  now: () => performance.now(),
  every: (ms, f) => {
    const t = setInterval(f, ms);
    // why: a progress line must never keep the process alive
    t.unref();
    return () => clearInterval(t);
  },
};

export class ProgressLine {
  private label = '';
  private startedAt = 0;
  private stopTimer: (() => void) | null = null;
  private shown = false;

  constructor(
    private readonly write: (text: string) => void,
    /** Executions run so far in the current search. */
    private readonly executions: () => number,
    private readonly clock: ProgressClock = realClock,
  ) {}

  /** A new search: draws its line now and keeps it moving until `clear`. */
  start(label: string): void {
    this.label = label;
    this.startedAt = this.clock.now();
    this.draw();
    this.stopTimer ??= this.clock.every(1000 / PROGRESS_UPDATES_PER_SECOND, () => this.draw());
  }

  /** The line as it stands: `checking s/v · 1,234 executions · 5,678/s · 2.5 s`. */
  text(): string {
    const seconds = (this.clock.now() - this.startedAt) / 1000;
    const n = this.executions();
    const rate = seconds > 0 ? ` · ${count(n / seconds)}/s` : '';
    return `checking ${this.label} · ${count(n)} executions${rate} · ${seconds.toFixed(1)} s`;
  }

  private draw(): void {
    this.shown = true;
    this.write(`\r\x1b[2K${this.text()}`);
  }

  /** Stops the timer and erases the line (once). */
  clear(): void {
    this.stopTimer?.();
    this.stopTimer = null;
    if (this.shown) this.write('\r\x1b[2K');
    this.shown = false;
  }
}

/**
 * Ghost state for invariants: books a model keeps beside its modeled state, written by ops' `run`
 * and read only by invariants (which see the world, not the detectors' ghost map). No modeled step
 * may branch on them, so they never change a schedule.
 */

/** A multiset of holder names: who holds each reference to an object (`fault:gup`, `lru`). */
export class HolderSet {
  // invariant: every count is > 0
  private readonly counts = new Map<string, number>();

  /** One more reference held by `holder`. */
  add(holder: string): void {
    this.counts.set(holder, (this.counts.get(holder) ?? 0) + 1);
  }

  /** One reference of `holder` dropped; false when it held none (an unbalanced put by that holder). */
  remove(holder: string): boolean {
    const n = this.counts.get(holder);
    if (n === undefined) return false;
    if (n === 1) this.counts.delete(holder);
    else this.counts.set(holder, n - 1);
    return true;
  }

  /** How many references `holder` holds. */
  count(holder: string): number {
    return this.counts.get(holder) ?? 0;
  }

  /** Total references held. */
  get size(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  /** `fault ×2, lru` in insertion order, for invariant messages. */
  describe(): string {
    return [...this.counts].map(([h, n]) => (n === 1 ? h : `${h} ×${n}`)).join(', ') || 'nobody';
  }
}

/** Per-thread stacks of open brackets (invalidate_range_start without its end yet). */
export class PerThreadStacks<T> {
  private readonly stacks = new Map<string, T[]>();

  /** `thread` opens `item`. */
  push(thread: string, item: T): void {
    let s = this.stacks.get(thread);
    if (s === undefined) this.stacks.set(thread, (s = []));
    s.push(item);
  }

  /** `thread` closes its innermost open item; undefined when none is open. */
  pop(thread: string): T | undefined {
    return this.stacks.get(thread)?.pop();
  }

  /** `thread`'s innermost open item. */
  peek(thread: string): T | undefined {
    const s = this.stacks.get(thread);
    return s === undefined ? undefined : s[s.length - 1];
  }

  /** `thread`'s open items, outermost first. */
  open(thread: string): readonly T[] {
    return this.stacks.get(thread) ?? [];
  }

  /** Every open item of every thread. */
  all(): T[] {
    return [...this.stacks.values()].flat();
  }
}

/** Calls of a callback: how many started and how many are in flight (release-call counters). */
export class CallCounter {
  /** Times the callback was entered. */
  calls = 0;
  /** Threads inside it now. */
  inFlight = 0;

  enter(): void {
    this.calls++;
    this.inFlight++;
  }

  exit(): void {
    this.inFlight--;
  }
}

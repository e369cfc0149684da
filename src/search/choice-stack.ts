/**
 * The sequence of scheduling choices of the current execution, with the alternatives not yet tried
 * at each level: exhaustive depth-first search by re-execution, written once. Level objects are
 * pooled, so a search allocates only while the stack grows past its deepest point so far.
 */
export interface Level {
  // invariant: options holds the enabled threads at this point, the first-tried one first
  readonly options: number[];
  /** Position in `options` of the thread chosen in the current execution. */
  index: number;
}

export class ChoiceStack {
  private readonly pool: Level[] = [];
  // invariant: pool[0..depth) are the levels of the current execution's prefix
  private depth = 0;
  /** Levels kept from the last execution, replayed before new choices are made. */
  private replayTo = 0;

  /** Levels in use. */
  get length(): number {
    return this.depth;
  }

  level(i: number): Level {
    if (i >= this.depth) throw new RangeError(`level ${i} of ${this.depth}`);
    return this.pool[i]!;
  }

  /** Whether step `i` of the next execution replays a recorded choice. */
  isReplaying(i: number): boolean {
    return i < this.replayTo;
  }

  /** Records a new level with the given options (copied), choosing the first. */
  push(enabled: readonly number[], first: number): number {
    let level = this.pool[this.depth];
    if (level === undefined) {
      level = { options: [], index: 0 };
      this.pool.push(level);
    }
    const options = level.options;
    options.length = 0;
    options.push(first);
    for (const t of enabled) if (t !== first) options.push(t);
    level.index = 0;
    this.depth++;
    return first;
  }

  /** The choice recorded at level i. */
  chosen(i: number): number {
    const level = this.pool[i]!;
    return level.options[level.index]!;
  }

  /**
   * After an execution: drop exhausted levels from the top and move the deepest level that has an
   * untried option to it. False when no level has one: the search is complete.
   */
  advance(): boolean {
    while (this.depth > 0) {
      const top = this.pool[this.depth - 1]!;
      if (top.index + 1 < top.options.length) {
        top.index++;
        this.replayTo = this.depth;
        return true;
      }
      this.depth--;
    }
    this.replayTo = 0;
    return false;
  }

  /** Forget everything, for a fresh search. */
  reset(): void {
    this.depth = 0;
    this.replayTo = 0;
  }
}

/** Keeps the world of the most recent execution, for tests that look at the final state. */
export function keepLastWorld<W>(setup: () => W): { setup: () => W; last: () => W } {
  let last: W | undefined;
  return {
    setup: () => (last = setup()),
    last: () => {
      if (last === undefined) throw new Error('no execution has run yet');
      return last;
    },
  };
}

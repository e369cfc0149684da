/** Thread contexts outside an execution, for unit tests of detectors' books. */
import type { Violation } from '../../src/runtime/check';
import type { ThreadContext } from '../../src/runtime/op';
import { letterOf } from '../../src/runtime/scenario';

export interface FakeThreads {
  /** Thread contexts sharing one ghost map. */
  readonly threads: (ThreadContext & { step: number })[];
  /** What `warn` recorded. */
  readonly warnings: Violation[];
}

/** `n` threads named t0, t1, … sharing ghost state, their warnings collected. */
export function fakeThreads(n: number): FakeThreads {
  const ghost = new Map<string, unknown>();
  const warnings: Violation[] = [];
  const threads = Array.from({ length: n }, (_, id) => {
    const t: ThreadContext & { step: number } = {
      id,
      name: `t${id}`,
      letter: letterOf(id),
      held: [],
      step: 1,
      ghost,
      warn: (check, message, state) => {
        warnings.push({ check, message, ...(state === undefined ? {} : { state }), step: t.step, thread: id, fatal: false });
      },
    };
    return t;
  });
  return { threads, warnings };
}

/**
 * An op that declares more than it was made with: the same step of kernel code, with extra
 * `alsoTouches` entries. For wrappers that add what a scenario knows and a model cannot (a ghost
 * object written, the liveness of an object the step reads).
 */
import type { Op, OtherTouch, ThreadContext, Waiter } from '../../src/index';

export function opAlsoTouching(op: Op, extra: readonly OtherTouch[]): Op {
  return {
    object: op.object,
    access: op.access,
    alsoTouches: op.alsoTouches === undefined ? extra : [...op.alsoTouches, ...extra],
    // why a getter: some labels are live (fused ops say what they found)
    get label() {
      return op.label;
    },
    // why closures: an op may be a class instance whose methods read `this`
    ...(op.enabled ? { enabled: (self: ThreadContext) => op.enabled!(self) } : {}),
    // why not with a readByEnabled entry: enabledAt reads only the op's own object
    ...(op.enabledAt && !extra.some((x) => x.readByEnabled === true) ? { enabledAt: (key: number, waiter: Waiter) => op.enabledAt!(key, waiter) } : {}),
    ...(op.waitsFor ? { waitsFor: (self: ThreadContext) => op.waitsFor!(self) } : {}),
    run: (self: ThreadContext) => op.run(self),
  };
}

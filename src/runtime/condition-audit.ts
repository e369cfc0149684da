import { ScenarioError } from './errors';
import type { HeldResource, Op, SharedObject, ThreadContext, Waiter } from './op';
import { copyOfData, enabledOnCopy } from './state-copies';

/**
 * What a waiting step's restated condition (Op.enabledAt or Op.enabledOn) was given just before
 * the step ran, so an audit execution can ask it again just after.
 *
 * Why: dfs decides a wait's reorderings when it is told the step ran, that is after the op's `run`.
 * A condition that reads something `run` changes (a local it closes over, a field of the thread's
 * context) is then judged on the new value, and a reordering it should allow is dropped: a lost
 * class, so possibly a wrong `holds`. Asked twice on the same state, such a condition answers
 * differently; one that reads only what it is given cannot.
 */
export interface ConditionBefore {
  readonly key: number;
  readonly waiter: Waiter;
  readonly copy: SharedObject | null;
  readonly others: readonly SharedObject[];
  readonly said: boolean;
}

/** The condition's input and answer before `op` runs, or null when it restates none (or its data is not plain). */
export function conditionBefore(op: Op, ctx: ThreadContext): ConditionBefore | null {
  if (op.enabled === undefined) return null;
  if (op.enabledAt !== undefined) {
    const key = op.object.stateKey!();
    const waiter: Waiter = { id: ctx.id, held: ctx.held.slice() as HeldResource[] };
    return { key, waiter, copy: null, others: [], said: op.enabledAt(key, waiter) };
  }
  if (op.enabledOn === undefined || op.object.stateKey !== undefined) return null;
  const copy = copyOfData(op.object);
  if (copy === null) return null;
  const others: SharedObject[] = [];
  for (const x of op.alsoTouches ?? []) {
    if (x.readByEnabled !== true) continue;
    const c = copyOfData(x.object);
    if (c === null) return null;
    others.push(c);
  }
  return { key: Number.NaN, waiter: { id: ctx.id, held: [] }, copy, others, said: enabledOnCopy(op, copy, others, where(ctx, op, ctx.step)) };
}

/** A model error when the condition, given what it was given before `op` ran (step `step`), now answers otherwise. */
export function checkConditionAfterRun(op: Op, ctx: ThreadContext, step: number, before: ConditionBefore): void {
  const now = before.copy === null ? op.enabledAt!(before.key, before.waiter) : enabledOnCopy(op, before.copy, before.others, where(ctx, op, step));
  if (now === before.said) return;
  const what = before.copy === null ? `enabledAt(${before.key})` : `enabledOn (on the same copy of ${op.object.name}'s data)`;
  throw new ScenarioError(
    `${where(ctx, op, step)}: its ${what} gave ${before.said} before the step ran and ${now} after it; ` +
      `a restated condition may read only what it is given, not what the op's own run changes (a local it closes over, the thread's context)`,
  );
}

function where(ctx: ThreadContext, op: Op, step: number): string {
  return `${ctx.letter} (${ctx.name}) step ${step} ${op.label}`;
}

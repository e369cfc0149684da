import { ScenarioError } from './errors';
import type { HeldResource, Op, SharedObject, ThreadContext, Waiter } from './op';
import { copiesOfCondition, enabledOnCopy } from './state-copies';
import { enabledOnLiveCopies } from './enabled-on-copies';

/**
 * What a waiting step's condition (Op.enabledAt, Op.enabledOn, or for an op that restates neither
 * on an object of plain data, its own enabled on a copy put in place) was given just before the
 * step ran, so an audit execution can ask it again just after.
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
  /** Copies of conditionObjects(op), own object first; null for an op with enabledAt. */
  readonly copies: readonly SharedObject[] | null;
  readonly said: boolean;
}

/** The condition's input and answer before `op` runs, or null when it has none weft asks (or its data is not plain). */
export function conditionBefore(op: Op, ctx: ThreadContext): ConditionBefore | null {
  if (op.enabled === undefined) return null;
  const waiter: Waiter = { id: ctx.id, held: ctx.held.slice() as HeldResource[] };
  if (op.enabledAt !== undefined) {
    const key = op.object.stateKey!();
    return { key, waiter, copies: null, said: op.enabledAt(key, waiter) };
  }
  if (op.object.stateKey !== undefined) return null;
  const copies = copiesOfCondition(op);
  if (copies === null) return null;
  const said = onCopies(op, ctx, waiter, copies, ctx.step);
  return said === null ? null : { key: Number.NaN, waiter, copies, said };
}

/** A model error when the condition, given what it was given before `op` ran (step `step`), now answers otherwise. */
export function checkConditionAfterRun(op: Op, ctx: ThreadContext, step: number, before: ConditionBefore): void {
  const now = before.copies === null ? op.enabledAt!(before.key, before.waiter) : onCopies(op, ctx, before.waiter, before.copies, step);
  if (now === null || now === before.said) return;
  const what =
    before.copies === null ? `enabledAt(${before.key})`
    : op.enabledOn !== undefined ? `enabledOn (on the same copy of ${op.object.name}'s data)`
    : `enabled (on the same copy of ${op.object.name}'s data, put in place)`;
  throw new ScenarioError(
    `${where(ctx, op, step)}: its ${what} gave ${before.said} before the step ran and ${now} after it; ` +
      `a wait's condition may read only its objects' data and what it is given, not what the op's own run changes (a local it closes over, the thread's context)`,
  );
}

/** The op's enabledOn on the copies, or its own enabled on them put in place (null: not asked). */
function onCopies(op: Op, ctx: ThreadContext, waiter: Waiter, copies: readonly SharedObject[], step: number): boolean | null {
  if (op.enabledOn !== undefined) return enabledOnCopy(op, copies[0]!, copies.slice(1), where(ctx, op, step));
  return enabledOnLiveCopies(op, ctx, waiter.held, copies, where(ctx, op, step));
}

function where(ctx: ThreadContext, op: Op, step: number): string {
  return `${ctx.letter} (${ctx.name}) step ${step} ${op.label}`;
}

import { ScenarioError } from './errors';
import type { HeldResource, Op, SharedObject, ThreadContext, Waiter } from './op';
import { copyOfData, enabledOnCopy } from './state-copies';
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
  if (op.object.stateKey !== undefined) return null;
  const copy = copyOfData(op.object);
  if (copy === null) return null;
  const others: SharedObject[] = [];
  for (const x of op.alsoTouches ?? []) {
    if (x.readByEnabled !== true) continue;
    const c = copyOfData(x.object);
    if (c === null) return null;
    others.push(c);
  }
  const waiter: Waiter = { id: ctx.id, held: ctx.held.slice() as HeldResource[] };
  if (op.enabledOn !== undefined) return { key: Number.NaN, waiter, copy, others, said: enabledOnCopy(op, copy, others, where(ctx, op, ctx.step)) };
  const said = ownOnCopies(op, ctx, waiter, copy, others);
  return said === null ? null : { key: Number.NaN, waiter, copy, others, said };
}

/** An op's own enabled on copies of its objects (enabledOnLiveCopies), given the thread as `waiter` had it. */
function ownOnCopies(op: Op, ctx: ThreadContext, waiter: Waiter, copy: SharedObject, others: readonly SharedObject[]): boolean | null {
  const objects = [op.object];
  for (const x of op.alsoTouches ?? []) if (x.readByEnabled === true) objects.push(x.object);
  const view = Object.create(ctx, { held: { value: waiter.held } }) as ThreadContext;
  return enabledOnLiveCopies(op, view, objects, [copy, ...others], where(ctx, op, ctx.step));
}

/** A model error when the condition, given what it was given before `op` ran (step `step`), now answers otherwise. */
export function checkConditionAfterRun(op: Op, ctx: ThreadContext, step: number, before: ConditionBefore): void {
  const now =
    before.copy === null ? op.enabledAt!(before.key, before.waiter)
    : op.enabledOn !== undefined ? enabledOnCopy(op, before.copy, before.others, where(ctx, op, step))
    : ownOnCopies(op, ctx, before.waiter, before.copy, before.others);
  if (now === null || now === before.said) return;
  const what =
    before.copy === null ? `enabledAt(${before.key})`
    : op.enabledOn !== undefined ? `enabledOn (on the same copy of ${op.object.name}'s data)`
    : `enabled (on the same copy of ${op.object.name}'s data, put in place)`;
  throw new ScenarioError(
    `${where(ctx, op, step)}: its ${what} gave ${before.said} before the step ran and ${now} after it; ` +
      `a restated condition may read only what it is given, not what the op's own run changes (a local it closes over, the thread's context)`,
  );
}

function where(ctx: ThreadContext, op: Op, step: number): string {
  return `${ctx.letter} (${ctx.name}) step ${step} ${op.label}`;
}

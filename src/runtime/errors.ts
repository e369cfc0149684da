import type { BuiltinCheckId } from './check-id';

/**
 * Why weft's error classes answer `instanceof` by a brand, not by prototype: a scenario file that
 * node takes for CommonJS (a .cts name, or no `"type": "module"` above it) has its imports
 * compiled to require(), which gives it a CommonJS copy of weft's modules beside the ESM copy the
 * runner was loaded from. The oops its models throw is then the other copy's KernelFault; a
 * prototype check would call it a thread that threw, and the other copy's ScenarioError an
 * internal bug. `Symbol.for` keys come from one registry per thread, whichever copy asks, so the
 * brand a class puts on its prototype is the same key in each copy. What reads a
 * branded object reads only what these classes have had from the start (`check`, `message`,
 * `state`, `name`), so copies of different versions still understand each other.
 *
 * Only the class that owns the brand answers by it: a subclass (ReplayDivergence) keeps plain
 * prototype instanceof, so `e instanceof ReplayDivergence` stays false for any other ScenarioError.
 */
function brand(cls: abstract new (...args: never[]) => object, key: string): void {
  const mark = Symbol.for(key);
  Object.defineProperty(cls.prototype, mark, { value: true });
  const byPrototype = Function.prototype[Symbol.hasInstance];
  Object.defineProperty(cls, Symbol.hasInstance, {
    value(this: unknown, v: unknown): boolean {
      if (this !== cls) return byPrototype.call(this, v);
      return (typeof v === 'object' || typeof v === 'function') && v !== null && (v as Record<symbol, unknown>)[mark] === true;
    },
  });
}

/**
 * A failure of the modeled kernel (NULL dereference, BUG_ON, bad unlock): a finding, not an error
 * of weft or of the scenario. Models throw it from an op's `run`; the execution records a violation.
 */
export class KernelFault extends Error {
  constructor(
    /** Which built-in check this is. */
    readonly check: BuiltinCheckId,
    message: string,
    /** The state the fault is about, e.g. `mn->hlist.pprev = NULL`. */
    readonly state?: string,
  ) {
    super(message);
    this.name = 'KernelFault';
  }
}
brand(KernelFault, 'weft-check.KernelFault');

/** The scenario itself is broken (it throws outside a modeled fault, a replay diverges). Exit 2. */
export class ScenarioError extends Error {
  override name = 'ScenarioError';
}
brand(ScenarioError, 'weft-check.ScenarioError');

/** The command line asks for something that does not exist or does not parse. Exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
brand(UsageError, 'weft-check.UsageError');

/** A bug in weft itself; the message says so, so users report it rather than debug their model. */
export class InternalError extends Error {
  override name = 'InternalError';
  constructor(message: string) {
    super(`[weft internal bug] ${message}`);
  }
}
brand(InternalError, 'weft-check.InternalError');

/** Helpers models use to report kernel faults. */
export function oops(message: string, state?: string): never {
  throw new KernelFault('oops', message, state);
}

export function bugOn(condition: boolean, message: string, state?: string): void {
  if (condition) throw new KernelFault('bug-on', message, state);
}

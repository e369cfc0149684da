import type { BuiltinCheckId } from './check-id';

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

/** The scenario itself is broken (it throws outside a modeled fault, a replay diverges). Exit 2. */
export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

/** The command line asks for something that does not exist or does not parse. Exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A bug in weft itself; the message says so, so users report it rather than debug their model. */
export class InternalError extends Error {
  override name = 'InternalError';
  constructor(message: string) {
    super(`[weft internal bug] ${message}`);
  }
}

/** Helpers models use to report kernel faults. */
export function oops(message: string, state?: string): never {
  throw new KernelFault('oops', message, state);
}

export function bugOn(condition: boolean, message: string, state?: string): void {
  if (condition) throw new KernelFault('bug-on', message, state);
}

/**
 * weft's public API, the one entry point of `src/`: what a scenario, a model and a test suite
 * import. models/ and scenarios/ reach weft only through this file (the architecture test pins it).
 */

// Writing scenarios: ops, threads, variants, expectations.
export { defineScenario, describeExpectation, letterOf } from './runtime/scenario';
export type { Expectation, Invariant, Params, Scenario, ScenarioSpec, ThreadBody, Variant } from './runtime/scenario';
export { perform } from './runtime/op';
export type { Access, HeldResource, Op, OtherTouch, SharedObject, Steps, ThreadContext, Waiter } from './runtime/op';
export { KernelFault, ScenarioError, UsageError, bugOn, oops } from './runtime/errors';
export type { BuiltinCheckId, CheckId } from './runtime/check-id';
export type { Violation } from './runtime/check';

// Detector libraries a model calls from its ops' `run` (lockdep, happens-before, lifetimes, …).
export { checkFieldRead, checkFieldWrite } from './checks/data-race';
export { hbAcquire, hbAtomic, hbPublish, hbRelease } from './checks/happens-before';
export { HARDIRQS_OFF, IN_HARDIRQ, IN_SOFTIRQ, SOFTIRQS_OFF, irqStateBits, irqStateKindOf } from './checks/irq-state';
export type { IrqStateKind, IrqStateObject } from './checks/irq-state';
export { lockdepAcquire, lockdepHeld, lockdepRelease, RECLAIM_CLASS } from './checks/lockdep';
export type { LockdepAcquireOptions } from './checks/lockdep';
export { enterReclaim, inReclaim, leaveReclaim, markReclaimCapableAllocation } from './checks/reclaim';
export { closeObligation, openObligation } from './checks/obligations';
export type { ObligationKind } from './checks/obligations';
export { refcountIncrementOnZero, refcountPutOfFreed, refcountUnderflow } from './checks/refcount';
export { describeSite, siteOf, threadName } from './checks/site';
export type { Site } from './checks/site';
export { atomicSection, checkMightSleep, inAtomic, wouldSleepInAtomic } from './checks/sleep-in-atomic';
export type { QuiescentOnSleep } from './checks/sleep-in-atomic';
export { assertLive, freeObject } from './checks/use-after-free';
export type { Mortal } from './checks/use-after-free';

// Checking: one variant's search, as tests and tools call it.
export type { ScenarioEntry } from './app/check';
export { checkVariant, paramsFor, variantOf } from './search/variant';
export type { CheckOptions } from './search/variant';
export { describeVerdict, matchesExpectation } from './search/verdict';
export type { Stats, Verdict } from './search/verdict';
export { DEFAULT_LIMITS } from './search/explorer';
export type { SearchLimits } from './search/explorer';

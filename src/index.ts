/** weft's public API: what scenarios and test suites import. */
export { defineScenario, describeExpectation } from './runtime/scenario';
export type { Expectation, Invariant, Params, Scenario, ScenarioSpec, ThreadBody, Variant } from './runtime/scenario';
export { perform } from './runtime/op';
export type { Access, HeldResource, Op, SharedObject, Steps, ThreadContext } from './runtime/op';
export { KernelFault, ScenarioError, UsageError, bugOn, oops } from './runtime/errors';
export type { CheckId, BuiltinCheckId } from './checks/check-id';
export type { Violation } from './checks/check';
export { checkVariant, paramsFor, variantOf } from './explore/check-variant';
export type { CheckOptions } from './explore/check-variant';
export { describeVerdict, matchesExpectation } from './explore/verdict';
export type { Stats, Verdict } from './explore/verdict';
export { DEFAULT_LIMITS } from './explore/explorer';
export type { SearchLimits } from './explore/explorer';

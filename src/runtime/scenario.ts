import type { CheckId } from './check-id';
import type { SharedObject, Steps, ThreadContext } from './op';

/** A thread: one CPU or task running a kernel code path over the world. */
export type ThreadBody<W> = (world: W, self: ThreadContext) => Steps<void>;

/**
 * A predicate over the world, checked after every step. It returns `true` when it holds, or a
 * message saying what is wrong (`mn->ops->release called 2 times`).
 */
export interface Invariant<W> {
  /** Stable kebab-case id; a variant can expect it (`{ violated: 'release-at-most-once' }`). */
  readonly id: string;
  /** One line in kernel terms: what must always be true. */
  readonly description: string;
  /** Evaluates the invariant on the current world. */
  readonly check: (world: W) => true | string;
  /**
   * Every object whose state `check` reads, ghost objects included (matched by name, so objects
   * made once at module level stand for the ones each setup builds). Partial-order reduction then
   * orders only the steps that write one of them (docs/modeling.md, "Invariants under partial-order
   * reduction"). Absent: the invariant may read the whole world, and every step that is not a
   * `read` is ordered against every other (sound, but it costs most of the reduction).
   * The footprint audit reports a read of any other shared object that a step writes.
   */
  readonly observes?: readonly SharedObject[];
}

/** What a variant declares it will do under exploration. */
export type Expectation =
  /** Every explored schedule satisfies every check and declared invariant. */
  | 'holds'
  /**
   * Some schedule violates this check (built-in id or one of the variant's invariants); with `and`,
   * each of those checks too, each by some schedule (the same one or another): the search goes on
   * until it has met every one, and a bound that stops it first makes it `incomplete`, naming the
   * ones not met.
   */
  | { readonly violated: CheckId; readonly and?: readonly CheckId[] };

/** One version of the code paths (buggy, fixed, …) with its own expectation and invariants. */
export interface Variant<W> {
  /** What the variant is expected to do. A variant that declares nothing is expected to hold. */
  readonly expect?: Expectation;
  /** One line: which kernel version or commit this variant's code is. */
  readonly summary: string;
  /** The invariants this variant is held to, on top of the built-in checks. */
  readonly invariants?: readonly Invariant<W>[];
  /**
   * Invariants of the final state, checked once when every thread has returned (not after a
   * crash, a deadlock or a cut). Equivalent interleavings end in the same state, so unlike
   * `invariants` they cost the reduction nothing.
   */
  readonly finalState?: readonly Invariant<W>[];
  /** Threads in display order: the first is A, the second B, … */
  readonly threads: Readonly<Record<string, ThreadBody<W>>>;
}

/** Scenario parameters: small integers a user can scale with `--param name=value`. */
export type Params = Readonly<Record<string, number>>;

/** A named race: how to build its world, and its variants side by side. */
export interface ScenarioSpec<W, P extends Params> {
  /** Stable kebab-case id, the name users type (`mmu-notifier-unregister-release`). */
  readonly id: string;
  /** One line in kernel terms. */
  readonly title: string;
  /** The commits the scenario models (short hashes with their subjects). */
  readonly commits: readonly string[];
  /** Default parameter values; `setup` receives them merged with the user's. */
  readonly params?: P;
  /** Allowed ranges of `--param` values; a parameter without one takes 0 … 1,000. */
  readonly paramLimits?: Readonly<Record<string, { readonly min: number; readonly max: number }>>;
  /** Builds a fresh world for one execution. Must be deterministic. */
  readonly setup: (params: P) => W;
  /** Variants in display order. */
  readonly variants: Readonly<Record<string, Variant<W>>>;
}

/**
 * A scenario with its world type erased, as the explorer and the registry hold it. The world is
 * opaque to everything but the scenario's own threads and invariants.
 */
export interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly commits: readonly string[];
  readonly params: Params;
  /** Allowed ranges of `--param` values; a parameter without one takes 0 … 1,000. */
  readonly paramLimits?: Readonly<Record<string, { readonly min: number; readonly max: number }>>;
  /** Source file, for CI annotations; set by the registry. */
  readonly file?: string;
  readonly setup: (params: Params) => object;
  readonly variants: Readonly<Record<string, Variant<object>>>;
}

/** Declares a scenario; the world type flows from `setup` into threads and invariants. */
export function defineScenario<W extends object, P extends Params = Params>(
  spec: ScenarioSpec<W, P>,
): Scenario {
  // why the cast: the registry holds scenarios of different world types; each scenario's own
  // threads only ever receive the world its own setup built, so erasing W here is sound.
  return { params: {}, ...spec } as unknown as Scenario;
}

/** Thread names of a variant in display order, with their letters. */
export function threadLetters(variant: Variant<object>): { name: string; letter: string }[] {
  return Object.keys(variant.threads).map((name, i) => ({ name, letter: letterOf(i) }));
}

/** A, B, … Z, then T26, T27, … for very wide scenarios. */
export function letterOf(index: number): string {
  return index < 26 ? String.fromCharCode(65 + index) : `T${index}`;
}

/** Expectation as text: `holds`, `violated:oops`, or `violated:assertion+deadlock` for several. */
export function describeExpectation(e: Expectation | undefined): string {
  if (e === undefined || e === 'holds') return 'holds';
  return `violated:${expectedChecks(e).join('+')}`;
}

/** The checks an expectation asks to see violated, in declared order without repeats; none for `holds`. */
export function expectedChecks(e: Expectation | undefined): readonly CheckId[] {
  if (e === undefined || e === 'holds') return [];
  if (e.and === undefined || e.and.length === 0) return [e.violated];
  return [...new Set([e.violated, ...e.and])];
}

/**
 * A variant's declarations checked before anything runs: thread bodies that are functions,
 * invariants that are `{ id, description, check, observes? }`, and an expectation that names checks
 * the variant can report. A scenario written in JavaScript (or cast past the types) otherwise
 * fails deep inside the explorer as an internal bug, or, for a misspelt expectation, searches to
 * the end for a check that no schedule can report and says NOT AS EXPECTED.
 */
import { BUILTIN_CHECKS, isBuiltinCheck } from './check-id';
import { UsageError } from './errors';
import type { Invariant, Scenario, Variant } from './scenario';

/** Throws a UsageError naming the first malformed declaration of `variant`. */
export function checkVariantShape(scenario: Scenario, variant: Variant<object>): void {
  const name = Object.entries(scenario.variants).find(([, v]) => v === variant)?.[0];
  const where = name === undefined ? scenario.id : `${scenario.id}/${name}`;
  for (const [thread, body] of Object.entries(variant.threads)) {
    if (typeof body !== 'function') {
      throw new UsageError(`${where}: thread ${thread} is ${describe(body)}, not a function (write it as function* (w) { … })`);
    }
  }
  // why no rule against two invariants with one id: one check split by footprint (one invariant
  // per page, each observing only its page) is one check to the expectation that names it
  const ids = new Set<string>();
  for (const [field, list] of [['invariants', variant.invariants], ['finalState', variant.finalState]] as const) {
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new UsageError(`${where}: ${field} is ${describe(list)}, not an array of { id, description, check }`);
    list.forEach((inv: unknown, i) => {
      const id = checkInvariant(where, `${field}[${i}]`, inv);
      if (isBuiltinCheck(id)) throw new UsageError(`${where}: ${field}[${i}] has the id ${id}, which is a built-in check's: give the invariant an id of its own`);
      ids.add(id);
    });
  }
  const e: unknown = variant.expect;
  if (e === undefined || e === 'holds') return;
  if (e === null || typeof e !== 'object' || typeof (e as { violated?: unknown }).violated !== 'string') {
    throw new UsageError(`${where}: expect is ${describe(e)}; write 'holds' or { violated: 'check-id' }`);
  }
  const and = (e as { and?: unknown }).and;
  if (and !== undefined && (!Array.isArray(and) || and.some((x) => typeof x !== 'string'))) {
    throw new UsageError(`${where}: expect.and is ${describe(and)}, not an array of check ids`);
  }
  for (const check of [(e as { violated: string }).violated, ...((and as string[] | undefined) ?? [])]) {
    if (isBuiltinCheck(check) || ids.has(check)) continue;
    const own = [...ids];
    throw new UsageError(
      `${where} expects ${check}, which is neither a built-in check nor an invariant of the variant (${own.length > 0 ? `its invariants: ${own.join(', ')}; ` : ''}built-in: ${Object.keys(BUILTIN_CHECKS).join(', ')})`,
    );
  }
}

/** The invariant's id, once its shape is right. */
function checkInvariant(where: string, at: string, inv: unknown): string {
  if (inv === null || typeof inv !== 'object') throw new UsageError(`${where}: ${at} is ${describe(inv)}, not { id, description, check }`);
  const { id, check, observes } = inv as Partial<Invariant<object>> & { readonly observes?: unknown };
  if (typeof id !== 'string' || id.length === 0) throw new UsageError(`${where}: ${at} has no id (a kebab-case string that expectations name)`);
  if (typeof check !== 'function') throw new UsageError(`${where}: invariant ${id} has check ${describe(check)}, not a function (world) => true | 'what is wrong'`);
  if (observes !== undefined) {
    if (!Array.isArray(observes)) {
      throw new UsageError(`${where}: invariant ${id} has observes ${describe(observes)}, not an array of the shared objects it reads (matched by name)`);
    }
    observes.forEach((o: unknown, k) => {
      if (o === null || typeof o !== 'object' || typeof (o as { name?: unknown }).name !== 'string') {
        throw new UsageError(`${where}: invariant ${id} has observes[${k}] ${describe(o)}, not a shared object with a name`);
      }
    });
  }
  return id;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'string') return `'${v}'`;
  return typeof v === 'object' ? 'an object' : String(v);
}

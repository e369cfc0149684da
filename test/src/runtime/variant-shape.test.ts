/**
 * A variant's declarations are checked before anything runs (src/runtime/variant-shape.ts): a
 * scenario written in JavaScript, or cast past the types, gets one line naming what is wrong and
 * exit 2, not an internal bug from deep in the explorer, and a misspelt expectation is an error,
 * not a search to the end for a check nothing can report.
 */
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main';
import { defineScenario, type Scenario, type Variant } from '../../../src/runtime/scenario';
import { perform } from '../../../src/runtime/op';
import { UsageError } from '../../../src/runtime/errors';
import { checkVariant } from '../../../src/search/variant';

const nothing = function* () {};
const inv = { id: 'x-small', description: 'x stays small', check: () => true as const };

function withVariant(variant: unknown): Scenario {
  return defineScenario<object>({ id: 'user', title: 'a user scenario', commits: [], setup: () => ({}), variants: { main: variant as Variant<object> } });
}

async function cli(scenario: Scenario) {
  let out = '';
  let err = '';
  const io = { out: (s: string) => void (out += s), err: (s: string) => void (err += s), isTTY: false, env: {} };
  const code = await main([scenario.id, '--no-timing'], io, [{ scenario, file: 'user/s.ts' }]);
  return { code, out, err };
}

const CASES: readonly [string, unknown, RegExp][] = [
  ['a thread that is not a function', { summary: 's', threads: { a: 5 } }, /^user\/main: thread a is 5, not a function/],
  ['invariants that are not an array', { summary: 's', invariants: inv, threads: { a: nothing } }, /^user\/main: invariants is an object, not an array/],
  ['an invariant without an id', { summary: 's', invariants: [{ description: 'd', check: () => true }], threads: { a: nothing } }, /^user\/main: invariants\[0\] has no id/],
  ['a check that is not a function', { summary: 's', finalState: [{ ...inv, check: true }], threads: { a: nothing } }, /^user\/main: invariant x-small has check true, not a function/],
  ['observes given as a function of the world', { summary: 's', invariants: [{ ...inv, observes: () => [] }], threads: { a: nothing } }, /^user\/main: invariant x-small has observes a function, not an array/],
  ['observes holding something that is not a shared object', { summary: 's', invariants: [{ ...inv, observes: ['x'] }], threads: { a: nothing } }, /^user\/main: invariant x-small has observes\[0\] 'x', not a shared object/],
  ["an invariant with a built-in check's id", { summary: 's', invariants: [{ ...inv, id: 'deadlock' }], threads: { a: nothing } }, /^user\/main: invariants\[0\] has the id deadlock, which is a built-in check's/],
  ['a misspelt holds', { summary: 's', expect: 'hold', threads: { a: nothing } }, /^user\/main: expect is 'hold'; write 'holds' or \{ violated: 'check-id' \}$/],
  ['an expected check that nothing can report', { summary: 's', expect: { violated: 'x-smal' }, invariants: [inv], threads: { a: nothing } }, /^user\/main expects x-smal, which is neither a built-in check nor an invariant of the variant \(its invariants: x-small; built-in: oops, /],
  ['an and-list that is not a list of ids', { summary: 's', expect: { violated: 'deadlock', and: 'oops' }, threads: { a: nothing } }, /^user\/main: expect.and is 'oops', not an array of check ids$/],
];

describe('malformed variant declarations', () => {
  for (const [what, variant, message] of CASES) {
    it(`${what}: a usage error naming it, before anything runs`, async () => {
      const s = withVariant(variant);
      expect(() => checkVariant(s, 'main')).toThrow(UsageError);
      expect(() => checkVariant(s, 'main')).toThrow(message);
      const r = await cli(s);
      expect(r.code).toBe(2);
      expect(r.err).not.toMatch(/internal bug/);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    });
  }

  it('well-formed declarations pass: one id shared by two invariants, and a final-state invariant expected by id', () => {
    const x = { name: 'x', value: 0 };
    const grow = function* () {
      yield* perform<void>({ object: x, access: 'write', label: 'x = 5', run: () => void (x.value = 5) });
    };
    const small = { id: 'x-small', description: 'x stays small', check: () => x.value < 3 || `x = ${x.value}` };
    const twoFootprints = [small, { ...small, check: () => true as const }];
    const reset = () => void (x.value = 0);
    const s = defineScenario<object>({
      id: 'user',
      title: 'a user scenario',
      commits: [],
      setup: () => (reset(), { x }),
      variants: {
        main: { summary: 's', expect: { violated: 'x-small' }, invariants: twoFootprints, threads: { a: grow } },
        final: { summary: 's', expect: { violated: 'x-small' }, finalState: [small], threads: { a: grow } },
      },
    });
    expect(checkVariant(s, 'main', { limits: { auditExecutions: 0 } }).kind).toBe('violated');
    expect(checkVariant(s, 'final', { limits: { auditExecutions: 0 } }).kind).toBe('violated');
  });
});

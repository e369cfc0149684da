import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/runtime/errors';
import {
  SCHEDULE_STEPS_MAX,
  decodeSchedule,
  decodeToken,
  encodeSchedule,
  encodeToken,
  nonDefaultParams,
} from '../../../src/trace/schedule-token';

describe('schedule token', () => {
  it('is readable: run-length thread letters', () => {
    expect(encodeSchedule([0, 0, 0, 0, 0, 1, 1, 0])).toBe('A5B2A');
    expect(encodeToken({ scenario: 's-1', variant: 'buggy', params: {}, schedule: [0, 1] })).toBe('w1:s-1/buggy:AB');
    expect(encodeToken({ scenario: 's', variant: 'v', params: { z: 2, a: -1 }, schedule: [2] })).toBe('w1:s/v,a=-1,z=2:C');
    expect(encodeSchedule([30, 30, 1])).toBe('{30}2B');
    // Variant names may carry versions: v4.14-buggy.
    expect(decodeToken('w1:hmm-mirror/v4.14-buggy:A5')).toMatchObject({ scenario: 'hmm-mirror', variant: 'v4.14-buggy' });
  });

  it('round-trips any schedule and parameters (property, seed fixed)', () => {
    const token = fc.record({
      scenario: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/),
      variant: fc.stringMatching(/^[a-z][a-z0-9.-]{0,10}$/),
      params: fc.dictionary(fc.stringMatching(/^[a-z][A-Za-z0-9_]{0,6}$/), fc.integer({ min: -50, max: 50 })),
      schedule: fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 60 }),
    });
    fc.assert(
      fc.property(token, (t) => {
        const back = decodeToken(encodeToken(t));
        expect(back.schedule).toEqual(t.schedule);
        expect(back.scenario).toBe(t.scenario);
        expect(back.variant).toBe(t.variant);
        expect(back.params).toEqual({ ...t.params });
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it('rejects what is not a token, naming what it expected', () => {
    expect(() => decodeToken('A5B2')).toThrow(/not a replay token/);
    expect(() => decodeToken('w9:s/v:AB')).toThrow(/version 'w9' is not supported/);
    expect(() => decodeSchedule('A5b')).toThrow(/character 3/);
    expect(() => decodeSchedule('A0')).toThrow(/a run of 0 steps/);
  });

  it('refuses absurd run lengths before running or allocating them, in one line', () => {
    const refused = (text: string): UsageError => {
      try {
        decodeToken(text);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        expect((e as Error).message).not.toContain('\n');
        return e as UsageError;
      }
      throw new Error(`'${text}' was accepted`);
    };
    expect(refused('w1:x/y:A999999999999').message).toMatch(/run of 999999999999 steps takes the schedule past 10,000,000 steps/);
    // Not a safe integer: Number() would round it.
    expect(refused('w1:x/y:A99999999999999999999').message).toMatch(/past 10,000,000 steps/);
    expect(refused(`w1:x/y:A${'9'.repeat(400)}`).message.length).toBeLessThan(300);
    // Runs that fit one by one but not together.
    expect(refused(`w1:x/y:A${SCHEDULE_STEPS_MAX}B`).message).toMatch(/character \d+ .*past 10,000,000 steps/);
    expect(refused('w1:x/y:A6000000B6000000').message).toMatch(/run of 6000000 steps/);
    expect(refused('w1:x/y:A0').message).toMatch(/a run of 0 steps/);
    expect(refused('w1:x/y:A000').message).toMatch(/a run of 0 steps/);
    expect(refused('w1:x/y:{99999999999999999999}').message).toMatch(/not a thread number/);
    expect(refused(`w1:x/y:${'A'.repeat(80)}\nB`).message).toMatch(/not a replay token/);
  });

  it('accepts a schedule right at the bound', () => {
    const s = decodeSchedule(`A${SCHEDULE_STEPS_MAX - 1}B`);
    expect(s.length).toBe(SCHEDULE_STEPS_MAX);
    expect(s[SCHEDULE_STEPS_MAX - 1]).toBe(1);
  });

  it('carries only parameters that differ from the defaults', () => {
    expect(nonDefaultParams({ n: 1, m: 2 }, { n: 1, m: 3 })).toEqual({ m: 3 });
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSchedule, decodeToken, encodeSchedule, encodeToken, nonDefaultParams } from '../../../src/trace/schedule-token';

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

  it('carries only parameters that differ from the defaults', () => {
    expect(nonDefaultParams({ n: 1, m: 2 }, { n: 1, m: 3 })).toEqual({ m: 3 });
  });
});

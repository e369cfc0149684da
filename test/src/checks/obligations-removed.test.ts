import { describe, expect, it, vi } from 'vitest';

// The obligations detector with its books switched off: what the mutants below are left with
// when the check is removed. Each holds, so range-not-ended and reference-leak are what catch them.
vi.mock('../../../src/checks/obligations', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/checks/obligations')>();
  return { ...real, openObligation: () => {} };
});

const { mutants: s4Mutants, default: s4 } = await import('../../../scenarios/mmu-notifier-sleeping-callbacks');
const { mutants: s6aMutants, default: s6a } = await import('../../../scenarios/secondary-mmu-fault-vs-invalidate');
const { checkVariant } = await import('../../../src/index');
type Scenario = import('../../../src/index').Scenario;

function alone(scenario: Scenario, name: string, variant: unknown): Scenario {
  return { ...scenario, variants: { [name]: variant } } as unknown as Scenario;
}

describe('without the obligations check, the mutants it catches hold', () => {
  it('S4 range-args-no-end (invalidate_range_end forgotten)', () => {
    expect(checkVariant(alone(s4, 'range-args-no-end', s4Mutants['range-args-no-end']), 'range-args-no-end').kind).toBe('holds');
  });

  it('S6a no-release-pfn (kvm_release_pfn_clean forgotten)', () => {
    expect(checkVariant(alone(s6a, 'no-release-pfn', s6aMutants['no-release-pfn']), 'no-release-pfn').kind).toBe('holds');
  });
});

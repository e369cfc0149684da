import { describe, expect, it } from 'vitest';
import s12, { mutants } from '../../scenarios/hmm-mirror-snapshot-vs-invalidate';
import { checkVariant, type Scenario } from '../../src/index';
import { recordTrace, type Trace } from '../../src/trace/trace';

function violatedTrace(variant: string): Trace {
  const scenario = variant in mutants ? withMutant(variant as keyof typeof mutants) : s12;
  // every mutant and variant also passes the footprint audit on each execution
  const v = checkVariant(scenario, variant, { limits: { auditExecutions: 1_000 } });
  if (v.kind !== 'violated') throw new Error(`${variant}: expected a violation, got ${v.kind}`);
  expect(v.violations.map((x) => x.check)).toEqual(['smmu-no-freed']);
  return recordTrace(scenario, variant, scenario.variants[variant]!, s12.params, v.schedule);
}

/** The scenario with one of its exported mutants as its only variant. */
function withMutant(name: keyof typeof mutants): Scenario {
  return { ...s12, variants: { [name]: mutants[name] } } as unknown as Scenario;
}

function at(t: Trace, letter: string, label: RegExp): number {
  return t.steps.findIndex((s) => t.threads[s.thread]!.letter === letter && label.test(s.label));
}

describe('hmm-mirror-snapshot-vs-invalidate (c0b124054f9e, ec131b2d7fa6, 99cb252f5e68)', () => {
  it('v4.14-buggy: the page is freed before range_end zaps the device (no interleaving needed)', () => {
    const t = violatedTrace('v4.14-buggy');
    const free = at(t, 'A', /free_pages_and_swap_cache/);
    expect(t.steps[free]!.violations.map((v) => v.check)).toEqual(['smmu-no-freed']);
    const sync = at(t, 'A', /sync_cpu_device_pagetables/);
    expect(sync === -1 || sync > free).toBe(true);
  });

  it('v4.20-fixed holds', () => {
    expect(checkVariant(s12, 'v4.20-fixed').kind).toBe('holds');
  });

  it('no-retry-buggy: the snapshot is taken before the invalidation and programmed after the free', () => {
    const t = violatedTrace('no-retry-buggy');
    expect(at(t, 'A', /^ptep_get/)).toBeLessThan(at(t, 'B', /ptep_clear_flush/));
    expect(at(t, 'B', /free_pages_and_swap_cache/)).toBeLessThan(at(t, 'A', /dpte\[0x1000\] = P/));
  });

  it('unlocked-commit-buggy: the invalidation runs between the retry test and the device write', () => {
    const t = violatedTrace('unlocked-commit-buggy');
    expect(at(t, 'A', /mmu_interval_read_retry/)).toBeLessThan(at(t, 'B', /^dev_invalidate/));
    expect(at(t, 'B', /^dev_invalidate/)).toBeLessThan(at(t, 'A', /update lock dropped/));
  });

  it('fixed: holds on every schedule, with one attempt and with three', () => {
    const v = checkVariant(s12, 'fixed');
    expect(v.kind).toBe('holds');
    expect(v.stats.executions).toBeGreaterThan(10);
    expect(checkVariant(s12, 'fixed', { params: { attempts: 1 } }).kind).toBe('holds');
    expect(checkVariant(s12, 'fixed', { params: { attempts: 3 } }).kind).toBe('holds');
  });

  // The fix's parts, each removed in a named mutant the scenario exports; each must end with the
  // device mapping the freed page, for the reason that part prevents.
  it('no-set-seq: the callback zaps, but a snapshot from before it passes read_retry and is programmed after', () => {
    const t = violatedTrace('no-set-seq');
    const inv = at(t, 'B', /^dev_invalidate/);
    expect(t.steps[inv]!.label).not.toMatch(/mmu_interval_set_seq/);
    expect(at(t, 'A', /^ptep_get/)).toBeLessThan(at(t, 'B', /ptep_clear_flush/));
    expect(inv).toBeLessThan(at(t, 'A', /dpte\[0x1000\] = P/));
  });

  it('no-zap: the entry the device had before the invalidation stays after the free', () => {
    const t = violatedTrace('no-zap');
    const free = at(t, 'B', /free_pages_and_swap_cache/);
    expect(t.steps[free]!.violations.map((v) => v.check)).toEqual(['smmu-no-freed']);
    expect(t.steps[at(t, 'B', /^dev_invalidate/)]!.label).not.toMatch(/zap dpte/);
  });

  it('read-begin-no-wait: read_begin during the invalidation returns at once, and the snapshot sees the PTE not yet cleared', () => {
    const t = violatedTrace('read-begin-no-wait');
    const begin = t.steps.findIndex((x, i) => t.threads[x.thread]!.letter === 'A' && /^mmu_interval_read_begin/.test(x.label) && i > at(t, 'B', /^dev_invalidate/));
    expect(begin).toBeGreaterThan(0);
    const snap = t.steps.findIndex((x, i) => i > begin && t.threads[x.thread]!.letter === 'A' && /^ptep_get/.test(x.label));
    expect(snap).toBeLessThan(at(t, 'B', /ptep_clear_flush/));
    expect(t.steps[snap]!.result).not.toBe('NULL');
  });

  it('the mutants are not registry variants', () => {
    expect(Object.keys(s12.variants)).toEqual(['v4.14-buggy', 'v4.20-fixed', 'no-retry-buggy', 'unlocked-commit-buggy', 'fixed']);
    for (const m of Object.values(mutants)) expect(m.expect).toEqual({ violated: 'smmu-no-freed' });
  });
});

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { countRatio, renderFamilies, type FamilyCaps, type FamilyMeasurement } from '../../bench/families';
import { parseBenchArgs, type BenchOptions } from '../../bench/options';
import { programs } from '../../bench/programs';
import { measureFamilies, QUICK_EXPECTED_MAX, selectPrograms } from '../../bench/report';
import { growthOf } from '../../bench/scaling';
import { runSearch } from '../../bench/search';
import { DfsStrategy } from '../../src/search/strategies/dfs';
import { lastzero } from '../../bench/programs';

// why: counts only. No bare loop and no repeated runs for rates; timings are not asserted.
const COUNT_ONLY: FamilyCaps = { dfsTimeMsMax: 20_000, bareTimeMsMax: null, rateMinMs: 0 };

function quick(): BenchOptions {
  const o = parseBenchArgs(['--quick']);
  if (o === 'help') throw new Error('unexpected help');
  return o;
}

describe('npm run bench -- --quick: the count part', () => {
  const selection = selectPrograms(programs, quick());

  it('selects some program of every family, each within the quick size', () => {
    const families = new Set(programs.map((p) => p.id));
    expect(new Set(selection.map((p) => p.id))).toEqual(families);
    for (const p of selection) expect(p.expected).toBeLessThanOrEqual(QUICK_EXPECTED_MAX);
  });

  it('dfs finds exactly the published count of every selected program (ratio 1.00)', () => {
    const rows = measureFamilies(selection, COUNT_ONLY, () => {});
    const counted = rows.map((r) => ({ id: r.program.id, params: r.program.params, outcome: r.outcome, executions: r.stats.executions }));
    const published = rows.map((r) => ({ id: r.program.id, params: r.program.params, outcome: 'holds', executions: r.program.expected }));
    expect(counted).toEqual(published);
    for (const r of rows) {
      expect(r.stats.executionsAbandoned).toBe(0);
      expect(countRatio(r).toFixed(2)).toBe('1.00');
    }
    expect(renderFamilies(rows, COUNT_ONLY)).toContain('every finished row matches its published count');
  });
});

describe('a family row measured in a child process (as npm run bench measures each)', () => {
  it('prints the row as JSON, with the published count', () => {
    const request = JSON.stringify({ id: 'lastzero', params: { n: 3 }, caps: COUNT_ONLY });
    const child = spawnSync('npx', ['tsx', 'bench/family-process.ts', request], { encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    const row = JSON.parse(child.stdout) as FamilyMeasurement;
    expect(row.outcome).toBe('holds');
    expect(row.stats.executions).toBe(12);
    expect(row.bare).toBeNull();
  });

  it('fails loudly on a row that is no benchmark program', () => {
    const request = JSON.stringify({ id: 'lastzero', params: { n: 99 }, caps: COUNT_ONLY });
    const child = spawnSync('npx', ['tsx', 'bench/family-process.ts', request], { encoding: 'utf8' });
    expect(child.status).toBe(2);
    expect(child.stderr).toContain('no benchmark program matches');
  });
});

describe('bench options', () => {
  it('a family filter runs only the families section, a scenario filter scenarios and bounded', () => {
    const f = parseBenchArgs(['--family', 'mpat,lastzero']);
    const s = parseBenchArgs(['--scenario', 'mmu-notifier']);
    if (f === 'help' || s === 'help') throw new Error('unexpected help');
    expect([...f.sections]).toEqual(['families']);
    expect(f.families).toEqual(['mpat', 'lastzero']);
    expect([...s.sections]).toEqual(['scenarios', 'bounded']);
  });

  it('rejects an unknown section', () => {
    expect(() => parseBenchArgs(['--section', 'nope'])).toThrow(/unknown section 'nope'/);
  });
});

describe('bench caps', () => {
  it('a search cut by a cap is reported capped with a lower-bound count, never as finished', () => {
    const r = runSearch({ scenario: lastzero({ n: 10 }), params: { n: 10 }, strategy: new DfsStrategy(), timeMsMax: 60_000, executionsMax: 10 });
    expect(r.capped).toBe(true);
    expect(r.verdict.kind).toBe('incomplete');
    expect(r.stats.executions).toBe(10);
  });

  it('a parameter grows from its default by one; a default of 0 is a switch', () => {
    expect(growthOf(1, 3)).toEqual([2, 3, 4]);
    expect(growthOf(0, 3)).toEqual([1]);
  });
});

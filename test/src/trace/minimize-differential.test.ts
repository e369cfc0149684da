/**
 * The minimizer's printed claim against an oracle: on seeded random programs whose threads block
 * (awaits on a cell, locks, deadlocks), plain enumeration of every schedule gives, per check, the
 * fewest preemptions up to the violation. Where the minimizer says its count is proven minimal it
 * must equal that minimum; where it does not say so it may not be below it either.
 */
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { ExecutionRunner, type ChoicePoint, type Scheduler } from '../../../src/runtime/execution';
import type { Scenario } from '../../../src/runtime/scenario';
import { randomBlockingProgram } from '../search/blocking-programs';
import { DfsStrategy } from '../../../src/search/strategies/dfs';
import { ExhaustiveStrategy } from '../../../src/search/strategies/exhaustive';
import { checkVariant } from '../../../src/search/variant';
import { minimizeSchedule } from '../../../src/trace/minimize';

/** Per check, the fewest preemptions up to its violation over every schedule (plain enumeration). */
function fewestPreemptions(p: Scenario): Map<string, number> {
  const variant = p.variants.main!;
  const runner = new ExecutionRunner(p, variant, p.params);
  const strategy = new ExhaustiveStrategy();
  const through: number[] = [];
  const meter: Scheduler = {
    choose(point: ChoicePoint) {
      const t = strategy.choose(point);
      const q = point.previous;
      const preempts = q >= 0 && t !== q && point.enabled.includes(q) ? 1 : 0;
      through[point.step] = (point.step > 0 ? through[point.step - 1]! : 0) + preempts;
      return t;
    },
  };
  const best = new Map<string, number>();
  while (strategy.beginExecution()) {
    const outcome = runner.run(meter);
    strategy.endExecution(outcome);
    for (const v of outcome.violations) {
      const steps = Math.min(v.step, outcome.steps);
      const cost = steps > 0 ? through[steps - 1]! : 0;
      if (!best.has(v.check) || cost < best.get(v.check)!) best.set(v.check, cost);
    }
  }
  return best;
}

const PROGRAMS = Number(process.env.WEFT_DIFF_PROGRAMS ?? 1500);

describe('minimizer against plain enumeration, on blocking programs', () => {
  it(`the fewest preemptions claimed is the fewest there are (${PROGRAMS} programs)`, () => {
    const rng = seedrandom(process.env.WEFT_DIFF_SEED ?? 'minimize-differential');
    let claimed = 0;
    let compared = 0;
    let needPreemptions = 0;
    const wrong: string[] = [];
    for (let i = 0; i < PROGRAMS; i++) {
      const p = randomBlockingProgram(rng, i);
      const oracle = fewestPreemptions(p);
      for (const [check, min] of oracle) {
        const v = p.variants.main!;
        const found = checkVariant({ ...p, variants: { main: { ...v, expect: { violated: check } } } }, 'main', { strategy: new DfsStrategy() });
        // why: dfs must reach every check that plain enumeration reaches (its own differential test)
        expect(found.kind, `${p.id} ${check}`).toBe('violated');
        if (found.kind !== 'violated') continue;
        const m = minimizeSchedule({ scenario: p, variant: v, params: p.params, schedule: found.schedule, check });
        compared++;
        if (min > 0) needPreemptions++;
        if (m.minimized.preemptions < min) wrong.push(`${p.id} ${check}: ${m.minimized.preemptions} < oracle ${min}`);
        if (m.preemptionsProvenMinimal) {
          claimed++;
          if (m.minimized.preemptions !== min) wrong.push(`${p.id} ${check}: claimed minimal ${m.minimized.preemptions}, oracle ${min}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    // why: a sample where nothing is compared, or nothing claimed, would pass vacuously
    expect(compared).toBeGreaterThan(PROGRAMS / 2);
    expect(claimed).toBe(compared);
    // why: the claim is only tested where a preemption is needed; 1,500 programs give about 30
    expect(needPreemptions).toBeGreaterThan(PROGRAMS / 100);
  }, 120_000);
});

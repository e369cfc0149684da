/**
 * Differential test of split searches: on seeded random programs, the partitions of the top of the
 * tree, each explored by `dfs` with its prefix and sleepers, find together exactly the classes of
 * one unsplit `dfs` search, each in one partition only, and fire the same checks.
 */
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { DfsStrategy } from '../../../src/search/strategies/dfs';
import { DEFAULT_LIMITS } from '../../../src/search/explorer';
import { partitionSearch } from '../../../src/distribute/partition';
import { collect } from '../search/collect';
import { DIFF_TIMEOUT_MS, randomProgram } from '../search/random-programs';
import { randomBlockingProgram } from '../search/blocking-programs';
import { randomChoosingProgram } from '../search/choose-programs';
import { randomModelProgram } from '../search/model-programs';
import { randomRcuProgram } from '../search/rcu-programs';
import type { Scenario } from '../../../src/runtime/scenario';

// why 1,500 in npm test: time; WEFT_DIFF_PROGRAMS raises it for a long run
const PROGRAMS = Number(process.env.WEFT_DIFF_PROGRAMS ?? 1_500);
const SEED = process.env.WEFT_DIFF_SEED ?? 'weft-partition-differential-1';
// why small: the random programs are short, and the default rule would expand most of them whole;
// the unprobed rules split on the lowest runnable thread whatever it costs, so they check that any
// split adds up, and the probed one that probing keeps the waste down
const RULES = [
  { partitionsMin: 2, depthMax: 1, probeExecutions: 0 },
  { partitionsMin: 6, depthMax: 3, probeExecutions: 0 },
  { partitionsMin: 1_000, depthMax: 16, probeExecutions: 0 },
  { partitionsMin: 8, depthMax: 16, probeExecutions: 4 },
];

describe(`split dfs equals one dfs search on ${PROGRAMS} random programs (seed ${SEED})`, () => {
  it('same classes, each in exactly one partition, same checks fired', () => {
    const rng = seedrandom(SEED);
    const failures: string[] = [];
    let partitionsTotal = 0;
    let partitionsProbed = 0;
    const redundant = RULES.map(() => 0);
    let classesTotal = 0;
    for (let i = 0; i < PROGRAMS && failures.length < 5; i++) {
      const p = randomProgram(rng, i);
      const variant = p.variants.main!;
      const whole = collect(p, 'main', new DfsStrategy());
      const want = [...whole.classes].sort();
      classesTotal += want.length;
      for (const [r, rule] of RULES.entries()) {
        const parts = partitionSearch(p, variant, p.params, DEFAULT_LIMITS, true, rule);
        partitionsTotal += parts.length;
        if (r === 3) partitionsProbed += parts.length;
        const got: string[] = [];
        const checks = new Set<string>();
        for (const part of parts) {
          const c = collect(p, 'main', new DfsStrategy({ prefix: part.prefix, sleeping: part.sleeping }));
          got.push(...c.classes);
          redundant[r]! += c.abandoned;
          for (const x of c.checks) checks.add(x);
        }
        got.sort();
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          failures.push(`program ${i}, rule ${JSON.stringify(rule)}: split ${JSON.stringify(got)} vs whole ${JSON.stringify(want)}`);
        } else if ([...whole.checks].sort().join() !== [...checks].sort().join()) {
          failures.push(`program ${i}, rule ${JSON.stringify(rule)}: checks ${[...checks]} vs ${[...whole.checks]}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(partitionsTotal).toBeGreaterThan(PROGRAMS * RULES.length);
    // probed splits waste little: 116 redundant executions for 114,283 classes in 19,918 partitions
    // on this sample, against 15,875 with the same rule unprobed
    expect(partitionsProbed).toBeGreaterThan(PROGRAMS * 3);
    expect(redundant[3]!).toBeLessThan(classesTotal / 100);
  }, DIFF_TIMEOUT_MS);
});

// why these: their waits are decided on copies, over several objects, on commuting changes, or on
// models/' own enabledAt, or their threads choose, and a split search starts each partition from a
// prefix it replays
const WAITING: Readonly<Record<string, (rng: () => number, i: number) => Scenario>> = {
  'awaits on copies over both cells': (rng, i) => randomBlockingProgram(rng, i, { invariant: false, copies: true, several: true }),
  'opaque awaits over both cells': (rng, i) => randomBlockingProgram(rng, i, { invariant: false, keyed: false, several: true }),
  'RCU, synchronize_rcu opaque': (rng) => randomRcuProgram(rng, { opaque: true }),
  "models/' waiting primitives": (rng) => randomModelProgram(rng),
  // why: a split never fixes a choice in its prefix, and each value is a branch of its own below
  'threads that choose': (rng) => randomChoosingProgram(rng),
};
const WAITING_PROGRAMS = Math.max(1, Math.round(PROGRAMS / 30));

describe(`split dfs equals one dfs search on programs that wait (${WAITING_PROGRAMS} each)`, () => {
  for (const [name, make] of Object.entries(WAITING)) {
    it(name, () => {
      const rng = seedrandom(`${SEED}:${name}`);
      const failures: string[] = [];
      let classes = 0;
      for (let i = 0; i < WAITING_PROGRAMS && failures.length < 5; i++) {
        const p = make(rng, i);
        const want = [...collect(p, 'main', new DfsStrategy()).classes].sort();
        classes += want.length;
        for (const rule of RULES) {
          const got: string[] = [];
          for (const part of partitionSearch(p, p.variants.main!, p.params, DEFAULT_LIMITS, true, rule)) {
            got.push(...collect(p, 'main', new DfsStrategy({ prefix: part.prefix, sleeping: part.sleeping })).classes);
          }
          got.sort();
          if (JSON.stringify(got) !== JSON.stringify(want)) failures.push(`program ${i}, rule ${JSON.stringify(rule)}: split ${got.length} classes vs whole ${want.length}`);
        }
      }
      expect(failures).toEqual([]);
      expect(classes).toBeGreaterThan(WAITING_PROGRAMS * 5);
    }, DIFF_TIMEOUT_MS);
  }
});

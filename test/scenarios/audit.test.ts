/**
 * Every registry scenario passes the audits (docs/modeling.md, "What weft checks"): the first
 * executions of each variant's search, each one audited (every access against the declarations,
 * setup and the schedule re-run and compared). A model error would throw a ScenarioError here.
 */
import { describe, expect, it } from 'vitest';
import { scenarios } from '../../scenarios/index';
import { checkVariant } from '../../src/search/variant';

// why 10 and not the default 50: it keeps this file to a few seconds; `check --all` audits 50
const AUDITED = 10;

describe('registry scenarios pass the footprint and determinism audits', () => {
  for (const { scenario } of scenarios) {
    it(scenario.id, () => {
      for (const name of Object.keys(scenario.variants)) {
        const v = checkVariant(scenario, name, { limits: { auditExecutions: AUDITED, executionsMax: AUDITED } });
        expect(v.stats.executions + v.stats.executionsAbandoned).toBeGreaterThan(0);
      }
    });
  }
});

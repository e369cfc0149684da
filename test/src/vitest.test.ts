/**
 * The test-runner integration (src/vitest.ts) on a registry scenario: the matchers pass on what
 * is true, fail on what is not with the minimized table and replay command in the message, and
 * checkEveryVariant makes one test per variant.
 */
import { describe, expect, it } from 'vitest';
import scenario from '../../scenarios/mmu-notifier-unregister-release';
import { checkEveryVariant, setupWeft, weftMatchers } from '../../src/vitest';

setupWeft();

/** The message a failing assertion throws. */
function failure(assert: () => unknown): string {
  try {
    assert();
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  throw new Error('the assertion passed');
}

async function failureAsync(assert: () => Promise<unknown>): Promise<string> {
  try {
    await assert();
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  throw new Error('the assertion passed');
}

describe('weft matchers', () => {
  it('toHold passes on the fixed variant, toViolate(oops) on the buggy one', () => {
    expect(scenario).toHold({ variant: 'fixed' });
    expect(scenario).toViolate('oops', { variant: 'buggy' });
    expect(scenario).toViolate('release-at-most-once', { variant: 'buggy' });
  });

  it('a wrong expectation fails with the minimized per-thread table and the replay command', () => {
    const message = failure(() => expect(scenario).toHold({ variant: 'buggy' }));
    expect(message).toContain('expected mmu-notifier-unregister-release/buggy to hold, but buggy violated');
    expect(message).toContain('│');
    expect(message).toContain('trace minimized');
    expect(message).toContain('◀'); // the step the trace is about
    expect(message).toMatch(/replay: npx weft check mmu-notifier-unregister-release --variant buggy --replay w1:mmu-notifier-unregister-release\/buggy:\S+/);
  });

  it('toViolate searches for the asserted check, not the declared one; a fix that holds fails it', () => {
    const message = failure(() => expect(scenario).toViolate('oops', { variant: 'fixed' }));
    expect(message).toContain('expected mmu-notifier-unregister-release/fixed to violate oops, but fixed holds');
    expect(failure(() => expect(scenario).toViolate('deadlock', { variant: 'buggy' }))).toContain('to violate deadlock');
  });

  it('.not inverts, and its failure shows the trace that violated', () => {
    expect(scenario).not.toHold({ variant: 'buggy' });
    expect(scenario).not.toViolate('oops', { variant: 'fixed' });
    const message = failure(() => expect(scenario).not.toViolate('oops', { variant: 'buggy' }));
    expect(message).toContain('not to violate oops');
    expect(message).toContain('replay:');
  });

  it('without a variant every variant must pass; the message names the ones that do not', () => {
    const message = failure(() => expect(scenario).toHold());
    expect(message).toContain('expected every variant of mmu-notifier-unregister-release to hold, but buggy violated');
    expect(message).not.toContain('fixed:');
  });

  it('an unknown variant or something that is not a scenario is an error, not a verdict', () => {
    expect(() => expect(scenario).toHold({ variant: 'nope' })).toThrow(/nope/);
    expect(() => expect({ id: 'x' }).toHold()).toThrow(/expected a scenario/);
  });

  it('async: toHoldAsync / toViolateAsync take a scenario or a promise of its module', async () => {
    await expect(scenario).toHoldAsync({ variant: 'fixed' });
    await expect(import('../../scenarios/mmu-notifier-unregister-release')).toViolateAsync('oops', { variant: 'buggy' });
    const message = await failureAsync(() => expect(Promise.resolve(scenario)).toHoldAsync({ variant: 'buggy' }));
    expect(message).toContain('│');
    expect(message).toContain('replay:');
  });

  it('registering again is harmless, and the matchers are exported for expect.extend', () => {
    expect(Object.keys(weftMatchers).sort()).toEqual(['toHold', 'toHoldAsync', 'toViolate', 'toViolateAsync']);
    expect.extend(weftMatchers);
    expect(scenario).toHold({ variant: 'fixed' });
  });
});

describe('checkEveryVariant', () => {
  checkEveryVariant(scenario);
});

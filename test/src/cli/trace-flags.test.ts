import { scenarios } from '../../../scenarios/index';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import s1 from '../../../scenarios/mmu-notifier-unregister-release';
import { main } from '../../../src/cli/main';
import type { Scenario } from '../../../src/runtime/scenario';

async function run(argv: string[], registry?: { scenario: Scenario; file: string }[]) {
  let out = '';
  let err = '';
  const io = { out: (s: string) => void (out += s), err: (s: string) => void (err += s), isTTY: false, env: {} };
  const code = await main(argv, io, registry ?? scenarios);
  return { code, out, err };
}

const S1 = 'mmu-notifier-unregister-release';
const tableRows = (s: string) => s.split('\n').filter((l) => /^\s*\d+ │/.test(l)).map((l) => l.trim());

describe('check CLI: minimized traces, --explain, fix confirmation, --html', () => {
  let checked: Awaited<ReturnType<typeof run>>;
  let token: string;
  beforeAll(async () => {
    checked = await run([S1, '--variant', 'buggy', '--no-timing']);
    token = /--replay (\S+)/.exec(checked.out)![1]!;
  });

  it('prints the minimized trace with before/after counts, and the token replays it byte for byte', async () => {
    expect(checked.code).toBe(0);
    expect(checked.out).toMatch(/trace minimized: \d+ → 1 preemption, \d+ → 19 steps to the violation \(\d+ executions; no schedule with fewer preemptions violates oops\)/);
    expect(token).toBe(`w1:${S1}/buggy:AB12A6`);
    const again = (await run(['--replay', token]));
    expect(again.code).toBe(0);
    expect(tableRows(again.out)).toEqual(tableRows(checked.out));
    expect(tableRows(again.out)).toHaveLength(19);
  });

  it('--no-minimize prints the schedule as found', async () => {
    const r = (await run([S1, '--variant', 'buggy', '--no-timing', '--no-minimize']));
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(/trace minimized/);
  });

  it('--explain lists each step’s changes to the world', async () => {
    const r = (await run(['--replay', token, '--explain']));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/changes to the world, step by step:\n/);
    expect(r.out).toMatch(/t10 B hlist_del_init_rcu\(&mn->hlist\):\n(\s+.*\n)*?\s+mn\.hlist\.pprev = NULL\n/);
    const c = (await run([S1, '--variant', 'buggy', '--no-timing', '--explain']));
    expect(c.out).toMatch(/mn\.releaseCalls = 2/);
  });

  it('--replay TOKEN --variant fixed shows where the fix parts ways, exit 0', async () => {
    const r = (await run(['--replay', token, '--variant', 'fixed']));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // d34883d4e3 differs from v3.7 first in B, which leaves SRCU after its unlink loop
    expect(r.out).toMatch(/first difference at t7: B \(release\) runs spin_lock\(&mm->mmu_notifier_mm->lock\) where buggy ran srcu_read_unlock\(&srcu\)/);
    expect(r.out).toMatch(/diverges at t20: the schedule ends after 19 steps but A \(unregister\) can still run/);
    expect(tableRows(r.out)).toHaveLength(19);
  });

  it('a fix that still fails along the schedule exits 1', async () => {
    // S1 with its fix reverted: the schedule fits it and oopses again.
    const fixed = { ...s1.variants.fixed!, threads: s1.variants.buggy!.threads };
    const reverted = [{ scenario: { ...s1, variants: { ...s1.variants, fixed } }, file: 'scenarios/x.ts' }];
    const r = (await run(['--replay', token, '--variant', 'fixed'], reverted));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/no difference: every step of fixed did what buggy did/);
    expect(r.out).toMatch(/fixed is violated along this schedule \(buggy: oops at t19\):\n✗ oops at t19/);
  });

  it('a token that no longer fits is one line naming the step, exit 2', async () => {
    for (const [t, step] of [
      [`w1:${S1}/buggy:AB7A5`, 13],
      [`w1:${S1}/buggy:A50`, 11],
      [`w1:${S1}/buggy:AB12A7`, 20],
    ] as const) {
      const r = (await run(['--replay', t]));
      expect(r.code, t).toBe(2);
      expect(r.err.trim().split('\n'), t).toHaveLength(1);
      expect(r.err, t).toMatch(new RegExp(`^weft: replay diverged at step ${step}: `));
    }
    expect((await run(['--replay', `w1:${S1}/nope:A`])).code).toBe(2);
    expect((await run(['--replay', `w1:no-such/buggy:A`])).code).toBe(2);
    expect((await run(['--replay', `w1:${S1}/buggy,nope=1:A`])).code).toBe(2);
  });

  it('--html writes a self-contained page for the trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-cli-html-'));
    const file = join(dir, 'trace.html');
    const r = (await run([S1, '--variant', 'buggy', '--no-timing', '--html', file]));
    expect(r.code).toBe(0);
    expect(existsSync(file)).toBe(true);
    const html = readFileSync(file, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toMatch(/class="step violation focus" data-step="19" data-thread="A"/);
    expect(html).toMatch(/mn\.hlist\.pprev = NULL/);
  });

  it('--all lines stay in columns however long an expectation is', async () => {
    // why these: the longest variant names and expectations, and one search the bound cuts (FAIL)
    const ids = ['mmu-notifier-sleeping-callbacks', 'mmu-notifier-release-before-unlink', 'mmu-notifier-release-unlinks-early', 'hmm-mirror-snapshot-vs-invalidate'];
    const some = scenarios.filter((e) => ids.includes(e.scenario.id));
    const r = (await run(['--all', '--no-timing', '--max-executions', '300', '--no-minimize'], some));
    const lines = r.out.split('\n').filter((l) => /^(ok|FAIL) /.test(l));
    expect(lines.length).toBe(some.reduce((n, e) => n + Object.keys(e.scenario.variants).length, 0));
    expect(lines.some((l) => l.startsWith('FAIL '))).toBe(true);
    for (const col of ['expected ', 'got ']) {
      expect(new Set(lines.map((l) => l.indexOf(` ${col}`))).size, col).toBe(1);
    }
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });
});

describe('check CLI: --minimize-budget', () => {
  it('a budget too small to finish says what it did not prove, and the trace still replays', async () => {
    const r = await run([S1, '--variant', 'buggy', '--no-timing', '--minimize-budget', '3']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('the budget of 3 executions ran out before fewer preemptions were ruled out');
    const token = /--replay (\S+)/.exec(r.out)![1]!;
    expect((await run([S1, '--variant', 'buggy', '--replay', token, '--no-timing'])).code).toBe(0);
  });

  it('is a positive number', async () => {
    const r = await run([S1, '--minimize-budget', '0']);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
});

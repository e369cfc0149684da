import { scenarios } from '../../../scenarios/index';
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
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

/** S1 with the fixed variant broken back to the buggy code: its verdict no longer matches. */
function brokenFix(): { scenario: Scenario; file: string }[] {
  const fixed = { ...s1.variants.fixed!, threads: s1.variants.buggy!.threads };
  return [{ scenario: { ...s1, variants: { ...s1.variants, fixed } }, file: 'scenarios/x.ts' }];
}

describe('check CLI', () => {
  it('exits 0 when every verdict matches, printing the trace and the replay command', async () => {
    const r = (await run(['mmu-notifier-unregister-release', '--no-timing']));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/buggy: .*\n    verdict violated:oops \(expected violated:oops\)/);
    expect(r.out).toMatch(/fixed: .*\n    verdict holds \(expected holds\) · [\d,]+ executions( \(and [\d,]+ redundant, not counted\))?, [\d,]+ steps, every schedule explored/);
    expect(r.out).toMatch(/replay: npx weft check mmu-notifier-unregister-release --variant buggy --replay w1:mmu-notifier-unregister-release\/buggy:\S+/);
  });

  it('output is byte-for-byte reproducible with --no-timing', async () => {
    const a = (await run(['mmu-notifier-unregister-release', '--variant', 'buggy', '--no-timing']));
    const b = (await run(['mmu-notifier-unregister-release', '--variant', 'buggy', '--no-timing']));
    expect(a.out).toBe(b.out);
  });

  it('exits 1 when a fixed variant is violated, with a readable trace', async () => {
    const r = (await run(['mmu-notifier-unregister-release', '--variant', 'fixed', '--no-timing'], brokenFix()));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/NOT AS EXPECTED/);
    expect(r.out).toMatch(/hlist_del_rcu\(&mn->hlist\)  ✗ oops/);
  });

  it('exits 1 when a bound cuts the search: incomplete is never holds', async () => {
    const r = (await run(['mmu-notifier-unregister-release', '--variant', 'fixed', '--max-executions', '5']));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/verdict incomplete .*raise with --max-executions/);
  });

  it('--replay re-runs the printed token and prints the same table', async () => {
    const first = (await run(['mmu-notifier-unregister-release', '--variant', 'buggy', '--no-timing']));
    const token = /--replay (\S+)/.exec(first.out)![1]!;
    const r = (await run(['--replay', token]));
    expect(r.code).toBe(0);
    const table = (s: string) => s.split('\n').filter((l) => /^\s*\d+ │/.test(l)).map((l) => l.trim());
    expect(table(r.out)).toEqual(table(first.out));
    expect(table(r.out).length).toBeGreaterThan(5);
  });

  it('exits 2 with one line for bad usage and broken input', async () => {
    for (const argv of [
      ['no-such-scenario'],
      ['--bogus'],
      [],
      ['mmu-notifier-unregister-release', '--variant', 'nope'],
      ['mmu-notifier-unregister-release', '--param', 'nope=1'],
      ['mmu-notifier-unregister-release', '--max-executions', 'lots'],
      ['--replay', 'garbage'],
      ['--replay', 'w1:mmu-notifier-unregister-release/buggy:A50'],
      ['--replay', 'w1:mmu-notifier-unregister-release/buggy:B30'],
      ['other-scenario', '--replay', 'w1:mmu-notifier-unregister-release/buggy:A'],
    ]) {
      const r = (await run(argv));
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.trim().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(r.err).toMatch(/^weft: /);
    }
  });

  it('--list names every scenario and variant with its expectation', async () => {
    const r = (await run(['--list']));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/mmu-notifier-unregister-release: /);
    expect(r.out).toMatch(/buggy +expect violated:oops/);
  });

  it('--json carries verdicts, stats and the token', async () => {
    const r = (await run(['mmu-notifier-unregister-release', '--variant', 'buggy', '--json', '--no-timing']));
    const data = JSON.parse(r.out) as { results: { verdict: string; matches: boolean; token: string }[] };
    expect(data.results[0]!.verdict).toBe('violated');
    expect(data.results[0]!.matches).toBe(true);
    expect(data.results[0]!.token).toMatch(/^w1:/);
  });

  it('works as typed: `npx tsx check <scenario>` from the project root, exit code included', async () => {
    const ok = spawnSync('npx', ['tsx', 'check', 'mmu-notifier-unregister-release', '--variant', 'buggy', '--no-timing'], {
      encoding: 'utf8',
    });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/verdict violated:oops/);
    // in this repository the replay command is the one that was typed
    expect(ok.stdout).toMatch(/replay: npx tsx check mmu-notifier-unregister-release --variant buggy --replay w1:/);
    const bad = spawnSync('npx', ['tsx', 'check', '--bogus'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(execFileSync('git', ['ls-files', 'check.js'], { encoding: 'utf8' })).toBe('');
  });
});

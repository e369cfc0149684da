import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarios } from '../../../scenarios/index';
import s1 from '../../../scenarios/mmu-notifier-unregister-release';
import { main } from '../../../src/cli/main';
import type { Scenario } from '../../../src/runtime/scenario';

async function run(argv: string[], registry: readonly { scenario: Scenario; file: string }[] = scenarios, env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), isTTY: false, env }, registry);
  return { code, out, err };
}

const S1 = 'mmu-notifier-unregister-release';

describe('CI robustness', () => {
  it('an unwritable --junit or --html path is a usage error before the search', async () => {
    const r = await run([S1, '--junit', '/no/such/dir/r.xml']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^weft: --junit \/no\/such\/dir\/r\.xml: no such directory .*\n$/);
    const dir = mkdtempSync(join(tmpdir(), 'weft-out-'));
    const h = await run([S1, '--html', dir]);
    expect(h.code).toBe(2);
    expect(h.err).toMatch(/is a directory/);
  });

  it('annotations go to stderr, so --json still parses', async () => {
    const fixed = { ...s1.variants.fixed!, threads: s1.variants.buggy!.threads };
    const broken = [{ scenario: { ...s1, variants: { ...s1.variants, fixed } }, file: 'scenarios/x.ts' }];
    const r = await run([S1, '--json', '--no-timing'], broken, { GITHUB_ACTIONS: 'true' });
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as { format: string; version: number };
    expect(j.format).toBe('weft-report');
    expect(j.version).toBe(4);
    expect(r.err).toMatch(/^::error file=scenarios\/x\.ts/);
  });

  it('a scenario that throws during --all is one error row; the rest still run; exit 2', async () => {
    const throwing = { ...s1, id: 'throws-in-setup', setup: () => { throw new Error('boom'); } };
    const registry = [{ scenario: throwing, file: 'scenarios/t.ts' }, ...scenarios.slice(0, 1)];
    const r = await run(['--all', '--no-timing'], registry, { GITHUB_ACTIONS: 'true' });
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/FAIL\s+throws-in-setup\/buggy\s+expected violated:oops\s+got error: .*boom/);
    expect(r.out).toMatch(new RegExp(`ok\\s+${S1}/buggy`));
    expect(r.err).toMatch(/title=weft scenario error/);
    const j = JSON.parse((await run(['--all', '--json', '--no-timing'], registry)).out) as { results: { verdict: string; error?: string }[] };
    expect(j.results[0]!.verdict).toBe('error');
    expect(j.results[0]!.error).toMatch(/boom/);
  });

  it('--version prints the package version; a misspelt id gets a did-you-mean', async () => {
    const v = await run(['--version']);
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/^\d+\.\d+\.\d+\n$/);
    const r = await run(['mmu-notifer-unregister-release']);
    expect(r.code).toBe(2);
    expect(r.err).toBe("weft: no scenario 'mmu-notifer-unregister-release'; did you mean 'mmu-notifier-unregister-release'? (check --list)\n");
  });

  it('--param values are range-checked and --jobs is capped', async () => {
    const withParam = scenarios.find((e) => Object.keys(e.scenario.params).length > 0);
    if (withParam) {
      const name = Object.keys(withParam.scenario.params)[0]!;
      const r = await run([withParam.scenario.id, '--param', `${name}=100000`]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/out of range/);
    }
    const j = await run([S1, '--jobs', '100000']);
    expect(j.code).toBe(2);
    expect(j.err).toMatch(/^weft: --jobs 100000 is more than 4 ×/);
  });
});

describe('a reader that closes the pipe early', () => {
  it('`check --list | true` ends quietly with exit 0', () => {
    // why `true`: it exits before weft writes a byte, so the first write meets a closed pipe
    const r = spawnSync('bash', ['-c', 'npx tsx check --list | true; exit "${PIPESTATUS[0]}"'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

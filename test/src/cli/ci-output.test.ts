import { scenarios } from '../../../scenarios/index';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import s1 from '../../../scenarios/mmu-notifier-unregister-release';
import { variantLine } from '../../../src/report/annotations';
import { main } from '../../../src/cli/main';
import type { Scenario } from '../../../src/runtime/scenario';

const file = 'scenarios/mmu-notifier-unregister-release.ts';

async function run(argv: string[], registry: { scenario: Scenario; file: string }[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), isTTY: false, env }, registry);
  return { code, out, err };
}

/** S1 whose fixed variant runs the buggy code: one mismatch, one match. */
const broken = [
  {
    scenario: { ...s1, variants: { ...s1.variants, fixed: { ...s1.variants.fixed!, threads: s1.variants.buggy!.threads } } },
    file,
  },
];

describe('CI outputs', () => {
  it('--junit writes valid XML with one testcase per variant and the trace in the failure body', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'weft-')), 'r.xml');
    const r = (await run(['mmu-notifier-unregister-release', '--junit', path, '--no-timing'], broken));
    expect(r.code).toBe(1);
    const xml = readFileSync(path, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false }).parse(xml) as {
      testsuites: { testsuite: { testcase: { '@_name': string; failure?: { '#text': string } }[] } };
    };
    const cases = doc.testsuites.testsuite.testcase;
    expect(cases.map((c) => c['@_name'])).toEqual(['buggy', 'fixed']);
    expect(cases[0]!.failure).toBeUndefined();
    expect(cases[1]!.failure!['#text']).toMatch(/hlist_del_rcu\(&mn->hlist\)  ✗ oops/);
  });

  it('under GitHub Actions a mismatch is an ::error annotation on the variant line', async () => {
    const r = (await run(['mmu-notifier-unregister-release', '--no-timing'], broken, { GITHUB_ACTIONS: 'true' }));
    const line = variantLine(file, 'fixed');
    expect(line).toBeGreaterThan(1);
    expect(readFileSync(file, 'utf8').split('\n')[line - 1]).toMatch(/^\s*fixed: \{/);
    expect(r.out).not.toContain('::error');
    expect(r.err).toContain(`::error file=${file},line=${line},title=weft verdict mismatch::mmu-notifier-unregister-release/fixed: expected holds, got violated:oops`);
    const quiet = (await run(['mmu-notifier-unregister-release', '--no-timing'], broken));
    expect(quiet.out + quiet.err).not.toContain('::error');
  });

  it('prints no progress line when output is not a terminal', async () => {
    let err = '';
    await main(['mmu-notifier-unregister-release', '--variant', 'buggy'], { out: () => {}, err: (s) => void (err += s), isTTY: false, env: {} }, scenarios);
    expect(err).toBe('');
  });
});

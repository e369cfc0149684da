/**
 * A broken scenario in a run of several: a setup that throws, a thread that throws and a module
 * that throws on import each become one error row in every format (text, JSON, JUnit, GitHub
 * annotations), the other variants still run and print, and the run exits 2.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main';
import { REPORT_VERSION } from '../../../src/report/json';

const repo = resolve(__dirname, '../../..');
const index = pathToFileURL(join(repo, 'src/index.ts')).href;
const XSD = join(repo, 'test/fixtures/junit-10.xsd');
const hasXmllint = spawnSync('xmllint', ['--version']).status === 0;
const NO_XMLLINT = hasXmllint ? '' : ' [skipped: xmllint is not installed; apt-get install libxml2-utils]';

/** good: buggy violated as declared, fixed holds; broken: one scenario whose setup throws, one whose thread does. */
const GOOD = `import { defineScenario, perform, oops } from '${index}';
const writer = function* (w) {
  yield* perform({ object: w.x, access: 'write', label: 'x = 1', run: () => { w.x.value = 1; } });
  yield* perform({ object: w.x, access: 'write', label: 'x = 0', run: () => { w.x.value = 0; } });
};
const reader = function* (w) {
  const v = yield* perform({ object: w.x, access: 'read', label: 'read x', run: () => w.x.value });
  if (v === 1) oops('saw the transient 1');
};
export default defineScenario({
  id: 'good',
  title: 'a transient value seen by a reader',
  commits: [],
  setup: () => ({ x: { name: 'x', value: 0 } }),
  variants: {
    buggy: { summary: 'the writer publishes 1 on the way', expect: { violated: 'oops' }, threads: { writer, reader } },
    fixed: { summary: 'only the reader', expect: 'holds', threads: { reader } },
  },
});
`;
const BROKEN = `import { defineScenario, perform } from '${index}';
const reader = function* (w) {
  yield* perform({ object: w.x, access: 'read', label: 'read x', run: () => w.x.value });
};
export const setupThrows = defineScenario({
  id: 'setup-throws',
  title: 'setup throws',
  commits: [],
  setup: () => { throw new Error('setup blew up'); },
  variants: {
    only: { summary: 'never starts', expect: 'holds', threads: { reader } },
  },
});
export const threadThrows = defineScenario({
  id: 'thread-throws',
  title: 'a thread throws',
  commits: [],
  setup: () => ({ x: { name: 'x', value: 0 } }),
  variants: {
    bad: {
      summary: 'a thread throws after its first step',
      expect: 'holds',
      threads: { reader, bad: function* (w) { yield* reader(w); throw new Error('thread blew up'); } },
    },
  },
});
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-errors-'));
  // why "type": "module": as a user's ESM project; the files then share weft's module instances
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(dir, 'good.ts'), GOOD);
  writeFileSync(join(dir, 'broken.ts'), BROKEN);
  writeFileSync(join(dir, 'import-throws.ts'), "throw new Error('module blew up');\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const before = process.cwd();
  process.chdir(dir);
  try {
    const io = { out: (s: string) => void (out += s), err: (s: string) => void (err += s), isTTY: false, env };
    const code = await main(argv, io, []);
    return { code, out, err };
  } finally {
    process.chdir(before);
  }
}

// Files in sorted order: broken.ts, good.ts, import-throws.ts.
const FILES = ['broken.ts', 'good.ts', 'import-throws.ts', '--all', '--no-timing', '--jobs', '1'];

describe('a scenario that throws in a run of several', () => {
  it('text: one FAIL row each with the one-line message, the good variants still run; exit 2; no stack', async () => {
    const r = await run(FILES);
    expect(r.code).toBe(2);
    const rows = r.out.split('\n\n')[0]!.split('\n');
    expect(rows).toHaveLength(5);
    expect(rows[0]).toMatch(/^FAIL {2}setup-throws\/only +expected holds +got error: .*setup blew up$/);
    expect(rows[1]).toMatch(/^FAIL {2}thread-throws\/bad +expected holds +got error: B \(bad\) threw after step \d+: thread blew up$/);
    expect(rows[2]).toMatch(/^ok {4}good\/buggy +expected violated:oops +got violated:oops +\d+ executions$/);
    expect(rows[3]).toMatch(/^ok {4}good\/fixed +expected holds +got holds +1 execution$/);
    expect(rows[4]).toMatch(/^FAIL {2}import-throws\.ts +error: threw on import: module blew up$/);
    expect(r.out).toContain('  import-throws.ts: threw on import: module blew up · NOT AS EXPECTED');
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('4 scenarios, 5 variants: 2 as expected, 3 not (3 threw)');
    expect(r.err).toBe('');
    expect(r.out + r.err).not.toMatch(/\n\s+at /);
  });

  it('JSON: an explicit error entry per broken row, no made-up search; the version says so', async () => {
    const r = await run([...FILES, '--json']);
    expect(r.code).toBe(2);
    const j = JSON.parse(r.out) as { version: number; results: Record<string, unknown>[]; summary: object };
    expect(j.version).toBe(REPORT_VERSION);
    expect(REPORT_VERSION).toBe(4);
    expect(j.results).toHaveLength(5);
    expect(j.results[0]).toEqual({
      scenario: 'setup-throws',
      file: 'broken.ts',
      variant: 'only',
      params: {},
      expected: 'holds',
      verdict: 'error',
      matches: false,
      during: 'check',
      error: expect.stringMatching(/setup blew up$/) as unknown,
    });
    expect(j.results[1]).toMatchObject({ scenario: 'thread-throws', variant: 'bad', verdict: 'error', during: 'check' });
    expect(j.results[1]!.error).toMatch(/^B \(bad\) threw after step \d+: thread blew up$/);
    expect(j.results[2]).toMatchObject({ scenario: 'good', variant: 'buggy', verdict: 'violated', matches: true });
    expect(j.results[4]).toEqual({
      scenario: null,
      file: 'import-throws.ts',
      variant: null,
      params: {},
      expected: null,
      verdict: 'error',
      matches: false,
      during: 'import',
      error: 'module blew up',
    });
    for (const e of [j.results[0]!, j.results[1]!, j.results[4]!]) for (const k of ['stats', 'strategy', 'trace', 'token']) expect(e).not.toHaveProperty(k);
    expect(j.summary).toEqual({ variants: 5, matching: 2, errors: 3 });
  });

  it('GitHub annotations: one ::error per broken row on stderr, stdout untouched', async () => {
    const r = await run([...FILES, '--json'], { GITHUB_ACTIONS: 'true' });
    expect(r.code).toBe(2);
    expect(() => JSON.parse(r.out) as unknown).not.toThrow();
    const lines = r.err.trimEnd().split('\n');
    const lineOf = (variant: string) => BROKEN.split('\n').findIndex((l) => l.startsWith(`    ${variant}: {`)) + 1;
    expect([lineOf('only'), lineOf('bad')]).not.toContain(0);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(new RegExp(`^::error file=broken\\.ts,line=${lineOf('only')},title=weft scenario error::setup-throws/only: expected holds, got error: .*setup blew up$`));
    expect(lines[1]).toMatch(new RegExp(`^::error file=broken\\.ts,line=${lineOf('bad')},title=weft scenario error::thread-throws/bad: expected holds, got error: .*thread blew up$`));
    expect(lines[2]).toBe('::error file=import-throws.ts,line=1,title=weft module error::import-throws.ts threw on import: module blew up');
  });

  describe('JUnit', () => {
    async function junit(): Promise<string> {
      const path = join(dir, 'report.xml');
      const r = await run([...FILES, '--junit', path]);
      expect(r.code).toBe(2);
      expect(r.out).toContain('ok    good/fixed');
      return readFileSync(path, 'utf8');
    }

    it('a testcase with an <error message=…> per broken row, counted in errors, not failures', async () => {
      const xml = await junit();
      expect(xml).toMatch(/<testsuites name="weft" tests="5" failures="0" errors="3">/);
      type Case = { '@_name': string; error?: { '@_message': string; '@_type': string }; failure?: unknown };
      type Suite = { '@_name': string; '@_errors': string; '@_file': string; testcase: Case | Case[] };
      const doc = new XMLParser({ ignoreAttributes: false }).parse(xml) as { testsuites: { testsuite: Suite[] } };
      const suites = doc.testsuites.testsuite;
      expect(suites.map((s) => [s['@_name'], s['@_file'], s['@_errors']])).toEqual([
        ['setup-throws', 'broken.ts', '1'],
        ['thread-throws', 'broken.ts', '1'],
        ['good', 'good.ts', '0'],
        ['import-throws.ts', 'import-throws.ts', '1'],
      ]);
      const one = (s: Suite): Case => (Array.isArray(s.testcase) ? s.testcase[0]! : s.testcase);
      expect(one(suites[0]!).error!['@_message']).toMatch(/setup blew up$/);
      expect(one(suites[0]!).error!['@_type']).toBe('scenario-error');
      expect(one(suites[1]!).error!['@_message']).toMatch(/thread blew up$/);
      expect(one(suites[3]!)['@_name']).toBe('import');
      expect(one(suites[3]!).error).toMatchObject({ '@_message': 'module blew up', '@_type': 'import-error' });
      expect(xml).not.toContain('<failure');
    });

    it.skipIf(!hasXmllint)(`the run with error rows validates against junit-10.xsd${NO_XMLLINT}`, async () => {
      const file = join(dir, 'report.xml');
      writeFileSync(file, await junit());
      const r = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`).toMatch(/validates/);
      expect(r.status).toBe(0);
    });
  });

  it('one module alone that throws on import stays the one-line usage error', async () => {
    const r = await run(['import-throws.ts']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe('weft: ./import-throws.ts throws on import: module blew up\n');
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { scenarios } from '../../../scenarios/index';
import { runChecks, type RunOptions } from '../../../src/app/check';
import { renderJunit, type JunitEntry } from '../../../src/report/junit';
import { DEFAULT_LIMITS, explore } from '../../../src/search/explorer';
import { DfsStrategy } from '../../../src/search/strategies/dfs';
import type { Verdict } from '../../../src/search/verdict';

const XSD = join(__dirname, '../../fixtures/junit-10.xsd');
const hasXmllint = spawnSync('xmllint', ['--version']).status === 0;
/** Said in the test's name when it is skipped, so the report tells why. */
const NO_XMLLINT = hasXmllint ? '' : ' [skipped: xmllint is not installed; apt-get install libxml2-utils]';
const ID = 'mmu-notifier-unregister-release';
const FILE = `scenarios/${ID}.ts`;
const scenario = scenarios.find((e) => e.scenario.id === ID)!.scenario;
const options: RunOptions = { strategy: 'dfs', params: {}, limits: DEFAULT_LIMITS };

/** A search cut by --max-time, as the explorer reports it, with the clock made to jump a minute a call. */
function timeCut(timeMsMax: number): Verdict {
  let now = 0;
  vi.spyOn(performance, 'now').mockImplementation(() => (now += 60_000));
  const variant = scenario.variants.fixed!;
  const v = explore({ scenario, variant, params: scenario.params, strategy: new DfsStrategy(), limits: { ...DEFAULT_LIMITS, timeMsMax } });
  vi.restoreAllMocks();
  return v;
}

/**
 * Reports: buggy and fixed as declared (pass), fixed cut by time (failure), one whose scenario broke
 * (error, given as an ErroredVariant), and as `check --all` makes them: a scenario whose setup
 * throws and a module that threw on import (ErrorReports).
 */
function entries(): JunitEntry[] {
  const passing = runChecks([{ scenario, file: FILE }], null, options);
  const cut = runChecks([{ scenario, file: FILE }], 'fixed', { ...options, verdictOf: () => timeCut(59234.707763671875) });
  const throwing = { ...scenario, id: 'setup-throws', setup: () => { throw new Error('setup <blew> up'); } };
  const broken = runChecks(
    [
      { scenario: throwing, file: 'scenarios/t.ts' },
      { broken: true, file: 'race.ts', target: './race.ts', error: 'Cannot find module "x" & more' },
    ],
    'fixed',
    { ...options, keepGoing: true },
  );
  return [
    ...passing,
    ...cut.map((r) => ({ ...r, variant: 'fixed-cut' })),
    { scenario: ID, file: FILE, variant: 'broken', error: { message: 'TypeError: x is undefined', type: 'TypeError', detail: 'TypeError: x is undefined\n    at setup <&>' } },
    ...broken,
  ];
}

function xmllint(xml: string): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'weft-junit-'));
  try {
    const file = join(dir, 'report.xml');
    writeFileSync(file, xml);
    const r = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

afterEach(() => vi.restoreAllMocks());

describe('time cuts', () => {
  it('say the bound in seconds, rounded, and keep the other fields', () => {
    const v = timeCut(59234.707763671875);
    expect(v.kind).toBe('incomplete');
    const cut = v.kind === 'incomplete' ? v.cutBy : [];
    expect(cut).toEqual([
      { limit: 'time', flag: '--max-time', value: 59234.707763671875, detail: 'stopped after 59.2 s with schedules left to explore' },
    ]);
  });
});

describe('JUnit report', () => {
  it('has a passing variant, a failing one and an errored one, counted per suite and in total', () => {
    const xml = renderJunit(entries(), false);
    expect(xml).toMatch(/<testsuites name="weft" tests="6" failures="1" errors="3">/);
    expect(xml).toContain(`<testsuite name="${ID}" tests="4" failures="1" errors="1" time="0" file="${FILE}">`);
    expect(xml).toMatch(/<testcase classname="[^"]+" name="buggy" time="0">\s*<system-out>expected/);
    expect(xml).toMatch(/<failure message="expected [^"]*" type="incomplete">/);
    expect(xml).toContain('stopped after 59.2 s with schedules left to explore');
    expect(xml).toContain('<error message="TypeError: x is undefined" type="TypeError">TypeError: x is undefined');
    expect(xml).toContain('at setup &lt;&amp;&gt;');
    expect(xml).toMatch(/<testsuite name="setup-throws" tests="1" failures="0" errors="1" time="0" file="scenarios\/t.ts">\s*<testcase classname="setup-throws" name="fixed" time="0">\s*<error message="[^"]*setup &lt;blew&gt; up" type="scenario-error">/);
    expect(xml).toMatch(/<testsuite name="race.ts" tests="1" failures="0" errors="1" time="0" file="race.ts">\s*<testcase classname="race.ts" name="import" time="0">\s*<error message="Cannot find module &quot;x&quot; &amp; more" type="import-error">/);
    // The schema has no `file` on a testcase.
    expect(xml).not.toMatch(/<testcase[^>]* file=/);
  });

  it('keeps the old input working: variant reports alone', () => {
    const xml = renderJunit(runChecks([{ scenario, file: FILE }], null, options), true);
    expect(xml).toMatch(/<testsuites name="weft" tests="2" failures="0" errors="0">/);
    expect(xml).toMatch(/time="\d+\.\d{3}"/);
  });

  it.skipIf(!hasXmllint)(
    `validates against Jenkins junit-10.xsd (xmllint --schema test/fixtures/junit-10.xsd)${NO_XMLLINT}`,
    () => {
      for (const timing of [false, true]) {
        const r = xmllint(renderJunit(entries(), timing));
        expect(r.out).toMatch(/validates/);
        expect(r.status).toBe(0);
      }
    },
  );

  it.skipIf(!hasXmllint)(`the schema check has teeth: a testcase with \`file\` is refused${NO_XMLLINT}`, () => {
    const bad = renderJunit(entries(), false).replace('<testcase ', `<testcase file="${FILE}" `);
    const r = xmllint(bad);
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/file.*not allowed/);
  });
});

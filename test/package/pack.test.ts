/**
 * The package from outside: `npm pack` (whose prepack is `npm run build`), installed into a fresh
 * project under os.tmpdir() next to vitest, used by a scenario that imports only `weft-check` and
 * `weft-check/models`: the `weft` bin checks it (exit 0 as declared, 1 when a declaration is
 * wrong), the vitest matchers pass and fail on it (the failure printing the table), and its
 * TypeScript typechecks against the shipped .d.ts. Installing reaches the registry for what the
 * npm cache lacks (`--prefer-offline`), as CI can.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NAME = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string }).name;
const VITEST = (JSON.parse(readFileSync(path.join(ROOT, 'node_modules/vitest/package.json'), 'utf8')) as { version: string }).version;
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const SETUP_MS = 240_000;

/**
 * This run's environment without what the outer test run adds: npm's lifecycle variables (`npm
 * test` sets the outer package's) and vitest's own (an inner vitest must not think it is a worker).
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_(lifecycle|package|config_(prefix|global))|VITEST|TEST$|NODE_ENV$|NODE_OPTIONS$|INIT_CWD$)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0' };
}

function run(cmd: string, args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout: SETUP_MS, shell: process.platform === 'win32' });
}

const RACE = `
import { defineScenario, type Invariant, type Steps } from '${NAME}';
import { newPlainField, newSpinlock, peekField, readOnce, spinLock, spinUnlock, writeOnce, type PlainField, type Spinlock } from '${NAME}/models';

interface World {
  readonly count: PlainField<number>;
  readonly lock: Spinlock;
  done: number;
}

/** count++ as a load and a store; under the lock when \`locked\`. */
function* increment(w: World, locked: boolean): Steps {
  if (locked) yield* spinLock(w.lock);
  const v = yield* readOnce(w.count);
  yield* writeOnce(w.count, v + 1);
  if (locked) yield* spinUnlock(w.lock);
  w.done++;
}

const noLostUpdate: Invariant<World> = {
  id: 'lost-update',
  description: 'when both increments returned, the counter is 2',
  check: (w) => w.done < 2 || peekField(w.count) === 2 || \`count = \${peekField(w.count)} after two increments\`,
};

export const counter = defineScenario<World>({
  id: 'counter-race',
  title: 'two threads increment a shared counter',
  commits: [],
  setup: () => ({ count: newPlainField('count', 0), lock: newSpinlock('lock'), done: 0 }),
  variants: {
    buggy: {
      summary: 'no lock',
      expect: { violated: 'lost-update' },
      invariants: [noLostUpdate],
      threads: { a: (w) => increment(w, false), b: (w) => increment(w, false) },
    },
    fixed: {
      summary: 'a spinlock around the increment',
      invariants: [noLostUpdate],
      threads: { a: (w) => increment(w, true), b: (w) => increment(w, true) },
    },
  },
});
`;

const TESTS = `
import { expect, it } from 'vitest';
import '${NAME}/vitest';
import { counter } from './race';

it('the spinlock fixes it', () => {
  expect(counter).toHold({ variant: 'fixed', file: './race.ts' });
});

it('the unlocked counter is wrongly asserted to hold', () => {
  expect(counter).toHold({ variant: 'buggy', file: './race.ts' });
});
`;

/**
 * The README's "Check your own race": its scenario block, written into the project as it is printed
 * there, and the section's text, so that the README cannot drift from what the package does.
 */
function readmeSection(): { text: string; scenario: string } {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const text = /^## Check your own race\n([\s\S]*?)^## /m.exec(readme)?.[1];
  if (text === undefined) throw new Error('README.md has no "## Check your own race" section');
  const scenario = /^```ts\n([\s\S]*?)^```$/m.exec(text)?.[1];
  if (scenario === undefined) throw new Error('README.md\'s "Check your own race" has no ```ts block');
  return { text, scenario };
}

let work = '';
let project = '';
let tarballName = '';

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'weft-pack-'));
  project = path.join(work, 'project');
  // why build, then pack without scripts: prepack would build again, and its output would go to
  // stdout in front of the JSON
  const built = run(NPM, ['run', 'build'], ROOT);
  if (built.status !== 0) throw new Error(`npm run build failed:\n${built.stdout}${built.stderr}`);
  const packed = JSON.parse(execFileSync(NPM, ['pack', '--ignore-scripts', '--pack-destination', work, '--json'], { cwd: ROOT, env: cleanEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' })) as { filename: string }[];
  tarballName = packed[0]!.filename;
  const tarball = path.join(work, tarballName);
  mkdirSync(project);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'weft-pack-probe', private: true, type: 'module' }));
  const installed = run(NPM, ['install', tarball, `vitest@${VITEST}`, '--prefer-offline', '--no-audit', '--no-fund'], project);
  if (installed.status !== 0) throw new Error(`npm install failed:\n${installed.stderr}`);
  writeFileSync(path.join(project, 'race.ts'), RACE);
  writeFileSync(path.join(project, 'wrong.ts'), RACE.replace("summary: 'a spinlock around the increment',", "summary: 'declared wrongly', expect: { violated: 'lost-update' },"));
  writeFileSync(path.join(project, 'race.test.ts'), TESTS);
  writeFileSync(path.join(project, 'readme-race.ts'), readmeSection().scenario);
  // why a folder of their own: the typecheck below covers the project's top-level files only
  mkdirSync(path.join(project, 'limits'));
  for (const f of ['never-yields', 'hangs-in-minimize']) {
    const text = readFileSync(path.join(ROOT, 'test/fixtures/limits', `${f}.ts`), 'utf8');
    if (!text.includes("from '../../../src/index'")) throw new Error(`${f}.ts no longer imports weft as this test rewrites it`);
    writeFileSync(path.join(project, 'limits', `${f}.ts`), text.replace("from '../../../src/index'", `from '${NAME}'`));
  }
  // files node takes for CommonJS: a folder whose package.json has no "type", and a .cts name
  mkdirSync(path.join(project, 'cjs'));
  writeFileSync(path.join(project, 'cjs', 'package.json'), JSON.stringify({ name: 'weft-pack-cjs', private: true }));
  for (const [f, to] of [['slow-minimize', 'slow-minimize.ts'], ['never-yields', 'never-yields.cts']] as const) {
    const text = readFileSync(path.join(ROOT, 'test/fixtures/limits', `${f}.ts`), 'utf8');
    writeFileSync(path.join(project, 'cjs', to), `${text.replace("from '../../../src/index'", `from '${NAME}'`)}\nif (typeof module !== 'object') throw new Error('loaded as ESM, not as CommonJS');\n`);
  }
}, SETUP_MS);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe(`the packed ${NAME}, installed in a project outside the repo`, () => {
  it('ships dist/, README and docs, and no sources, tests or scenarios', () => {
    const listed = JSON.parse(execFileSync(NPM, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, env: cleanEnv(), encoding: 'utf8', shell: process.platform === 'win32' })) as {
      files: { path: string }[];
    }[];
    const files = listed[0]!.files.map((f) => f.path);
    expect(files).toContain('dist/src/cli/bin.js');
    expect(files).toContain('dist/src/index.d.ts');
    expect(files).toContain('dist/models/index.js');
    expect(files).toContain('dist/src/vitest.d.ts');
    expect(files).toContain('dist/src/distribute/worker.js');
    expect(files).toContain('README.md');
    expect(files.filter((f) => !/^(dist\/|docs\/|README\.md$|package\.json$)/.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('`npx weft check race.ts` exits 0 when every variant is as declared, naming the file to replay', () => {
    const r = run(NPX, ['--no', 'weft', 'check', 'race.ts', '--no-timing'], project);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('verdict violated:lost-update (expected violated:lost-update)');
    expect(r.stdout).toContain('│');
    expect(r.stdout).toMatch(/replay: npx weft check \.\/race\.ts --variant buggy --replay w1:counter-race\/buggy:\S+/);
    expect(r.stdout).toContain('1 scenario, 2 variants: 2 as expected, 0 not');
    expect(r.status).toBe(0);
  });

  it('the printed replay command works as printed there: the same table, the violation at its step', () => {
    const printed = /replay: (npx weft check .*)$/m.exec(run(NPX, ['--no', 'weft', 'check', 'race.ts', '--no-timing'], project).stdout)![1]!;
    const r = spawnSync(printed, { cwd: project, env: cleanEnv(), encoding: 'utf8', shell: true, timeout: SETUP_MS });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^counter-race\/buggy: replay of \d+ steps, violated/);
    expect(r.stdout).toMatch(/WRITE_ONCE\(count, 1\) +✗ lost-update ◀/);
    expect(r.status).toBe(0);
  });

  it('the installed bin searches in its worker: --max-time ends a thread that never yields, in the search or in minimization, as a model error', () => {
    const r = run(NPX, ['--no', 'weft', 'check', 'limits/never-yields.ts', 'limits/hangs-in-minimize.ts', '--max-time', '1', '--no-timing'], project);
    expect(r.error, 'the bin did not end').toBeUndefined();
    expect(r.stdout).toMatch(/never-yields\/main: B \(b\) did not yield within --max-time 1 s: step 2 \(read x\)/);
    // its BUG_ON seen as one by the worker's runner: the worker shares the scenario's copy of the package
    expect(r.stdout).toMatch(/hangs-in-minimize\/main, after its search \(replaying schedules for the report\): B \(b\) did not yield within --max-time 1 s: step 1 \(read x\)/);
    expect(r.status).toBe(2);
  });

  it("the installed bin checks files node takes for CommonJS (their require()d copy of the package) in its worker: an oops with its trace, --max-time's model error", () => {
    const r = run(NPX, ['--no', 'weft', 'check', 'cjs/slow-minimize.ts', 'cjs/never-yields.cts', '--max-time', '1', '--no-timing'], project);
    expect(r.error, 'the bin did not end').toBeUndefined();
    expect(r.stdout).toContain('verdict violated:bug-on (expected violated:bug-on) · 1 execution, 6 steps (dfs) · as expected');
    expect(r.stdout).toContain('✗ bug-on at t6 in B (b): b2: A ran whole before B');
    expect(r.stdout).toMatch(/never-yields\/main: B \(b\) did not yield within --max-time 1 s: step 2 \(read x\)/);
    expect(r.stdout).toContain('2 scenarios, 2 variants: 1 as expected, 1 not (1 threw)');
    expect(r.status).toBe(2);
  });

  it('`npx weft check wrong.ts` exits 1 when a declaration is wrong', () => {
    const r = run(NPX, ['--no', 'weft', 'check', 'wrong.ts', '--no-timing'], project);
    expect(r.stdout).toContain('verdict holds (expected violated:lost-update)');
    expect(r.stdout).toContain('NOT AS EXPECTED');
    expect(r.status).toBe(1);
  });

  it("the README's own scenario does what the README says: buggy violates data-race, its replay line works as printed, fixed holds", () => {
    const { text } = readmeSection();
    expect(text).toContain(tarballName);
    expect(text).toContain('`npx weft check race.ts` prints buggy `violated:data-race`');
    const r = run(NPX, ['--no', 'weft', 'check', 'readme-race.ts', '--no-timing'], project);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('verdict violated:data-race (expected violated:data-race)');
    expect(r.stdout).toContain('verdict holds (expected holds)');
    expect(r.status).toBe(0);
    const printed = /replay: (npx weft check \.\/readme-race\.ts .*)$/m.exec(r.stdout)?.[1];
    expect(printed).toBeDefined();
    const again = spawnSync(printed!, { cwd: project, env: cleanEnv(), encoding: 'utf8', shell: true, timeout: SETUP_MS });
    expect(again.stderr).toBe('');
    expect(again.stdout).toMatch(/✗ data-race ◀/);
    expect(again.status).toBe(0);
  });

  it('the vitest matchers: one test passes, the wrong one fails printing the table and the replay command', () => {
    const r = run(NPX, ['--no', 'vitest', 'run', '--reporter=verbose'], project);
    const out = r.stdout + r.stderr;
    expect(out).toContain('expected counter-race/buggy to hold, but buggy violated lost-update');
    expect(out).toContain('│');
    expect(out).toMatch(/WRITE_ONCE\(count, 1\) +✗ lost-update ◀/);
    expect(out).toContain('replay: npx weft check ./race.ts --variant buggy --replay w1:counter-race/buggy:');
    expect(out).toMatch(/1 failed.*1 passed|1 passed.*1 failed/);
    expect(r.status).toBe(1);
  });

  it('the scenario and the test typecheck against the shipped declarations', () => {
    writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler', strict: true, noEmit: true, skipLibCheck: true, types: [] }, include: ['*.ts'] }),
    );
    const r = run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', '.'], project);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

/**
 * The limits of issue 15 item 5 on a user's scenario files outside the repository (fixtures copied
 * to a temporary project that imports weft by URL): their searches run in the search worker too,
 * so --max-time ends a thread that never yields (in the search, or only in the minimization after
 * it, or in a --replay of a token) with a one-line model error, cuts a big search as incomplete,
 * and Ctrl-C stops one with exit 130 (a search, a shard, a token's replay against its variant or
 * another, the minimization a --merge runs). What fails a test is a process that does not end: a
 * generous kill timer, no durations.
 *
 * Beside the ESM project, files node takes for CommonJS (a subdirectory whose package.json has no
 * `"type"`, and a .cts name): they require() a second copy of weft, and search in the worker all
 * the same, limits and all. They run in the same command as the ESM ones, which costs less than a
 * run of their own.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(__dirname, '../../..');
const TSX = join(repo, 'node_modules/tsx/dist/cli.mjs');
const FIXTURES = ['never-yields', 'hangs-in-minimize', 'long-search', 'fix-never-yields', 'slow-fix'] as const;
/** The CommonJS copies: where each goes (under the project), its scenario id given a `-cjs` suffix. */
const CJS_FIXTURES = { 'never-yields': 'cjs/never-yields.ts', 'slow-minimize': 'cjs/slow-minimize.ts', 'long-search': 'long-search.cts' } as const;
/** Past this the process is taken to hang: the failure this file guards against. */
const KILL_MS = 90_000;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-limits-'));
  // a project of the user's own: ESM, as `npm init` plus `"type": "module"` makes it
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'weft-limits-probe', private: true, type: 'module' }));
  const index = pathToFileURL(join(repo, 'src/index.ts')).href;
  const fixture = (f: string): string => {
    const text = readFileSync(join(repo, 'test/fixtures/limits', `${f}.ts`), 'utf8');
    if (!text.includes("from '../../../src/index'")) throw new Error(`${f}.ts no longer imports weft as this test rewrites it`);
    return text.replace("from '../../../src/index'", `from '${index}'`);
  };
  for (const f of FIXTURES) writeFileSync(join(dir, `${f}.ts`), fixture(f));
  mkdirSync(join(dir, 'cjs'));
  writeFileSync(join(dir, 'cjs', 'package.json'), JSON.stringify({ name: 'weft-limits-cjs', private: true }));
  for (const [f, to] of Object.entries(CJS_FIXTURES)) {
    const text = fixture(f);
    if (!text.includes(`id: '${f}'`)) throw new Error(`${f}.ts no longer declares its id as this test rewrites it`);
    // why the guard: a copy that node took for ESM after all would pass without testing anything
    writeFileSync(join(dir, to), `${text.replace(`id: '${f}'`, `id: '${f}-cjs'`)}\nif (typeof module !== 'object') throw new Error('loaded as ESM, not as CommonJS');\n`);
  }
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  killed: boolean;
}

/**
 * `npx tsx check …` as a user runs it, from the temporary project. `interruptWhen` (a pattern whose
 * first group is a pid) sends SIGINT to that process once stderr matches it: to weft's own
 * process, not to tsx around it. Why not the process group, as a terminal's Ctrl-C: tsx then
 * relays the signal again and kills its child if the child has not acknowledged it within 60 ms,
 * which a loaded machine does not always manage.
 */
function weft(args: readonly string[], interruptWhen?: RegExp): Promise<Ran> {
  return new Promise((done, reject) => {
    // why a process group of its own: tsx runs weft in a child process, and a kill must reach it too
    const child = spawn(process.execPath, [TSX, join(repo, 'check.ts'), ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    let sent = false;
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      process.kill(-child.pid!, 'SIGKILL');
    }, KILL_MS);
    child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = interruptWhen && !sent ? interruptWhen.exec(err) : null;
      if (m) {
        sent = true;
        // why a pause: past the marker the search is running, not starting
        setTimeout(() => process.kill(Number(m[1]), 'SIGINT'), 500);
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, out, err, killed });
    });
  });
}

describe('a user scenario file outside the repository, searched in the search worker', () => {
  it(
    '--max-time 1: a thread that never yields, in the search or only in minimization, is a one-line model error; a big search is incomplete',
    async () => {
      const r = await weft(['never-yields.ts', 'hangs-in-minimize.ts', 'long-search.ts', ...Object.values(CJS_FIXTURES), '--max-time', '1', '--no-timing']);
      expect(r.killed, `still running after ${KILL_MS / 1000} s:\n${r.out}${r.err}`).toBe(false);
      expect(r.code, r.err).toBe(2);
      expect(r.out).toMatch(/error \(expected holds\): never-yields\/main: B \(b\) did not yield within --max-time 1 s: step 2 \(read x\) or its code after it loops without yielding; every loop/);
      // found by the search (so the worker's runner saw the scenario's BUG_ON as one: one copy of
      // weft), then stuck in a schedule only minimization runs
      expect(r.out).toMatch(
        /error \(expected violated:bug-on\): hangs-in-minimize\/main, after its search \(replaying schedules for the report\): B \(b\) did not yield within --max-time 1 s: step 1 \(read x\) or its code/,
      );
      expect(r.out).toMatch(/verdict incomplete \(expected holds\) · [\d,]+ executions, [\d,]+ steps, search incomplete: stopped after 1\.0 s .*--max-time/);
      const cut = [...r.out.matchAll(/nothing to find\n.*verdict incomplete \(expected holds\) · ([\d,]+) executions, [\d,]+ steps, search incomplete: stopped after 1\.0 s .*--max-time/g)];
      // the ESM file's search and the .cts one's
      expect(cut).toHaveLength(2);
      // C(24, 12) = 2,704,156 executions would be the whole search
      // and never 0: the count is what the search explored, though --max-time cut it (parallel.ts)
      for (const m of cut) expect(Number(m[1]!.replace(/,/g, ''))).toBeGreaterThan(0);
      for (const m of cut) expect(Number(m[1]!.replace(/,/g, ''))).toBeLessThan(2_704_156);
      // the CommonJS files, with weft's modules a copy of their own: the same model error from the
      // worker's watchdog, and their oops a BUG_ON to the worker's runner, with its trace
      expect(r.out).toMatch(/error \(expected holds\): never-yields-cjs\/main: B \(b\) did not yield within --max-time 1 s: step 2 \(read x\) or its code after it loops without yielding/);
      expect(r.out).toMatch(/verdict violated:bug-on \(expected violated:bug-on\) · 1 execution, 6 steps \(dfs\) · as expected/);
      expect(r.out).toMatch(/6 │ +│ b2 +✗ bug-on ◀/);
      expect(r.out).toContain('✗ bug-on at t6 in B (b): b2: A ran whole before B');
      expect(r.out).toContain('replay: npx tsx check ./cjs/slow-minimize.ts --variant main --replay w1:slow-minimize-cjs/main:A3B3');
      expect(r.out).not.toContain('loaded as ESM');
      expect(r.out).toContain('6 scenarios, 6 variants: 1 as expected, 5 not (3 threw)');
    },
    KILL_MS + 10_000,
  );

  it(
    'SIGINT stops its search mid-way: partial counts, the verdict so far incomplete, exit 130',
    async () => {
      const r = await weft(['long-search.ts', '--no-timing'], /long-search: searching in process (\d+)/);
      expect(r.killed, `still running after ${KILL_MS / 1000} s:\n${r.out}${r.err}`).toBe(false);
      expect(r.code, `${r.signal} ${r.err}`).toBe(130);
      const m = /stopped long-search\/main: incomplete, interrupted after ([\d,]+) executions?, ([\d,]+) steps/.exec(r.out);
      expect(m, r.out).not.toBeNull();
      const executions = Number(m![1]!.replace(/,/g, ''));
      expect(executions).toBeLessThan(2_704_156);
      expect(Number(m![2]!.replace(/,/g, ''))).toBeGreaterThanOrEqual(executions * 24);
      expect(r.err).toMatch(/weft: interrupted \(SIGINT\)/);
    },
    KILL_MS + 10_000,
  );

  it(
    "--replay records in the worker too: a thread that never yields on the token's schedule is --max-time's model error",
    async () => {
      const r = await weft(['cjs/never-yields.ts', '--replay', 'w1:never-yields-cjs/main:AB', '--max-time', '1']);
      expect(r.killed, `still running after ${KILL_MS / 1000} s:\n${r.out}${r.err}`).toBe(false);
      expect(r.out).toBe('');
      expect(r.err).toBe(
        "weft: never-yields-cjs/main, replaying the token's schedule: B (b) did not yield within --max-time 1 s: step 2 (read x) or its code after it loops without yielding; every loop in a thread must yield an op (yield* a model helper) on each turn\n",
      );
      expect(r.code).toBe(2);
    },
    KILL_MS + 10_000,
  );

  it(
    "--replay TOKEN --variant V replays in the worker: a fix that never yields on the token's schedule is --max-time's model error",
    async () => {
      const r = await weft(['fix-never-yields.ts', '--replay', 'w1:fix-never-yields/buggy:AB', '--variant', 'fixed', '--max-time', '1']);
      expect(r.killed, `still running after ${KILL_MS / 1000} s:\n${r.out}${r.err}`).toBe(false);
      expect(r.out).toBe('');
      expect(r.err).toBe(
        "weft: fix-never-yields/fixed, replaying the token's schedule: B (b) did not yield within --max-time 1 s: step 2 (read x) or its code after it loops without yielding; every loop in a thread must yield an op (yield* a model helper) on each turn\n",
      );
      expect(r.code).toBe(2);
    },
    KILL_MS + 10_000,
  );

  it(
    '--shard i/n searches in the worker: a thread that never yields is a one-line model error; SIGINT stops a shard with exit 130',
    async () => {
      const r = await weft(['never-yields.ts', '--shard', '0/2', '--json', '--max-time', '1']);
      expect(r.killed, `still running after ${KILL_MS / 1000} s:\n${r.out}${r.err}`).toBe(false);
      expect(r.out).toBe('');
      expect(r.err).toBe(
        'weft: never-yields/main: B (b) did not yield within --max-time 1 s: step 2 (read x) or its code after it loops without yielding; every loop in a thread must yield an op (yield* a model helper) on each turn\n',
      );
      expect(r.code).toBe(2);
      const s = await weft(['long-search.ts', '--shard', '0/2', '--json', '--no-timing'], /long-search: searching in process (\d+)/);
      expect(s.killed, `still running after ${KILL_MS / 1000} s:\n${s.out}${s.err}`).toBe(false);
      expect(s.code, `${s.signal} ${s.err}`).toBe(130);
      // why nothing on stdout: half a shard file would be merged as if it were one
      expect(s.out).toBe('');
      expect(s.err).toMatch(/weft: interrupted \(SIGINT\) in shard 0\/2 of long-search\/main after [\d,]+ executions?, [\d,]+ steps; no shard result was written\n$/);
    },
    2 * KILL_MS + 10_000,
  );

  it(
    '--merge makes its traces in the worker: a thread that never yields while the merged violation is minimized is a one-line model error',
    async () => {
      const s = await weft(['hangs-in-minimize.ts', '--shard', '0/1', '--json']);
      expect(s.code, s.err).toBe(0);
      const file = join(dir, 'hangs-in-minimize.shard-0.json');
      writeFileSync(file, s.out);
      const r = await weft(['hangs-in-minimize.ts', '--merge', file, '--max-time', '1']);
      expect(r.killed, `still running after ${KILL_MS / 1000} s:\n${r.out}${r.err}`).toBe(false);
      expect(`${r.out}${r.err}`).toMatch(
        /hangs-in-minimize\/main, after its search \(replaying schedules for the report\): B \(b\) did not yield within --max-time 1 s: step 1 \(read x\) or its code after it loops without yielding/,
      );
      expect(r.code).toBe(2);
    },
    2 * KILL_MS + 10_000,
  );

  it(
    'SIGINT while a token replays (against its own variant or another), or while --merge minimizes the merged violation: exit 130, what was decided, nothing recorded',
    async () => {
      const setup = /slow-minimize: setup in process (\d+)/;
      const r = await weft(['cjs/slow-minimize.ts', '--replay', 'w1:slow-minimize-cjs/main:A3B3', '--param', 'slow=1000'], setup);
      expect(r.killed, `still running after ${KILL_MS / 1000} s:\n${r.out}${r.err}`).toBe(false);
      expect(r.code, `${r.signal} ${r.err}`).toBe(130);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/weft: interrupted \(SIGINT\) while slow-minimize-cjs\/main replayed; nothing was recorded\n$/);
      const s = await weft(['cjs/slow-minimize.ts', '--shard', '0/1', '--json', '--param', 'slow=1000']);
      expect(s.code, s.err).toBe(0);
      const file = join(dir, 'slow-minimize.shard-0.json');
      writeFileSync(file, s.out);
      const m = await weft(['cjs/slow-minimize.ts', '--merge', file, '--no-timing'], setup);
      expect(m.killed, `still running after ${KILL_MS / 1000} s:\n${m.out}${m.err}`).toBe(false);
      expect(m.code, `${m.signal} ${m.err}`).toBe(130);
      // the counts are the shards' (the worker searched nothing itself), not 0
      expect(m.out).toBe('stopped slow-minimize-cjs/main: violated:bug-on found after 1 execution, 6 steps; interrupted while its trace was being minimized\n');
      expect(m.err).toMatch(/weft: interrupted \(SIGINT\); the verdicts above are all that was decided/);
      // a token replayed against another variant: two replays in the worker, the first interrupted
      const f = await weft(['slow-fix.ts', '--replay', 'w1:slow-fix/buggy:A3B3', '--variant', 'fixed', '--param', 'slow=1000'], /slow-fix: setup in process (\d+)/);
      expect(f.killed, `still running after ${KILL_MS / 1000} s:\n${f.out}${f.err}`).toBe(false);
      expect(f.code, `${f.signal} ${f.err}`).toBe(130);
      expect(f.out).toBe('');
      expect(f.err).toMatch(/weft: interrupted \(SIGINT\) while the schedule of slow-fix\/buggy replayed against fixed; nothing was recorded\n$/);
    },
    4 * KILL_MS + 10_000,
  );
});

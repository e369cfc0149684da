/**
 * The limits of issue 15 item 5 on a user's scenario files outside the repository (fixtures copied
 * to a temporary project that imports weft by URL): their searches run in the search worker too,
 * so --max-time ends a thread that never yields (in the search, or only in the minimization after
 * it) with a one-line model error, cuts a big search as incomplete, and Ctrl-C stops one with
 * exit 130. What fails a test is a process that does not end: a generous kill timer, no durations.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(__dirname, '../../..');
const TSX = join(repo, 'node_modules/tsx/dist/cli.mjs');
const FIXTURES = ['never-yields', 'hangs-in-minimize', 'long-search'] as const;
/** Past this the process is taken to hang: the failure this file guards against. */
const KILL_MS = 90_000;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-limits-'));
  // a project of the user's own: ESM, as `npm init` plus `"type": "module"` makes it
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'weft-limits-probe', private: true, type: 'module' }));
  const index = pathToFileURL(join(repo, 'src/index.ts')).href;
  for (const f of FIXTURES) {
    const text = readFileSync(join(repo, 'test/fixtures/limits', `${f}.ts`), 'utf8');
    if (!text.includes("from '../../../src/index'")) throw new Error(`${f}.ts no longer imports weft as this test rewrites it`);
    writeFileSync(join(dir, `${f}.ts`), text.replace("from '../../../src/index'", `from '${index}'`));
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
      const r = await weft(['never-yields.ts', 'hangs-in-minimize.ts', 'long-search.ts', '--max-time', '1', '--no-timing']);
      expect(r.killed, `still running after ${KILL_MS / 1000} s:\n${r.out}${r.err}`).toBe(false);
      expect(r.code, r.err).toBe(2);
      expect(r.out).toMatch(/error \(expected holds\): never-yields\/main: B \(b\) did not yield within --max-time 1 s: step 2 \(read x\) or its code after it loops without yielding; every loop/);
      // found by the search (so the worker's runner saw the scenario's BUG_ON as one: one copy of
      // weft), then stuck in a schedule only minimization runs
      expect(r.out).toMatch(
        /error \(expected violated:bug-on\): hangs-in-minimize\/main, after its search \(replaying schedules for the report\): B \(b\) did not yield within --max-time 1 s: step 1 \(read x\) or its code/,
      );
      expect(r.out).toMatch(/verdict incomplete \(expected holds\) · [\d,]+ executions, [\d,]+ steps, search incomplete: stopped after 1\.0 s .*--max-time/);
      const executions = Number(/nothing to find\n.*· ([\d,]+) executions/.exec(r.out)![1]!.replace(/,/g, ''));
      // C(24, 12) = 2,704,156 executions would be the whole search
      expect(executions).toBeLessThan(2_704_156);
      expect(r.out).toContain('3 scenarios, 3 variants: 0 as expected, 3 not (2 threw)');
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
});

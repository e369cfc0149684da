/**
 * `--jobs 2` on a user's scenario file outside the repository: the search worker and the pool's
 * workers import the module by its URL (they say so in a log the module writes), and the verdict
 * and the execution count are those of `--jobs 1`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { SMALL_SEARCH_EXECUTIONS } from '../../../src/distribute/parallel';

const repo = resolve(__dirname, '../../..');
const index = pathToFileURL(join(repo, 'src/index.ts')).href;
const TSX = join(repo, 'node_modules/tsx/dist/cli.mjs');

/**
 * Three writers of one field (3, 3 and 4 writes): 10!/(3!·3!·4!) = 4,200 schedules, all different
 * under DPOR, so past the small-search bound and split. Each thread that imports the module appends
 * `main`, `search <url>` (the search worker) or `pool <url>` (a pool worker: its workerData has a
 * slot) to the log. Why the search worker slows down until a pool worker has imported it (only
 * when `wait` exists): it explores partitions too and, on a loaded machine, could finish them all
 * before a pool worker has started; slowing it makes the pool's share all but certain, and
 * changes no result.
 */
function source(log: string, wait: string): string {
  return `import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { isMainThread, workerData } from 'node:worker_threads';
import { defineScenario, perform } from '${index}';
const role = isMainThread ? 'main' : workerData && workerData.slot !== undefined ? 'pool' : 'search';
appendFileSync(${JSON.stringify(log)}, role === 'main' ? 'main\\n' : role + ' ' + import.meta.url + '\\n');
const writes = (n) => function* (w) {
  for (let i = 0; i < n; i++) yield* perform({ object: w.x, access: 'write', label: 'x++', run: () => { w.x.value++; } });
};
let setups = 0;
let naps = 0;
let seen = false;
const nap = new Int32Array(new SharedArrayBuffer(4));
/** 10 ms per execution until a pool worker has imported the module (at most 20 s in all). */
function slowUntilAWorker() {
  if (seen || naps >= 2000) return;
  seen = readFileSync(${JSON.stringify(log)}, 'utf8').includes('pool');
  if (!seen) naps++, Atomics.wait(nap, 0, 0, 10);
}
export const writers = defineScenario({
  id: 'three-writers',
  title: 'three writers of one field',
  commits: [],
  setup: () => {
    if (role === 'search' && ++setups > ${SMALL_SEARCH_EXECUTIONS} && existsSync(${JSON.stringify(wait)})) slowUntilAWorker();
    return { x: { name: 'x', value: 0 } };
  },
  variants: {
    fixed: { summary: 'every write counted', expect: 'holds', threads: { a: writes(3), b: writes(3), c: writes(4) } },
  },
});
`;
}

let dir: string;
let log: string;
let wait: string;
let file: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-jobs-'));
  log = join(dir, 'imports.log');
  wait = join(dir, 'wait-for-a-worker');
  file = join(dir, 'writers.ts');
  // an ESM project: the module's log line names the thread by import.meta.url, which CommonJS lacks
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'weft-jobs-probe', private: true, type: 'module' }));
  writeFileSync(file, source(log, wait));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `npx tsx check <file> …` in a process of its own, as a user runs it (in this thread vitest loads modules its own way). */
function run(argv: string[]) {
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, [TSX, join(repo, 'check.ts'), ...argv], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr, imports: readFileSync(log, 'utf8').trimEnd().split('\n') };
}

describe('--jobs 2 on a user scenario file', () => {
  it('workers import the module by its URL; verdict and execution count are those of --jobs 1', () => {
    const one = run([file, '--json', '--no-timing', '--jobs', '1']);
    writeFileSync(wait, '');
    const two = run([file, '--json', '--no-timing', '--jobs', '2']);
    rmSync(wait);
    expect(existsSync(wait)).toBe(false);
    expect([one.err, two.err]).toEqual(['', '']);
    expect([one.code, two.code]).toEqual([0, 0]);
    const url = pathToFileURL(file).href;
    expect(one.imports).toEqual(['main', `search ${url}`]);
    expect(two.imports.slice(0, 2)).toEqual(['main', `search ${url}`]);
    expect(two.imports.slice(2)).toContain(`pool ${url}`);
    type Result = { verdict: string; stats: { executions: number; steps: number } };
    const [a] = (JSON.parse(one.out) as { results: Result[] }).results;
    const [b] = (JSON.parse(two.out) as { results: Result[] }).results;
    expect(a!.verdict).toBe('holds');
    expect(a!.stats.executions).toBe(4200);
    expect(b!.verdict).toBe(a!.verdict);
    expect(b!.stats).toEqual(a!.stats);
    expect(two.out).toBe(one.out);
  }, 120_000);
});

/**
 * `npm run bench:against -- REF`: dfs steps per second of this tree against another commit's, side
 * by side in one process. The other tree is checked out in a temporary git worktree (sharing this
 * one's node_modules), both trees' explorers are loaded, and the rounds alternate which one runs
 * first, so that both see the same machine: a load that comes and goes moves both, not one.
 *
 * Rates are per second of this process's CPU time (process.cpuUsage), not of wall time: on a
 * shared machine the wall clock also counts the time other processes had the core. The ratio is
 * between the two medians; the pairwise ratios (round by round) show how far one round can mislead.
 * With --instructions, each tree's search is counted in instructions under valgrind instead
 * (instructionTable), which repeat within about 1% where CPU-time rounds vary by 10% or more.
 *
 * REF must have bench/search.ts's runSearch and bench/programs.ts's `programs` (every tree since
 * the benchmark families were added). The searches are the benchmark families' own, with no audit
 * (BENCH_LIMITS), so what is compared is the hot loop outside audit executions.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { buildSync } from 'esbuild';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { count, paramsText, renderTable } from './table';

interface Tree {
  readonly name: string;
  readonly programs: readonly { readonly id: string; readonly params: Record<string, number>; readonly build: (p: Record<string, number>) => unknown }[];
  readonly runSearch: (s: { scenario: unknown; params: object; strategy: unknown; timeMsMax: number }) => { stats: { steps: number; executions: number } };
  readonly Dfs: new () => unknown;
}

const USAGE = `npm run bench:against -- REF [--rounds N] [--instance ID:P=V,…] [--instructions]

  REF                 a commit, tag or branch of this repository to compare with
  --rounds N          alternating rounds per instance (default 12)
  --instance ID:P=V   benchmark family instances (default mpat:k=6,lastzero:n=10)
  --instructions      count instructions under valgrind instead of timing (default instance
                      mpat:k=5): the same on every run, where CPU time varies by 10% or more`;

async function loadTree(name: string, root: string): Promise<Tree> {
  const search = (await import(join(root, 'bench/search.ts'))) as { runSearch: Tree['runSearch'] };
  const programs = (await import(join(root, 'bench/programs.ts'))) as { programs: Tree['programs'] };
  const dfs = (await import(join(root, 'src/search/strategies/dfs.ts'))) as { DfsStrategy: Tree['Dfs'] };
  return { name, programs: programs.programs, runSearch: search.runSearch, Dfs: dfs.DfsStrategy };
}

/** One search of `instance` on `tree`: steps, executions and CPU milliseconds. */
function measure(tree: Tree, id: string, params: Record<string, number>): { steps: number; executions: number; cpuMs: number } {
  const p = tree.programs.find((x) => x.id === id && Object.entries(params).every(([k, v]) => x.params[k] === v));
  if (p === undefined) throw new Error(`${tree.name} has no benchmark instance ${id} ${JSON.stringify(params)}`);
  const scenario = p.build(p.params);
  const before = process.cpuUsage();
  const r = tree.runSearch({ scenario, params: {}, strategy: new tree.Dfs(), timeMsMax: Number.MAX_SAFE_INTEGER });
  const used = process.cpuUsage(before);
  return { steps: r.stats.steps, executions: r.stats.executions, cpuMs: (used.user + used.system) / 1000 };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function parseInstance(spec: string): { id: string; params: Record<string, number> } {
  const [id, ...rest] = spec.split(':');
  const params: Record<string, number> = {};
  for (const kv of rest.join(':').split(';').filter((s) => s.length > 0)) {
    const [k, v] = kv.split('=');
    if (k === undefined || v === undefined || !Number.isInteger(Number(v))) throw new Error(`--instance ${spec}: write ID:P=V (mpat:k=6)`);
    params[k] = Number(v);
  }
  return { id: id!, params };
}

function commitOf(repo: string, ref: string): string {
  try {
    return execFileSync('git', ['-C', repo, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    throw new Error(`${ref} is not a commit of this repository`);
  }
}

/**
 * Instructions of one search of each instance on each tree: valgrind's count for a process that
 * runs it three times less that for one that runs it once, halved, so startup, loading and the
 * first compilations cancel. Each tree runs as one esbuild bundle, the same modules the CLI loads,
 * with no loader threads beside it. Why V8 single-threaded: with background compilation, valgrind's
 * serialized threads land optimized code at varying points, and the count moves with them.
 */
function instructionTable(roots: readonly string[], ref: string, sha: string, instances: readonly { id: string; params: Record<string, number> }[]): void {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('--instructions needs valgrind on the PATH (apt-get install valgrind)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'weft-instructions-'));
  try {
    const bundles = roots.map((root, k) => bundle(root, join(dir, `tree-${k}`)));
    const rows: string[][] = [];
    for (const { id, params } of instances) {
      const label = `${id} ${paramsText(params)}`;
      process.stderr.write(`against: ${label}, instructions under valgrind (four runs)\n`);
      const per = bundles.map((b) => (instructions(b, id, params, 3) - instructions(b, id, params, 1)) / 2);
      rows.push([label, `${(per[0]! / 1e6).toFixed(1)}M`, `${(per[1]! / 1e6).toFixed(1)}M`, (per[1]! / per[0]!).toFixed(3)]);
    }
    console.log(`dfs instructions per search (valgrind): this tree against ${ref} (${sha.slice(0, 10)}); ratio: ${ref}'s over this tree's, so below 1 is more here\n`);
    console.log(
      renderTable(
        [
          { title: 'instance', align: 'left' },
          { title: 'this tree', align: 'right' },
          { title: ref, align: 'right' },
          { title: 'ratio', align: 'right' },
        ],
        rows,
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The tree at root as one script that runs an instance's dfs search ROUNDS times: `node FILE ID PARAMS ROUNDS`. */
function bundle(root: string, out: string): string {
  const entry = `${out}.entry.ts`;
  const at = (path: string): string => JSON.stringify(join(root, path));
  writeFileSync(
    entry,
    [
      `import { runSearch } from ${at('bench/search.ts')};`,
      `import { programs } from ${at('bench/programs.ts')};`,
      `import { DfsStrategy } from ${at('src/search/strategies/dfs.ts')};`,
      'const [id, params, rounds] = process.argv.slice(2);',
      'const want = JSON.parse(params);',
      'const p = programs.find((x) => x.id === id && Object.keys(want).every((k) => x.params[k] === want[k]));',
      'if (p === undefined) throw new Error(`no benchmark instance ${id} ${params}`);',
      'for (let r = 0; r < Number(rounds); r++) runSearch({ scenario: p.build(p.params), params: {}, strategy: new DfsStrategy(), timeMsMax: Number.MAX_SAFE_INTEGER });',
      '',
    ].join('\n'),
  );
  const file = `${out}.mjs`;
  buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: file, logLevel: 'error' });
  return file;
}

/** valgrind's instruction count for a process that runs the instance `rounds` times from `file` (bundle). */
function instructions(file: string, id: string, params: Record<string, number>, rounds: number): number {
  const args = ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, '--single-threaded', file, id, JSON.stringify(params), String(rounds)];
  const r = spawnSync('valgrind', args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  const collected = /Collected\s*:\s*(\d+)/.exec(r.stderr ?? '');
  if (r.status !== 0 || collected === null) throw new Error(`valgrind on ${id} ${paramsText(params)}: ${(r.stderr ?? String(r.error)).trim().split('\n').slice(-3).join(' ')}`);
  return Number(collected[1]);
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: { rounds: { type: 'string', default: '12' }, instance: { type: 'string' }, instructions: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help || positionals.length !== 1) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds ${values.rounds}: a positive integer`);
  const instances = (values.instance ?? (values.instructions ? 'mpat:k=5' : 'mpat:k=6,lastzero:n=10')).split(',').map(parseInstance);
  const here = resolve(import.meta.dirname, '..');
  const ref = positionals[0]!;
  const sha = commitOf(here, ref);
  const dir = mkdtempSync(join(tmpdir(), 'weft-against-'));
  try {
    execFileSync('git', ['-C', here, 'worktree', 'add', '--detach', dir, sha], { stdio: 'ignore' });
    if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(here, 'node_modules'), join(dir, 'node_modules'), 'dir');
    if (values.instructions) {
      instructionTable([here, dir], ref, sha, instances);
      return 0;
    }
    const trees = [await loadTree('this tree', here), await loadTree(`${ref} (${sha.slice(0, 10)})`, dir)];
    const rows: string[][] = [];
    for (const { id, params } of instances) {
      const label = `${id} ${paramsText(params)}`;
      process.stderr.write(`against: ${label}, ${rounds} rounds\n`);
      // why one search each first: both trees' code is compiled and warm before anything counts
      const warm = trees.map((t) => measure(t, id, params));
      if (warm[0]!.executions !== warm[1]!.executions || warm[0]!.steps !== warm[1]!.steps) {
        process.stderr.write(`against: ${label} explores ${warm[0]!.executions} executions (${warm[0]!.steps} steps) here and ${warm[1]!.executions} (${warm[1]!.steps}) at ${ref}: the rates compare different searches\n`);
      }
      const rates: number[][] = [[], []];
      for (let r = 0; r < rounds; r++) {
        for (const k of r % 2 === 0 ? [0, 1] : [1, 0]) {
          const m = measure(trees[k]!, id, params);
          rates[k]!.push((m.steps * 1000) / m.cpuMs);
        }
      }
      const pairwise = rates[0]!.map((x, i) => x / rates[1]![i]!);
      const [a, b] = [median(rates[0]!), median(rates[1]!)];
      rows.push([label, count(warm[0]!.executions), `${(a / 1e6).toFixed(3)}M`, `${(b / 1e6).toFixed(3)}M`, (a / b).toFixed(3), `${Math.min(...pairwise).toFixed(2)}–${Math.max(...pairwise).toFixed(2)}`]);
    }
    console.log(`dfs steps per CPU second, medians of ${rounds} alternating rounds: this tree against ${ref} (${sha.slice(0, 10)})\n`);
    console.log(
      renderTable(
        [
          { title: 'instance', align: 'left' },
          { title: 'executions', align: 'right' },
          { title: 'this tree', align: 'right' },
          { title: ref, align: 'right' },
          { title: 'ratio', align: 'right' },
          { title: 'pairwise', align: 'right' },
        ],
        rows,
      ),
    );
    return 0;
  } finally {
    try {
      execFileSync('git', ['-C', here, 'worktree', 'remove', '--force', dir], { stdio: 'ignore' });
    } catch {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`bench:against: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  },
);

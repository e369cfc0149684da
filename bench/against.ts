/**
 * `npm run bench:against -- REF`: dfs steps per second of this tree against another commit's, side
 * by side in one process. The other tree is checked out in a temporary git worktree (sharing this
 * one's node_modules), both trees' explorers are loaded, and the rounds alternate which one runs
 * first, so that both see the same machine: a load that comes and goes moves both, not one.
 *
 * Rates are per second of this process's CPU time (process.cpuUsage), not of wall time: on a
 * shared machine the wall clock also counts the time other processes had the core. The ratio is
 * between the two medians; the pairwise ratios (round by round) show how far one round can mislead.
 *
 * REF must have bench/search.ts's runSearch and bench/programs.ts's `programs` (every tree since
 * the benchmark families were added). The searches are the benchmark families' own, with no audit
 * (BENCH_LIMITS), so what is compared is the hot loop outside audit executions.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
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

const USAGE = `npm run bench:against -- REF [--rounds N] [--instance ID:P=V,…]

  REF                 a commit, tag or branch of this repository to compare with
  --rounds N          alternating rounds per instance (default 12)
  --instance ID:P=V   benchmark family instances (default mpat:k=6,lastzero:n=10)`;

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

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: { rounds: { type: 'string', default: '12' }, instance: { type: 'string', default: 'mpat:k=6,lastzero:n=10' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help || positionals.length !== 1) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds ${values.rounds}: a positive integer`);
  const instances = values.instance!.split(',').map(parseInstance);
  const here = resolve(import.meta.dirname, '..');
  const ref = positionals[0]!;
  const sha = commitOf(here, ref);
  const dir = mkdtempSync(join(tmpdir(), 'weft-against-'));
  try {
    execFileSync('git', ['-C', here, 'worktree', 'add', '--detach', dir, sha], { stdio: 'ignore' });
    if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(here, 'node_modules'), join(dir, 'node_modules'), 'dir');
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

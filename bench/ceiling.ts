/**
 * What a second core gives on this machine, for reading section 3: one single-thread search alone in
 * a process, then two copies of it side by side in two processes. Two copies share nothing, so
 * their throughput over one copy's is what `--jobs 2` could reach with no cost of its own at that
 * moment; cores that share caches, other work on the VM, and a lone thread's garbage collector and
 * compiler (which use the idle core) keep it below 2.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DfsStrategy } from '../src/search/strategies/dfs';
import { lastzero } from './programs';
import { runSearch } from './search';

const SELF = fileURLToPath(import.meta.url);

export interface Ceiling {
  readonly label: string;
  /** The search alone, ms (the faster of two runs). */
  readonly aloneMs: number;
  /** Each of the two copies run side by side, ms. */
  readonly sideBySideMs: readonly [number, number];
  /** Searches per second of the two side by side over one alone. */
  readonly throughputRatio: number;
}

function quoted(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

export function measureCeiling(quick: boolean): Ceiling {
  const n = quick ? 10 : 13;
  const command = [process.execPath, ...process.execArgv, SELF, String(n)].map(quoted).join(' ');
  const run = (script: string): number[] => {
    const child = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`bench: ceiling child failed (${child.error?.message ?? `exit ${child.status}`}):\n${child.stderr}`);
    return child.stdout.trim().split('\n').map(Number);
  };
  // why the faster of two: a lone run slowed by other work on the machine would inflate the ratio
  const aloneMs = Math.min(run(command)[0]!, run(command)[0]!);
  const [a, b] = run(`${command} & ${command} & wait`) as [number, number];
  return { label: `lastzero(n=${n}), whole dfs search`, aloneMs, sideBySideMs: [a, b], throughputRatio: (2 * aloneMs) / Math.max(a, b) };
}

function childMain(n: number): void {
  // why a smaller run first: both copies are then timed on compiled code, as the one alone is
  runSearch({ scenario: lastzero({ n: 8 }), params: { n: 8 }, strategy: new DfsStrategy(), timeMsMax: 60_000 });
  const started = performance.now();
  runSearch({ scenario: lastzero({ n }), params: { n }, strategy: new DfsStrategy(), timeMsMax: 600_000 });
  process.stdout.write(`${Math.round(performance.now() - started)}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === SELF) childMain(Number(process.argv[2]));

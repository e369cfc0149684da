/**
 * `npm run bench:against -- REF`: both trees searched side by side in one process. Counts and the
 * table's shape only; the rates themselves are not asserted (timings belong to the benchmark).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'bench/against.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

describe('bench:against', () => {
  it('compares this tree with a commit on one benchmark instance and leaves no worktree behind', () => {
    const before = spawnSync('git', ['worktree', 'list'], { cwd: ROOT, encoding: 'utf8' }).stdout;
    const r = run('HEAD', '--rounds', '1', '--instance', 'mpat:k=4');
    expect(r.stderr).not.toMatch(/different searches/);
    expect(r.status, r.stderr).toBe(0);
    // mpat(4) has 4! * 2^4 = 384 executions on both trees
    expect(r.stdout).toMatch(/^mpat k=4 +384 +[\d.]+M +[\d.]+M +[\d.]+ +[\d.]+–[\d.]+$/m);
    expect(spawnSync('git', ['worktree', 'list'], { cwd: ROOT, encoding: 'utf8' }).stdout).toBe(before);
  });

  it('an unknown ref or instance is a one-line error with exit 2', () => {
    const ref = run('no-such-ref-anywhere', '--rounds', '1');
    expect(ref.status).toBe(2);
    expect(ref.stderr.trim().split('\n').at(-1)).toMatch(/^bench:against: /);
    const inst = run('HEAD', '--rounds', '1', '--instance', 'mpat:k=99');
    expect(inst.status).toBe(2);
    expect(inst.stderr.trim().split('\n').at(-1)).toMatch(/^bench:against: this tree has no benchmark instance mpat \{"k":99\}$/);
  });
});

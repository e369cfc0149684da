import { scenarios } from '../../../scenarios/index';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main';

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const io = { out: (s: string) => void (out += s), err: (s: string) => void (err += s), isTTY: false, env: {} };
  const code = await main(argv, io, scenarios);
  return { code, out, err };
}

const S1 = 'mmu-notifier-unregister-release';
/**
 * 4,200 interleavings: past the 2,000-execution trial, so split over workers, and cheap per
 * execution (a user's file, so the workers import it by its path as they would a user's).
 */
const WRITERS = resolve(__dirname, '../../fixtures/search/three-writers.ts');
const BIG = [WRITERS, '--variant', 'fixed', '--strategy', 'exhaustive'];

describe('a search cut short says incomplete in text, JSON and exit code, for every strategy', () => {
  it.each([
    ['dfs', ['--max-executions', '3'], '--max-executions'],
    ['bounded', ['--strategy', 'bounded', '--preemptions', '1'], '--preemptions'],
    ['random', ['--strategy', 'random', '--seed', '4', '--executions', '20'], null],
    ['pct', ['--strategy', 'pct', '--seed', '4', '--executions', '20', '--depth', '3'], null],
    // why 2,500: past the 2,000-execution trial, so the cut falls in the split search
    ['exhaustive, split', [...BIG.slice(3), '--max-executions', '2500', '--jobs', '2'], '--max-executions'],
  ])('%s', async (_name, flags, flag) => {
    const base = flags.includes('exhaustive') ? BIG.slice(0, 3) : [S1, '--variant', 'fixed'];
    const text = (await run([...base, ...flags, '--no-timing']));
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/verdict incomplete \(expected holds\)/);
    if (flag) expect(text.out).toContain(`raise with ${flag}`);
    else expect(text.out).toMatch(/samples schedules and cannot prove that none fails/);
    const json = (await run([...base, ...flags, '--json']));
    expect(json.code).toBe(1);
    const result = (JSON.parse(json.out) as { results: { verdict: string; cutBy: { flag: string }[] }[] }).results[0]!;
    expect(result.verdict).toBe('incomplete');
    if (flag) expect(result.cutBy.map((c) => c.flag)).toContain(flag);
  });
});

describe('strategy flags', () => {
  it('bounded prints executions per preemption bound, in text and JSON', async () => {
    const r = (await run([S1, '--variant', 'fixed', '--strategy', 'bounded', '--preemptions', '2', '--no-timing']));
    expect(r.out).toContain(`${S1}/fixed  0: 2 · 1: 20 · 2: 150`);
    const j = JSON.parse((await run([S1, '--variant', 'fixed', '--strategy', 'bounded', '--preemptions', '2', '--json'])).out) as {
      results: { executionsByPreemptions: number[] }[];
    };
    expect(j.results[0]!.executionsByPreemptions).toEqual([2, 20, 150]);
  });

  it('random and pct print their seed, and the same seed gives the same output', async () => {
    for (const strategy of ['random', 'pct']) {
      const argv = [S1, '--strategy', strategy, '--seed', 'abc', '--executions', '50', '--no-timing'];
      const a = (await run(argv));
      expect(a.out).toContain('seed abc (the same seed repeats this run: --seed abc)');
      expect(a.out).toMatch(/buggy: .*\n    verdict violated:oops/);
      expect((await run(argv)).out).toBe(a.out);
      expect((JSON.parse((await run([...argv, '--json'])).out) as { seed: string }).seed).toBe('abc');
    }
  });

  it('without --seed a fresh seed is drawn and printed', async () => {
    const r = (await run([S1, '--variant', 'buggy', '--strategy', 'random', '--no-timing']));
    expect(r.out).toMatch(/seed \d+ \(the same seed repeats this run: --seed \d+\)/);
  });

  it.each([
    [[S1, '--preemptions', '2']],
    [[S1, '--strategy', 'bounded', '--seed', '1']],
    [[S1, '--strategy', 'random', '--depth', '2']],
    [[S1, '--jobs', '0']],
    [[S1, '--shard', '3/3']],
    [[S1, '--shard', 'x']],
    [[S1, '--strategy', 'bounded', '--shard', '0/2']],
    [['--merge', 'a.json', S1]],
  ])('usage errors exit 2 with one line: %j', async (argv) => {
    const r = (await run(argv));
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
});

describe('--jobs, --shard and --merge', () => {
  // why once: the whole search with one job is what both tests compare against
  let whole: Promise<{ code: number; out: string; err: string }> | null = null;
  const oneJob = () => (whole ??= run([...BIG, '--jobs', '1', '--no-timing']));

  it('--jobs 1 and --jobs 2 print the same, byte for byte', async () => {
    const one = await oneJob();
    const two = (await run([...BIG, '--jobs', '2', '--no-timing']));
    expect(one.code).toBe(0);
    expect(one.out).toMatch(/4,200 executions/);
    expect(two.out).toBe(one.out);
  });

  it('shards merged print what one search prints; a missing or doubled shard is exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-shards-'));
    const files: string[] = [];
    for (const i of [0, 1, 2]) {
      const r = (await run([...BIG, '--shard', `${i}/3`, '--json', '--jobs', '1']));
      expect(r.code).toBe(0);
      const f = join(dir, `shard-${i}.json`);
      writeFileSync(f, r.out);
      files.push(f);
    }
    const merged = (await run([WRITERS, '--merge', ...files, '--no-timing']));
    expect(merged.code).toBe(0);
    expect(merged.out).toBe((await oneJob()).out);
    expect((await run([WRITERS, '--merge', files[0]!, files[1]!])).code).toBe(2);
    expect((await run([WRITERS, '--merge', files[0]!, files[1]!, files[1]!])).code).toBe(2);
    const unnamed = (await run(['--merge', ...files]));
    expect(unnamed.code).toBe(2);
    expect(unnamed.err).toMatch(/^weft: the shards searched 'three-writers', which is not one of weft's own scenarios: name its file before --merge \(.*<file> --merge <shards…>\)\n$/);
    const junk = join(dir, 'junk.json');
    writeFileSync(junk, '{"results": []}');
    const bad = (await run(['--merge', junk]));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/not a weft shard result/);
  });

  it('a shard without --json prints a summary that says how to merge', async () => {
    const r = (await run([S1, '--shard', '0/2', '--jobs', '1']));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/shard 0\/2/);
    expect(r.out).toMatch(/check --merge <files…>`\n$/);
    const file = (await run([WRITERS, '--shard', '0/2', '--jobs', '1']));
    expect(file.out).toContain(`check ${WRITERS} --merge <files…>\``);
  });
});

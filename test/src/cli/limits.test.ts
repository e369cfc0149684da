/**
 * Limits that always hold (issue 15, item 5), through the real process: --max-time ends a search
 * whose one execution outlasts it (incomplete); the progress line is drawn on a terminal only. A
 * thread that never yields and Ctrl-C are tested on user files outside the repository, which take
 * the same path (test/src/distribute/user-file-limits.test.ts). No durations are asserted: the
 * timeouts are generous, and the bounds show in what the process prints.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { main, type Io } from '../../../src/cli/main';
import { ProgressLine, PROGRESS_UPDATES_PER_SECOND } from '../../../src/cli/progress';
import lateDeadlock from '../../fixtures/limits/late-deadlock';
import longSearch from '../../fixtures/limits/long-search';

const ROOT = new URL('../../../', import.meta.url).pathname;
const SLOW_MS = 120_000;

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** `npx tsx check …` from the repository. */
function weft(args: readonly string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', 'check', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
}

describe('--max-time holds when the model does not', () => {
  it(
    'an execution that outlasts the bound but moves: incomplete, cut by --max-time, exit 1',
    async () => {
      const r = await weft(['test/fixtures/limits/long-search.ts', '--param', 'slow=200', '--max-time', '1', '--no-timing']);
      expect(r.code, r.err).toBe(1);
      expect(r.out).toMatch(/verdict incomplete \(expected holds\) · 0 executions, 0 steps, search incomplete: stopped after 1\.0 s .*--max-time/);
    },
    SLOW_MS,
  );
});

describe('the progress line', () => {
  const registry = [
    {
      scenario: longSearch,
      file: 'test/fixtures/limits/long-search.ts',
      source: { kind: 'module' as const, url: new URL('../../fixtures/limits/long-search.ts', import.meta.url).href, exportName: 'default' },
    },
    {
      scenario: lateDeadlock,
      file: 'test/fixtures/limits/late-deadlock.ts',
      source: { kind: 'module' as const, url: new URL('../../fixtures/limits/late-deadlock.ts', import.meta.url).href, exportName: 'default' },
    },
  ];
  const run = async (isTTY: boolean, args: string[]): Promise<{ code: number; err: string }> => {
    let err = '';
    const io: Io = { out: () => {}, err: (s) => void (err += s), isTTY, env: {} };
    const code = await main(args, io, registry);
    return { code, err };
  };

  it(
    'moves on a terminal: executions, rate and elapsed time, from the search worker',
    async () => {
      const { err } = await run(true, ['long-search', '--max-time', '2', '--no-timing']);
      const draws = err.split('\r\x1b[2K').filter((s) => s.startsWith('checking long-search/main'));
      const counts = draws.map((d) => Number(/· ([\d,]+) executions/.exec(d)![1]!.replace(/,/g, '')));
      expect(new Set(counts).size, draws.join('\n')).toBeGreaterThan(1);
      expect(draws.at(-1)).toMatch(/^checking long-search\/main · [\d,]+ executions · [\d,]+\/s · \d+\.\d s$/);
      expect(err.endsWith('\r\x1b[2K')).toBe(true);
    },
    SLOW_MS,
  );

  it('is never drawn off a terminal', async () => {
    const { code, err } = await run(false, ['late-deadlock', '--no-minimize']);
    expect(code).toBe(0);
    expect(err).toBe('');
  }, SLOW_MS);

  it(`is redrawn at most ${PROGRESS_UPDATES_PER_SECOND} times a second`, () => {
    const periods: number[] = [];
    let tick = (): void => {};
    let now = 0;
    const written: string[] = [];
    const line = new ProgressLine((s) => written.push(s), () => 7, {
      now: () => now,
      every: (ms, f) => {
        periods.push(ms);
        tick = f;
        return () => (tick = () => {});
      },
    });
    line.start('s/v');
    now = 2_000;
    tick();
    expect(periods).toEqual([1000 / PROGRESS_UPDATES_PER_SECOND]);
    expect(written.at(-1)).toBe('\r\x1b[2Kchecking s/v · 7 executions · 4/s · 2.0 s');
    line.clear();
    line.clear();
    expect(written.filter((w) => w === '\r\x1b[2K')).toHaveLength(1);
  });
});

/**
 * The search worker's after step under --max-time, in this process (main with a registry whose
 * entry has a module source, so its search and minimization run in the worker): a minimization
 * that still moves when the bound passes is ended, and the report keeps the search's verdict with
 * the schedule the search found, saying so on stderr.
 */
import { describe, expect, it } from 'vitest';
import { main, type Io } from '../../../src/cli/main';
import slowMinimize from '../../fixtures/limits/slow-minimize';

const registry = [
  {
    scenario: slowMinimize,
    file: 'test/fixtures/limits/slow-minimize.ts',
    source: { kind: 'module' as const, url: new URL('../../fixtures/limits/slow-minimize.ts', import.meta.url).href, exportName: 'default' },
  },
];

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => void (out += s), err: (s) => void (err += s), isTTY: false, env: {} };
  const code = await main(args, io, registry);
  return { code, out, err };
}

describe('--max-time over a minimization that moves', () => {
  it('ends it: the verdict stands, the trace is the schedule the search found, and stderr says so', async () => {
    const r = await run(['slow-minimize', '--param', 'slow=250', '--max-time', '1', '--no-timing']);
    expect(r.err).toBe('weft: slow-minimize/main: --max-time 1 s ended the minimization; the trace shown is the schedule the search found\n');
    expect(r.code).toBe(0);
    expect(r.out).toContain('verdict violated:bug-on (expected violated:bug-on) · 1 execution');
    expect(r.out).not.toContain('trace minimized');
    expect(r.out).toMatch(/b2 +✗ bug-on/);
  }, 60_000);

  it('without the slow setup the same minimization finishes within the bound', async () => {
    const r = await run(['slow-minimize', '--max-time', '1', '--no-timing']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('trace minimized');
  }, 60_000);
});

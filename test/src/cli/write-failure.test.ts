/**
 * A --junit or --html file that passes the check before the search but cannot be written after it
 * (its folder removed meanwhile, a full disk): the results print first, then one line, exit 2.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import s1 from '../../../scenarios/mmu-notifier-unregister-release';
import { main } from '../../../src/cli/main';
import type { Scenario } from '../../../src/runtime/scenario';

/** Runs the CLI in-process, keeping stdout and stderr in one log in the order written. */
async function run(argv: string[], registry: readonly { scenario: Scenario; file: string }[]) {
  const log: { to: 'out' | 'err'; text: string }[] = [];
  const io = { out: (text: string) => void log.push({ to: 'out', text }), err: (text: string) => void log.push({ to: 'err', text }), isTTY: false, env: {} };
  const code = await main(argv, io, registry);
  return { code, log, out: log.filter((l) => l.to === 'out').map((l) => l.text).join(''), err: log.filter((l) => l.to === 'err').map((l) => l.text).join('') };
}

/** S1 whose setup removes `dir` the first time it runs: after main's up-front check, before the write. */
function removing(dir: string) {
  return [{ scenario: { ...s1, setup: (...a: Parameters<typeof s1.setup>) => (rmSync(dir, { recursive: true, force: true }), s1.setup(...a)) }, file: 'scenarios/x.ts' }];
}

describe('a write that fails after the search', () => {
  it.each(['--junit', '--html'])('%s into a folder removed during the search: results, then one line, exit 2', async (flag) => {
    const dir = join(mkdtempSync(join(tmpdir(), 'weft-write-')), 'out');
    mkdirSync(dir);
    const file = join(dir, 'report');
    const r = await run([s1.id, flag, file, '--no-timing', '--jobs', '1'], removing(dir));
    expect(existsSync(dir)).toBe(false);
    expect(r.code).toBe(2);
    expect(r.out).toContain('1 scenario, 2 variants: 2 as expected, 0 not');
    expect(r.err).toMatch(new RegExp(`^weft: could not write ${flag} ${file}: ENOENT[^\\n]*\\n$`));
    // the results are all printed before the failure is said
    const firstErr = r.log.findIndex((l) => l.to === 'err');
    expect(r.log.slice(firstErr).every((l) => l.to === 'err')).toBe(true);
    expect(r.err).not.toMatch(/\n\s+at |internal bug/);
  });

  it.skipIf(!existsSync('/dev/full'))('--junit /dev/full (the check passes, the write finds the disk full): one line, exit 2', async () => {
    const r = await run([s1.id, '--junit', '/dev/full', '--no-timing', '--jobs', '1'], [{ scenario: s1, file: 'scenarios/x.ts' }]);
    expect(r.code).toBe(2);
    expect(r.out).toContain('2 as expected');
    expect(r.err).toMatch(/^weft: could not write --junit \/dev\/full: ENOSPC[^\n]*\n$/);
  });
});

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarios } from '../../../scenarios/index';
import { main } from '../../../src/cli/main';

const repo = resolve(__dirname, '../../..');
const index = pathToFileURL(join(repo, 'src/index.ts')).href;
const field = pathToFileURL(join(repo, 'models/plain-field.ts')).href;

/** A two-step writer against a reader that oopses when it sees the transient value. */
function scenarioSource(id: string, exportLine = 'export default'): string {
  return `import { defineScenario, perform, oops } from '${index}';
import { newPlainField } from '${field}';
const writer = function* (w) {
  yield* perform({ object: w.x, access: 'write', label: 'x = 1', run: () => { w.x.value = 1; } });
  yield* perform({ object: w.x, access: 'write', label: 'x = 0', run: () => { w.x.value = 0; } });
};
const reader = function* (w) {
  const v = yield* perform({ object: w.x, access: 'read', label: 'read x', run: () => w.x.value });
  if (v === 1) oops('saw the transient 1');
};
${exportLine} defineScenario({
  id: '${id}',
  title: 'a transient value seen by a reader',
  commits: [],
  setup: () => ({ x: newPlainField('x', 0) }),
  variants: {
    buggy: { summary: 'the writer publishes 1 on the way', expect: { violated: 'oops' }, threads: { writer, reader } },
    fixed: { summary: 'only the reader', expect: 'holds', threads: { reader } },
  },
});
`;
}

async function run(argv: string[], cwd: string) {
  let out = '';
  let err = '';
  const io = { out: (s: string) => void (out += s), err: (s: string) => void (err += s), isTTY: false, env: {} };
  const before = process.cwd();
  process.chdir(cwd);
  try {
    const code = await main(argv, io, scenarios);
    return { code, out, err };
  } finally {
    process.chdir(before);
  }
}

describe('check ./file.ts: user scenario files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'weft-files-'));
    writeFileSync(join(dir, 'my-race.ts'), scenarioSource('my-race'));
    mkdirSync(join(dir, 'more'));
    writeFileSync(join(dir, 'more', 'a.ts'), scenarioSource('race-a', 'export const a ='));
    writeFileSync(join(dir, 'more', 'b.mts'), scenarioSource('race-b'));
    writeFileSync(join(dir, 'dup.ts'), scenarioSource('my-race'));
    writeFileSync(join(dir, 'empty.ts'), 'export const x = 1;\n');
    writeFileSync(join(dir, 'throws.ts'), "throw new Error('setup exploded');\n");
  });
  const original = process.cwd();
  afterAll(() => process.chdir(original));

  it('checks every scenario a file exports, and the printed replay command works exactly as printed', async () => {
    const r = await run(['./my-race.ts', '--no-timing'], dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('my-race: a transient value seen by a reader');
    // the in-process CLI speaks as the installed bin, `npx weft check` (check.ts passes its own)
    const command = /replay: (npx weft check .*)$/m.exec(r.out)![1]!;
    expect(command).toMatch(/^npx weft check \.\/my-race\.ts --variant buggy --replay w1:my-race\/buggy:\S+$/);
    const argv = command.split(' ').slice(3);
    const again = await run(argv, dir);
    expect(again.err).toBe('');
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/^my-race\/buggy: replay of \d+ steps, violated/);
    expect(again.out).toContain('saw the transient 1');
  });

  it('takes a directory, a glob and several paths; named exports count', async () => {
    const d = await run(['more', '--no-timing'], dir);
    expect(d.code).toBe(0);
    expect(d.out).toContain('race-a/buggy');
    expect(d.out).toContain('race-b/buggy');
    const g = await run(['more/*.ts', '--all', '--no-timing'], dir);
    expect(g.code).toBe(0);
    expect(g.out).toContain('race-a/buggy');
    expect(g.out).not.toContain('race-b');
    const s = await run(['my-race.ts', 'more/b.mts', '--all', '--no-timing'], dir);
    expect(s.code).toBe(0);
    expect(s.out).toMatch(/2 scenarios, 4 variants: 4 as expected, 0 not/);
  });

  it('workers load the user module by URL (--jobs 2 gives what --jobs 1 gives)', async () => {
    const one = await run(['./my-race.ts', '--no-timing', '--jobs', '1'], dir);
    const two = await run(['./my-race.ts', '--no-timing', '--jobs', '2'], dir);
    expect(two.err).toBe('');
    expect(two.out).toBe(one.out);
  });

  it.each([
    [['missing.ts'], /^weft: no such file: missing\.ts\n$/],
    [['empty.ts'], /^weft: \.\/empty\.ts exports no scenario .*\n$/],
    [['my-race.ts', 'dup.ts'], /^weft: scenario id 'my-race' is exported by both \.\/dup\.ts and \.\/my-race\.ts\n$|^weft: scenario id 'my-race' is exported by both \.\/my-race\.ts and \.\/dup\.ts\n$/],
    [['throws.ts'], /^weft: \.\/throws\.ts throws on import: setup exploded\n$/],
  ])('%j is one line on stderr and exit 2', async (argv, message) => {
    const r = await run(argv, dir);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(message);
  });

  it('registry ids keep working', async () => {
    const r = await run(['mmu-notifier-unregister-release', '--variant', 'fixed', '--no-timing'], dir);
    expect(r.code).toBe(0);
  });
});

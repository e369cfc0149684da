/**
 * Cold start of the installed `weft` command: the wall time of `node dist/src/cli/bin.js check
 * <small scenario>` from spawning the process to its first execution (the scenario's first
 * `setup` call), and to its exit; median of 5 runs each. The scenario is two threads incrementing a
 * counter under a spinlock (2 executions), importing only the package, from a project under
 * os.tmpdir() whose node_modules/weft-check links to this repo (so it loads dist/, as an install
 * does). Rows: the scenario as .ts (tsx's loader registered), as .js, `--version` (the bin and
 * main's module graph only), `node -e 0` (node itself), and, in a full run, `npx tsx check.ts`
 * on a registry scenario as the sources run today. Timings only; nothing here fails.
 *
 * `npx tsx bench/cold-start.ts` runs it alone; dist/ is built first when missing or older than
 * src/ and models/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTable, seconds } from './table';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'dist/src/cli/bin.js');
const RUNS = 5;
/** The target of the cold start to the first execution of a .ts scenario. */
export const TARGET_MS = 300;

const now = (): number => performance.timeOrigin + performance.now();

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return newest;
}

/** Builds dist/ when it is missing or older than the sources it is built from. */
function ensureBuilt(): void {
  const built = existsSync(BIN) ? statSync(BIN).mtimeMs : 0;
  if (built > Math.max(newestMtime(path.join(ROOT, 'src')), newestMtime(path.join(ROOT, 'models')))) return;
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', shell: process.platform === 'win32' });
  if (r.status !== 0) throw new Error(`cold-start: npm run build failed:\n${r.stdout}${r.stderr}`);
}

/** The scenario, in TypeScript or plain JS; its first `setup` appends the time to $WEFT_COLD_MARK. */
function scenarioSource(ts: boolean): string {
  const t = (s: string) => (ts ? s : '');
  return `
import { appendFileSync } from 'node:fs';
import { defineScenario } from 'weft-check';
import { newPlainField, newSpinlock, readOnce, spinLock, spinUnlock, writeOnce${t(', type PlainField, type Spinlock')} } from 'weft-check/models';
${t('interface World { readonly count: PlainField<number>; readonly lock: Spinlock }')}
let marked = false;
function* increment(w${t(': World')}) {
  yield* spinLock(w.lock);
  const v = yield* readOnce(w.count);
  yield* writeOnce(w.count, v + 1);
  yield* spinUnlock(w.lock);
}
export const counter = defineScenario${t('<World>')}({
  id: 'cold-start-counter',
  title: 'two threads increment a counter under a spinlock',
  commits: [],
  setup: () => {
    if (!marked) {
      marked = true;
      appendFileSync(process.env.WEFT_COLD_MARK${t('!')}, String(performance.timeOrigin + performance.now()));
    }
    return { count: newPlainField('count', 0), lock: newSpinlock('lock') };
  },
  variants: { fixed: { summary: 'locked', threads: { a: increment, b: increment } } },
});
`;
}

interface Sample {
  readonly firstMs: number | null;
  readonly totalMs: number;
}

function once(cmd: string, args: readonly string[], cwd: string, mark: string): Sample {
  rmSync(mark, { force: true });
  const env = { ...process.env, WEFT_COLD_MARK: mark, NO_COLOR: '1' };
  const started = now();
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', shell: process.platform === 'win32' && cmd !== process.execPath });
  const totalMs = now() - started;
  if (r.status !== 0) throw new Error(`cold-start: ${[cmd, ...args].join(' ')} exited ${r.status ?? r.signal}:\n${r.stderr}`);
  const firstMs = existsSync(mark) ? Number(readFileSync(mark, 'utf8')) - started : null;
  return { firstMs, totalMs };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

export interface ColdStartRow {
  readonly what: string;
  readonly command: string;
  /** Median ms to the first execution; null when the command runs none. */
  readonly firstMs: number | null;
  readonly totalMs: number;
}

/** Measures every row (RUNS each, after one unmeasured run that warms the file cache). */
export function measureColdStart(options: { quick: boolean }, progress: (s: string) => void = () => {}): ColdStartRow[] {
  ensureBuilt();
  const dir = mkdtempSync(path.join(tmpdir(), 'weft-cold-'));
  try {
    mkdirSync(path.join(dir, 'node_modules'));
    symlinkSync(ROOT, path.join(dir, 'node_modules/weft-check'), 'junction');
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'weft-cold-start', private: true, type: 'module' }));
    writeFileSync(path.join(dir, 'counter.ts'), scenarioSource(true));
    writeFileSync(path.join(dir, 'counter.js'), scenarioSource(false));
    const mark = path.join(dir, 'mark');
    const node = process.execPath;
    const rows: { what: string; command: string; cmd: string; args: string[]; cwd: string }[] = [
      { what: '.ts scenario', command: 'node dist/src/cli/bin.js check counter.ts', cmd: node, args: [BIN, 'check', 'counter.ts', '--jobs', '1'], cwd: dir },
      { what: '.js scenario', command: 'node dist/src/cli/bin.js check counter.js', cmd: node, args: [BIN, 'check', 'counter.js', '--jobs', '1'], cwd: dir },
      { what: 'the bin alone', command: 'node dist/src/cli/bin.js --version', cmd: node, args: [BIN, '--version'], cwd: dir },
      { what: 'node itself', command: 'node -e 0', cmd: node, args: ['-e', '0'], cwd: dir },
    ];
    if (!options.quick) {
      const tsx = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');
      rows.push({
        what: 'the sources today',
        command: 'npx tsx check mmu-notifier-unregister-release --variant fixed',
        cmd: node,
        args: [tsx, path.join(ROOT, 'check.ts'), 'mmu-notifier-unregister-release', '--variant', 'fixed', '--jobs', '1'],
        cwd: ROOT,
      });
    }
    return rows.map((row) => {
      progress(`cold start: ${row.command}`);
      once(row.cmd, row.args, row.cwd, mark);
      const samples = Array.from({ length: RUNS }, () => once(row.cmd, row.args, row.cwd, mark));
      const firsts = samples.map((s) => s.firstMs).filter((x): x is number => x !== null);
      return { what: row.what, command: row.command, firstMs: firsts.length === RUNS ? median(firsts) : null, totalMs: median(samples.map((s) => s.totalMs)) };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function renderColdStart(rows: readonly ColdStartRow[]): string {
  const table = renderTable(
    [
      { title: 'what', align: 'left' },
      { title: 'command', align: 'left' },
      { title: 'to 1st execution', align: 'right' },
      { title: 'total', align: 'right' },
    ],
    rows.map((r) => [r.what, r.command, r.firstMs === null ? '–' : seconds(r.firstMs), seconds(r.totalMs)]),
  );
  return `median of ${RUNS} runs each, from spawn; target: a .ts scenario's first execution within ${seconds(TARGET_MS)}\n\n${table}`;
}

/** The section as `npm run bench` prints it (only in a run of every section). */
export function coldStartSection(options: { quick: boolean }, progress: (s: string) => void = () => {}): string {
  return `\n## 5. Cold start of the installed \`weft\` (bench/cold-start.ts)\n\n${renderColdStart(measureColdStart(options, progress))}`;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${coldStartSection({ quick: process.argv.includes('--quick') })}\n`);
}

/**
 * User scenario files: `check ./my-race.ts`, a directory, a glob or several paths. Each module's
 * exported scenarios (default and named) become entries that workers import by the same URL.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../runtime/errors';
import type { Scenario } from '../runtime/scenario';
import type { BrokenEntry, CheckEntry, ScenarioEntry } from '../app/check';
import { scenarioModuleExports } from '../distribute/scenario-module';

const MODULE = /\.[cm]?[jt]s$/;
const GLOB = /[*?[\]{}]/;
const DECLARATIONS = /\.d\.[cm]?ts$/;

/** Whether a positional argument names files rather than a registry id. */
export function isFileArgument(arg: string): boolean {
  return arg.includes('/') || arg.includes(sep) || MODULE.test(arg) || GLOB.test(arg) || existsSync(arg);
}

/** A scenario as `defineScenario` returns it, recognised by shape (it carries no brand). */
export function isScenario(v: unknown): v is Scenario {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return (
    typeof s.id === 'string' &&
    typeof s.title === 'string' &&
    typeof s.setup === 'function' &&
    typeof s.variants === 'object' &&
    s.variants !== null &&
    Object.values(s.variants as object).every((x) => typeof x === 'object' && x !== null && typeof (x as { threads?: unknown }).threads === 'object')
  );
}

/** `*`, `**`, `?` and `{a,b}` as a regular expression over `/`-separated paths. */
function globRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      re += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '{') re += '(?:';
    else if (c === '}') re += ')';
    else if (c === ',') re += '|';
    else re += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function walk(dir: string, into: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, into);
    else into.push(p);
  }
}

/** The module files an argument names, absolute, in sorted order. */
function expand(arg: string, cwd: string): string[] {
  if (GLOB.test(arg) && !existsSync(resolve(cwd, arg))) {
    const parts = arg.split('/');
    const firstGlob = parts.findIndex((p) => GLOB.test(p));
    const base = resolve(cwd, parts.slice(0, firstGlob).join('/') || '.');
    const all: string[] = [];
    if (existsSync(base) && statSync(base).isDirectory()) walk(base, all);
    const re = globRegex(resolve(cwd, arg).split(sep).join('/'));
    const hits = all.filter((f) => re.test(f.split(sep).join('/')) && MODULE.test(f) && !DECLARATIONS.test(f));
    if (!hits.length) throw new UsageError(`no file matches '${arg}'`);
    return hits;
  }
  const abs = resolve(cwd, arg);
  if (!existsSync(abs)) throw new UsageError(`no such file: ${arg}`);
  if (statSync(abs).isDirectory()) {
    const all: string[] = [];
    walk(abs, all);
    const mods = all.filter((f) => MODULE.test(f) && !DECLARATIONS.test(f) && !/\.(test|spec)\.[mc]?[jt]s$/.test(f));
    if (!mods.length) throw new UsageError(`no .ts or .js files in ${arg}`);
    return mods;
  }
  return [abs];
}

let tsxRegistered: Promise<unknown> | null = null;

/**
 * Under `npx tsx` TypeScript already loads; from compiled JS, tsx's hooks are registered once.
 * Why its CommonJS hook too, as its command line and the workers (worker-boot.ts) install it: a
 * file node takes for CommonJS compiles its imports to require(), which only that hook serves.
 */
async function ensureTypeScript(): Promise<void> {
  if (process.execArgv.some((a) => a.includes('tsx')) || (process as { features?: { typescript?: unknown } }).features?.typescript) return;
  if (import.meta.url.endsWith('.ts')) return; // running from source: a TypeScript loader is in place
  // why variables: bundlers and tsc must not resolve an optional peer at build time
  const [cjs, esm] = ['tsx/cjs/api', 'tsx/esm/api'];
  type Api = { register: () => unknown };
  tsxRegistered ??= import(cjs)
    .then((c: Api) => {
      c.register();
      return import(esm);
    })
    .then((m: Api) => m.register());
  await tsxRegistered;
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0]!;
}

/** Loads every scenario the arguments' modules export; one-line UsageErrors for what is wrong. */
export async function loadScenarioFiles(args: readonly string[], cwd = process.cwd()): Promise<ScenarioEntry[]> {
  return (await loadCheckEntries(args, { all: false }, cwd)).filter((e): e is ScenarioEntry => !('broken' in e));
}

/**
 * `loadScenarioFiles` for a check: when the run checks several modules (or `--all`), a module that
 * throws on import is a BrokenEntry in its place, so the others are still checked; with one
 * module it is the one-line error. Every other mistake (no such file, nothing exported, one id
 * exported twice) is the command line's and stops the run before any search.
 */
export async function loadCheckEntries(args: readonly string[], run: { readonly all: boolean }, cwd = process.cwd()): Promise<CheckEntry[]> {
  const files: string[] = [];
  for (const a of args) for (const f of expand(a, cwd)) if (!files.includes(f)) files.push(f);
  const keepGoing = run.all || files.length > 1;
  const entries: CheckEntry[] = [];
  const seen = new Map<string, string>();
  for (const abs of files) {
    const shown = isAbsolute(abs) ? relative(cwd, abs) || abs : abs;
    const display = shown.startsWith('..') || isAbsolute(shown) ? shown : `./${shown.split(sep).join('/')}`;
    if (/\.[cm]?ts$/.test(abs)) await ensureTypeScript();
    const url = pathToFileURL(abs).href;
    let mod: Readonly<Record<string, unknown>>;
    try {
      mod = await scenarioModuleExports(url);
    } catch (e) {
      if (!keepGoing) throw new UsageError(`${display} throws on import: ${firstLine(e)}`);
      const broken: BrokenEntry = { broken: true, file: display.replace(/^\.\//, ''), target: display, error: firstLine(e) };
      entries.push(broken);
      continue;
    }
    const found: ScenarioEntry[] = [];
    const names = Object.keys(mod).sort((a, b) => (a === 'default' ? -1 : b === 'default' ? 1 : 0));
    for (const exportName of names) {
      const v = mod[exportName];
      if (!isScenario(v)) continue;
      if (found.some((e) => e.scenario === v)) continue; // `export default x; export { x }`
      const before = seen.get(v.id);
      if (before !== undefined) throw new UsageError(`scenario id '${v.id}' is exported by both ${before} and ${display}`);
      seen.set(v.id, display);
      found.push({ scenario: v, file: display.replace(/^\.\//, ''), target: display, source: { kind: 'module', url, exportName } });
    }
    if (!found.length) throw new UsageError(`${display} exports no scenario (export what defineScenario returns)`);
    entries.push(...found);
  }
  return entries;
}

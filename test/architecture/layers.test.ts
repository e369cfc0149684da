/**
 * The folder rule of DESIGN.md, pinned: every relative import of the shipped code goes down the
 * layers (`A ← B`: B may import A and what A may import), models and scenarios reach `src/` only
 * through its public entry point, and no file imports itself back through any chain.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Each layer and the layers it may import directly (its own included). */
const LAYERS: Record<string, readonly string[]> = {
  'src/runtime': [],
  'src/checks': ['src/runtime'],
  'src/search/dpor': ['src/runtime'],
  'src/search': ['src/runtime', 'src/search/dpor', 'src/search/strategies'],
  'src/search/strategies': ['src/runtime', 'src/search/dpor', 'src/search'],
  'src/distribute': ['src/runtime', 'src/search/dpor', 'src/search', 'src/search/strategies'],
  'src/trace': ['src/runtime', 'src/search/dpor', 'src/search', 'src/search/strategies'],
  'src/app': ['src/runtime', 'src/search/dpor', 'src/search', 'src/search/strategies', 'src/distribute', 'src/trace'],
  'src/report': ['src/runtime', 'src/search', 'src/distribute', 'src/trace', 'src/app'],
  'src/cli': ['src/runtime', 'src/search', 'src/distribute', 'src/trace', 'src/app', 'src/report'],
  // the public entry points: the API over the whole library, and the test-runner integration
  src: ['src/runtime', 'src/checks', 'src/search', 'src/search/strategies', 'src/distribute', 'src/trace', 'src/app', 'src/report', 'src/cli'],
  'models/kit': ['src'],
  models: ['src', 'models/kit'],
  'models/mm': ['src', 'models/kit', 'models'],
  scenarios: ['src', 'models/kit', 'models', 'models/mm'],
  // the package's `./models` entry point: re-exports every model, so it sits above all of them
  'models/index': ['src', 'models/kit', 'models', 'models/mm'],
};

/** Files that form a layer of their own (entry points over their folder), by path. */
const FILE_LAYERS: Record<string, string> = { 'models/index.ts': 'models/index' };

/** Files of src/ that models/ and scenarios/ may import: the public entry points. */
const ENTRY_POINTS = new Set(['src/index.ts']);

function walk(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((name) => {
    const rel = `${dir}/${name}`;
    if (statSync(path.join(ROOT, rel)).isDirectory()) return walk(rel);
    return rel.endsWith('.ts') ? [rel] : [];
  });
}

const files = [...walk('src'), ...walk('models'), ...walk('scenarios')];
const known = new Set(files);

function resolve(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec)).replace(/\.js$/, '');
  for (const candidate of [base, `${base}.ts`, `${base}/index.ts`]) if (known.has(candidate)) return candidate;
  throw new Error(`${from}: import '${spec}' resolves to no file`);
}

/** Every relative import of each file, static and dynamic, type-only ones included. */
const edges = new Map<string, string[]>(
  files.map((f) => {
    const info = ts.preProcessFile(readFileSync(path.join(ROOT, f), 'utf8'), true, true);
    const targets = info.importedFiles.map((i) => resolve(f, i.fileName)).filter((t): t is string => t !== null);
    return [f, targets];
  }),
);

const layerOf = (file: string): string => FILE_LAYERS[file] ?? path.posix.dirname(file);

/** Imports that break the rule, as `from → to`. */
function forbiddenImports(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const forbidden: string[] = [];
  for (const [from, targets] of graph) {
    const layer = layerOf(from);
    for (const to of targets) {
      const target = layerOf(to);
      if (target === layer) continue;
      const outside = !from.startsWith('src/') && to.startsWith('src/');
      if (outside ? !ENTRY_POINTS.has(to) : !LAYERS[layer]!.includes(target)) forbidden.push(`${from} → ${to}`);
    }
  }
  return forbidden;
}

/** Files that reach themselves through imports: Tarjan's strongly connected components of more than one file (or a self-import). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const f of graph.keys()) if (!index.has(f)) visit(f);
  return found;
}

describe('the folder rule', () => {
  it('every file is in a known layer', () => {
    expect(files.filter((f) => !(layerOf(f) in LAYERS))).toEqual([]);
  });

  it('every import goes down the layers, and into src/ only through its entry points', () => {
    expect(forbiddenImports(edges)).toEqual([]);
  });

  it('no file imports itself back through any chain of imports', () => {
    expect(cycles(edges)).toEqual([]);
  });

  it('the checks can fail: a planted upward import, a deep import from models and a planted cycle are caught', () => {
    const planted = new Map(edges);
    const add = (from: string, to: string) => planted.set(from, [...(planted.get(from) ?? []), to]);
    add('src/runtime/op.ts', 'src/cli/main.ts');
    add('models/spinlock.ts', 'src/runtime/op.ts');
    expect(forbiddenImports(planted)).toEqual(['src/runtime/op.ts → src/cli/main.ts', 'models/spinlock.ts → src/runtime/op.ts']);
    expect(cycles(planted).some((c) => c.includes('src/runtime/op.ts') && c.includes('src/cli/main.ts'))).toBe(true);
  });
});

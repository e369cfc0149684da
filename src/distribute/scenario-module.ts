/**
 * How a user's scenario module is loaded, by the thread that lists its scenarios and by every
 * worker that searches them: one function, so that an export name the first found is the same
 * export in the others, whatever the module's format.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const requireHere = createRequire(import.meta.url);

/**
 * The module's exports by name. Why not `import()` alone:
 * - a .cts or .cjs file goes through require(): imported, node 20 runs it in the ESM loader's
 *   CommonJS translator, whose require() cannot load a TypeScript ES module that imports without
 *   extensions (weft's own sources), while the CommonJS loader with tsx's hook can.
 * - an ES module compiled to CommonJS (any TypeScript file node takes for CommonJS) exports an
 *   object marked `__esModule` that holds its `default` and its names. Importing it gives that
 *   object as `default`, or its contents, depending on whose loader ran (tsx's command line or
 *   only its registered hooks); its contents are what its author exported, so those are the
 *   exports here, in every thread.
 */
export async function scenarioModuleExports(url: string): Promise<Readonly<Record<string, unknown>>> {
  if (/\.c[jt]s$/.test(url) && url.startsWith('file:')) return commonJsExports(requireHere(fileURLToPath(url)));
  return namespaceExports((await import(url)) as Readonly<Record<string, unknown>>);
}

/** An import's namespace as exports: node's for a CommonJS module compiled from ESM holds it whole as `default`. */
export function namespaceExports(ns: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  return isEsModuleInterop(ns.default) ? { ...ns, ...namedOf(ns.default) } : ns;
}

/** What require() gave, as an import of it would name it: the whole as `default`, its properties by name. */
function commonJsExports(exported: unknown): Readonly<Record<string, unknown>> {
  if (isEsModuleInterop(exported)) return namedOf(exported);
  return typeof exported === 'object' && exported !== null ? { ...namedOf(exported), default: exported } : { default: exported };
}

function isEsModuleInterop(v: unknown): v is object {
  return typeof v === 'object' && v !== null && (v as { __esModule?: unknown }).__esModule === true;
}

function namedOf(o: object): Record<string, unknown> {
  const named: Record<string, unknown> = {};
  for (const k of Object.keys(o)) named[k] = (o as Record<string, unknown>)[k];
  return named;
}

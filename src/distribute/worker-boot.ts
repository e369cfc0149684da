/**
 * How weft's worker threads (the CLI's search worker, the pool's partition workers) start: tsx's
 * ESM hooks registered in the worker itself, then a plain `import()` of the worker's entry.
 *
 * Why this and not tsx's `tsImport`: one copy of weft's runtime per thread. A scenario module
 * imports weft by some specifier of its own (`weft-check`, a `file:` URL into the repository, a
 * relative path) while the worker's entry imports it by relative paths; a search needs both to be
 * the same module instances, or a KernelFault thrown by the scenario's helpers is no KernelFault
 * to the worker's runner (an oops becomes "threw") and every error class crosses the same way.
 * `tsImport` loads the entry in a namespace of its own (a `?tsx-namespace=` query on every URL),
 * so one copy held only where tsx carried that query through every specifier the scenario uses;
 * through an import it compiles to require() it does not (it writes `?namespace=`: another
 * URL, another copy). With the hooks registered in the worker's own loader, every module is
 * keyed by its plain resolved file URL, as in the main thread: whatever the scenario's specifier
 * resolves to (the package's exports, the repository's src/index.ts), it is the file the entry's
 * relative imports resolve to, loaded once. So a worker loads a scenario exactly as the main
 * thread did when it listed it, never worse: the main thread imported the same module through
 * the same resolution before any worker was asked to.
 *
 * Why registered in the worker: node hands neither `--import` hooks (tsx's CLI) nor hooks
 * registered at run time (the installed bin, vitest) to a worker it starts.
 *
 * What one copy cannot cover: a scenario file node takes for CommonJS (a .cts name, or a .ts or
 * .js one with no `"type": "module"` above it) has its imports compiled to require(), which gives
 * it weft's modules as CommonJS instances of their own, in the main thread as much as here. Such a
 * file searches here all the same: what the runner recognises of the objects its copy makes (an
 * oops, weft's other errors) it recognises by a brand both copies share (runtime/errors.ts), and
 * the rest crosses as plain data (ops, worlds, violations on the thread's context).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * URLs of tsx's ESM and CommonJS APIs, their `.mjs` files: `require.resolve` finds the `.cjs`
 * twins, and from an ESM import the `.mjs` one is what tsx's own loader expects (tsx 4.23).
 */
function tsxApis(): { esm: string; cjs: string } {
  const req = createRequire(import.meta.url);
  const mjs = (name: string): string => {
    const cjs = req.resolve(name);
    const esm = cjs.replace(/\.cjs$/, '.mjs');
    return existsSync(esm) ? pathToFileURL(esm).href : name;
  };
  return { esm: mjs('tsx/esm/api'), cjs: mjs('tsx/cjs/api') };
}

/** What every booted worker finds in its workerData, besides its own init. */
export interface BootData {
  readonly tsxEsmApi: string;
  readonly tsxCjsApi: string;
  /** URL of the worker's entry module. */
  readonly entry: string;
}

/** The boot data of a worker whose entry is `entry`. */
export function bootData(entry: string): BootData {
  const apis = tsxApis();
  return { tsxEsmApi: apis.esm, tsxCjsApi: apis.cjs, entry };
}

/**
 * The worker's eval'd boot code; `onFailure` is a statement run with `e` bound to what failed
 * (a worker that cannot start must say so where its owner listens). Why both of tsx's hooks, as
 * its command line installs them: a scenario file that node takes for CommonJS (no `"type":
 * "module"` above it) is compiled by the CommonJS one, here as in the main thread.
 */
export function bootCode(onFailure: string): string {
  return [
    "const { workerData } = require('node:worker_threads');",
    'import(workerData.tsxCjsApi).then((cjs) => { cjs.register(); return import(workerData.tsxEsmApi); })',
    '  .then((esm) => { esm.register(); return import(workerData.entry); })',
    `  .catch((e) => { ${onFailure} });`,
  ].join('\n');
}

/** The URL of a sibling worker entry of `base` (an import.meta.url): .ts from the sources, .js from dist/. */
export function entryBeside(base: string, name: string): string {
  return new URL(`./${name}${base.endsWith('.js') ? '.js' : '.ts'}`, base).href;
}

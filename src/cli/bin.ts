#!/usr/bin/env node
/**
 * The installed `weft` command (package.json `bin`, built to dist/src/cli/bin.js): `weft check
 * ./race.ts` checks the scenarios the user's own files export. The registry is empty; scenarios
 * come from the files named on the command line (TypeScript ones load through tsx, a dependency).
 * A leading `check` is accepted and dropped, so `weft check x.ts` and `weft x.ts` are the same.
 *
 * Why the CLI is imported dynamically: so that, for a .ts scenario, the package's entry points and
 * tsx's API start loading alongside main's module graph (cold start: bench/cold-start.ts).
 */
import * as nodeModule from 'node:module';

// why: node ≥ 22.1 then keeps V8's compiled code of the CLI (and tsx) between runs, as tsc does
// since TypeScript 5.7; older nodes have no such function and start as before
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const argv = process.argv.slice(2);
if (argv[0] === 'check') argv.shift();

// why these imports, started together with main's: a scenario file imports the package's entry
// points, and a .ts one loads after tsx's loader is registered, through which every module not yet
// loaded then goes (slower); loaded here first, natively and while main's graph loads, they are
// already in the module map when the scenario asks for them. Bare self-references, so they are
// the very modules a user's `import … from 'weft-check'` gets.
const typescript = argv.some((a) => /\.[mc]?ts$/.test(a) && !a.endsWith('.d.ts'));
const self = (specifier: string): Promise<unknown> => import(specifier).catch(() => undefined);
const early = typescript ? [self('weft-check'), self('weft-check/models'), self('tsx/esm/api')] : [];
const { runProcess } = await import('./process');
await Promise.all(early);
await runProcess({ registry: [], argv });

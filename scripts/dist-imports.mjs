#!/usr/bin/env node
/**
 * Post-build step of `npm run build`: the sources import each other without extensions
 * (`from './op'`, moduleResolution "bundler"), which plain node ESM cannot resolve. tsc copies the
 * specifiers verbatim, so this rewrites every relative specifier in dist/**\/*.js and *.d.ts to the
 * file it names: `./op` → `./op.js`, `./strategies` → `./strategies/index.js`. Why not
 * `rewriteRelativeImportExtensions`: it needs `.ts` written in every import of the source; why
 * not a bundler: dist keeps one file per module, so workers (worker.js) and the import.meta.url
 * lookups (package.json, worker entry) keep working, and stack traces name the real file.
 * A specifier that names no emitted file fails the build.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? 'dist');

function walk(dir, into = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, into);
    else if (/\.(js|d\.ts)$/.test(name)) into.push(p);
  }
  return into;
}

// `from '…'`, `import '…'`, `import('…')`, `export … from '…'`, `import("…")` in .d.ts types
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*|\.{1,2})\2/g;

let rewritten = 0;
const broken = [];
for (const file of walk(root)) {
  const dts = file.endsWith('.d.ts');
  const text = readFileSync(file, 'utf8');
  const out = text.replace(SPECIFIER, (whole, lead, quote, spec, at) => {
    if (/\.(js|mjs|cjs|json)$/.test(spec)) return whole;
    // a doc comment's example (`* import { x } from './race'`) is prose, not an import
    const line = text.slice(text.lastIndexOf('\n', at) + 1, at).trimStart();
    if (line.startsWith('*') || line.startsWith('/*') || line.startsWith('//')) return whole;
    const base = resolve(dirname(file), spec);
    const exists = (p) => existsSync(dts ? p.replace(/\.js$/, '.d.ts') : p);
    let fixed = null;
    if (exists(`${base}.js`)) fixed = `${spec}.js`;
    else if (exists(join(base, 'index.js'))) fixed = `${spec.replace(/\/$/, '')}/index.js`;
    if (fixed === null) {
      broken.push(`${relative(root, file)}: '${spec}'`);
      return whole;
    }
    rewritten++;
    return `${lead}${quote}${fixed}${quote}`;
  });
  if (out !== text) writeFileSync(file, out);
}
if (broken.length) {
  process.stderr.write(`dist-imports: relative imports that name no emitted file:\n  ${broken.join('\n  ')}\n`);
  process.exit(1);
}
process.stdout.write(`dist-imports: ${rewritten} relative specifiers given their .js file\n`);

/**
 * A scenario module's exports as every thread reads them (scenario-module.ts), whatever its
 * format: one export name means one scenario in the thread that listed it and in the workers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespaceExports, scenarioModuleExports } from '../../../src/distribute/scenario-module';

let dir = '';
const url = (name: string): string => pathToFileURL(join(dir, name)).href;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-module-'));
  // a project node takes for CommonJS: no "type"
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'weft-module-probe', private: true }));
  // what TypeScript and esbuild make of `export default a; export const b = …`
  const compiled = "Object.defineProperty(exports, '__esModule', { value: true });\nexports.default = { id: 'a' };\nexports.b = { id: 'b' };\n";
  writeFileSync(join(dir, 'compiled.cjs'), compiled);
  writeFileSync(join(dir, 'plain.cjs'), "exports.race = { id: 'race' };\n");
  writeFileSync(join(dir, 'whole.cjs'), "module.exports = { id: 'whole', variants: {} };\n");
  writeFileSync(join(dir, 'esm.mjs'), "export default { id: 'm' };\nexport const n = { id: 'n' };\n");
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('scenarioModuleExports', () => {
  it('a CommonJS module compiled from ESM exports what its author exported, required (.cjs)', async () => {
    const m = await scenarioModuleExports(url('compiled.cjs'));
    expect(m.default).toEqual({ id: 'a' });
    expect(m.b).toEqual({ id: 'b' });
  });

  it("imported: node's namespace of it (the whole exports as default) and tsx's (its default as default) read the same", () => {
    // why by hand: vitest's import() has an interop of its own, neither node's nor tsx's
    const exported = Object.defineProperties({}, { __esModule: { value: true }, default: { value: { id: 'a' }, enumerable: true }, b: { value: { id: 'b' }, enumerable: true } });
    const byNode = namespaceExports({ __esModule: true, b: { id: 'b' }, default: exported });
    const byTsx = namespaceExports({ default: { id: 'a' }, b: { id: 'b' } });
    for (const m of [byNode, byTsx]) {
      expect(m.default).toEqual({ id: 'a' });
      expect(m.b).toEqual({ id: 'b' });
    }
  });

  it('a plain CommonJS module is its exports object as default, and its properties by name, as an import names them', async () => {
    const plain = await scenarioModuleExports(url('plain.cjs'));
    expect(plain.race).toEqual({ id: 'race' });
    expect(plain.default).toEqual({ race: { id: 'race' } });
    const whole = await scenarioModuleExports(url('whole.cjs'));
    expect(whole.default).toEqual({ id: 'whole', variants: {} });
  });

  it('an ES module is its namespace', async () => {
    const m = await scenarioModuleExports(url('esm.mjs'));
    expect(m.default).toEqual({ id: 'm' });
    expect(m.n).toEqual({ id: 'n' });
  });
});

/** `--junit` and `--html` files: checked before a search starts, written after its results print. */
import { accessSync, constants, existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../runtime/errors';

/** Throws a one-line UsageError when `file` cannot be written (its folder missing or read-only). */
export function assertWritable(flag: string, file: string): void {
  const abs = resolve(file);
  if (existsSync(abs)) {
    if (statSync(abs).isDirectory()) throw new UsageError(`${flag} ${file}: is a directory`);
    try {
      accessSync(abs, constants.W_OK);
    } catch {
      throw new UsageError(`${flag} ${file}: not writable`);
    }
    return;
  }
  const dir = dirname(abs);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${flag} ${file}: no such directory ${dirname(file)}`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`${flag} ${file}: directory ${dirname(file)} is not writable`);
  }
}

/** Writes a file; a failure is a one-line message, returned for printing after the results. */
export function tryWrite(flag: string, file: string, content: string): string | null {
  try {
    writeFileSync(file, content);
    return null;
  } catch (e) {
    const m = e instanceof Error ? e.message : String(e);
    return `weft: could not write ${flag} ${file}: ${m.split('\n')[0]}`;
  }
}

/**
 * Section 1 measures each family row in a fresh process, as one `check` process runs one search.
 * Why: V8 specialises the runtime's calls (op runs, generator steps, enabled predicates) to the
 * programs it has seen, and a process that already ran other programs runs the next one slower;
 * in one shared process a row's rate depended on the rows before it.
 *
 * The parent runs this file again as a child (same node, same tsx loader) with the row named on
 * the command line; the child warms up on that program, measures it, and prints the measurement
 * as JSON.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureFamily, warmUp, type FamilyCaps, type FamilyMeasurement, type FamilyRow } from './families';
import { programs, type BenchProgram } from './programs';

interface RowRequest {
  readonly id: string;
  readonly params: BenchProgram['params'];
  readonly caps: FamilyCaps;
}

const SELF = fileURLToPath(import.meta.url);

/** Measures one row in a child process. */
export function measureFamilyInChild(program: BenchProgram, caps: FamilyCaps): FamilyRow {
  const request: RowRequest = { id: program.id, params: program.params, caps };
  const child = spawnSync(process.execPath, [...process.execArgv, SELF, JSON.stringify(request)], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (child.status !== 0) {
    const why = child.error?.message ?? `exit ${child.status ?? child.signal}`;
    throw new Error(`bench: measuring ${program.id} ${JSON.stringify(program.params)} in a child failed (${why}):\n${child.stderr}`);
  }
  const measured = JSON.parse(child.stdout) as FamilyMeasurement;
  return { ...measured, program };
}

function childMain(arg: string | undefined): number {
  const request = JSON.parse(arg ?? 'null') as RowRequest | null;
  const program = programs.find((p) => request !== null && p.id === request.id && JSON.stringify(p.params) === JSON.stringify(request.params));
  if (request === null || program === undefined) {
    process.stderr.write(`bench family child: no benchmark program matches ${arg}\n`);
    return 2;
  }
  // why as long as a rate sample: V8 has then compiled the hot loop for this program, so a short
  // row is not timed while it still runs unoptimised code
  warmUp(program, request.caps.rateMinMs);
  const { program: _measured, ...measurement } = measureFamily(program, request.caps);
  process.stdout.write(JSON.stringify(measurement));
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === SELF) {
  process.exitCode = childMain(process.argv[2]);
}

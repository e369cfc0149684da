/** `npm run bench [-- options]`: see bench/README.md. */
import { scenarios } from '../scenarios/index';
import { measureAbandoned, renderAbandoned } from './abandoned';
import { auditLine } from './audit';
import { coldStartSection } from './cold-start';
import { observersSection } from './observers';
import { measureFamilyInChild } from './family-process';
import { parseBenchArgs, SECTIONS, USAGE, type BenchOptions } from './options';
import { jobsCountsAgree, measureJobs, renderJobs } from './parallel';
import { programs } from './programs';
import { runBench } from './report';

function jobsSection(options: BenchOptions, progress: (s: string) => void): { text: string; countsAgree: boolean } {
  const m = measureJobs(options, progress);
  return { text: renderJobs(m), countsAgree: jobsCountsAgree(m) };
}

function main(): number {
  let options;
  try {
    options = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // why: progress goes to a terminal only, so piped output stays the report alone
  const tty = process.stderr.isTTY;
  const progress = tty ? (s: string) => process.stderr.write(`\r\x1b[K… ${s}`) : () => {};
  const out = (s: string) => {
    if (tty) process.stderr.write('\r\x1b[K');
    process.stdout.write(`${s}\n`);
  };
  // why not in --quick: a child per row pays its own start and warm-up, which a smoke run of a few
  // seconds cannot afford; its rows share this process, warmed up once
  const measureFamily = options.quick ? null : measureFamilyInChild;
  const inputs = { programs, scenarios: scenarios.map((e) => e.scenario), jobs: jobsSection, measureFamily };
  const countMismatches = runBench(options, inputs, out, progress);
  if (options.sections.has('scenarios')) out(auditLine(options.quick));
  if (options.families === null && options.scenarios === null && options.sections.size === SECTIONS.length) out(coldStartSection(options, progress));
  if (options.sections.has('observers')) {
    out(`\n## 6. Invariant observers: S1 fixed and S3 fixed with declared footprints (bench/observers.ts)\n`);
    out(observersSection(inputs.scenarios, options.quick, progress));
  }
  if (options.sections.has('abandoned')) {
    out(`\n## 7. Abandoned executions of dfs by cause, on programs that block (bench/abandoned.ts)\n`);
    out(renderAbandoned(measureAbandoned(inputs.scenarios, programs, options.quick, progress)));
  }
  // why: a count that differs from the published one is a reduction bug; timings never fail
  return countMismatches > 0 ? 1 : 0;
}

process.exitCode = main();

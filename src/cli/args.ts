/**
 * The command line, parsed with commander. This is the one place flags map to option names and
 * limits; everything after it sees a `CliOptions`.
 */
import { MINIMIZE_EXECUTIONS_MAX } from '../trace/minimize';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../runtime/errors';
import type { SearchLimits } from '../search/explorer';
import { DEFAULT_LIMITS } from '../search/explorer';
import { DEFAULT_AUDIT_EXECUTIONS } from '../runtime/execution';
import { parseShard, type ShardSpec } from '../distribute/shard-file';
import { STRATEGIES, strategyDescriptor, type StrategyOptions } from '../search/strategies';
import { defaultJobs } from '../distribute/worker-pool';
import { isFileArgument } from './scenario-files';
import { availableParallelism } from 'node:os';
import { packageVersion } from './version';

export interface CliOptions {
  /** Scenario id given as the positional argument, if any. */
  readonly scenario: string | null;
  /** Positional arguments that name scenario files (paths, directories, globs). */
  readonly files: readonly string[];
  readonly all: boolean;
  readonly list: boolean;
  readonly variant: string | null;
  readonly replay: string | null;
  readonly json: boolean;
  /** Also write JUnit XML to this file. */
  readonly junit: string | null;
  /** Print what each step of a trace changed in the world. */
  readonly explain: boolean;
  /** Also write the trace as a self-contained HTML page to this file. */
  readonly html: string | null;
  /** Minimize failing schedules before printing them (`--no-minimize` turns it off). */
  readonly minimize: boolean;
  /** Executions minimization may run per failing schedule (`--minimize-budget`). */
  readonly minimizeBudget: number;
  readonly timing: boolean;
  readonly strategy: string;
  /** What `--preemptions`, `--executions`, `--seed` and `--depth` tell the strategy. */
  readonly strategyOptions: StrategyOptions;
  /** Threads for split searches (`--jobs`): this one and jobs − 1 workers; 1 explores the partitions here. */
  readonly jobs: number;
  /** `--shard i/n`: explore only this share of each search and print a shard result. */
  readonly shard: ShardSpec | null;
  /** `--merge files…`: merge shard results instead of searching. */
  readonly merge: readonly string[] | null;
  readonly params: Record<string, number>;
  readonly limits: SearchLimits;
  /** Set when --help or --version printed something and nothing else should run. */
  readonly helpShown: boolean;
}

function positiveInt(flag: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`${flag} takes a whole number ≥ 1, not '${v}'`);
    return Number(v);
  };
}

function wholeNumber(flag: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${flag} takes a whole number ≥ 0, not '${v}'`);
    return Number(v);
  };
}

function shardSpec(v: string): ShardSpec {
  try {
    return parseShard(v);
  } catch (e) {
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
  }
}

function param(v: string, acc: Record<string, number>): Record<string, number> {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(-?\d+)$/.exec(v);
  if (!m) throw new InvalidArgumentError(`--param takes name=integer, not '${v}'`);
  return { ...acc, [m[1]!]: Number(m[2]) };
}

export function buildProgram(out: (s: string) => void): Command {
  return new Command('check')
    .description('explore the schedules of kernel race scenarios and compare each verdict with what its variant declares')
    .argument('[scenario...]', 'scenario id (see --list), or scenario files: paths, directories, globs')
    .version(packageVersion(), '--version', 'print the version')
    .option('--all', 'check every variant of every scenario')
    .option('--list', 'list scenarios, their variants and expected verdicts')
    .option('--variant <name>', 'check only this variant')
    .option('--replay <token>', 're-run exactly the schedule of a replay token and print its trace')
    .option('--json', 'print results as JSON')
    .option('--junit <file>', 'also write the results as JUnit XML (one testcase per variant)')
    .option('--explain', "under each trace, print what every step changed in the world")
    .option('--html <file>', 'also write the trace as a self-contained HTML page')
    .option('--no-minimize', 'print failing schedules as found, without minimizing them')
    .addOption(
      new Option('--minimize-budget <n>', 'executions minimization may run per failing schedule (the trace line says what was proven within it)')
        .argParser(positiveInt('--minimize-budget'))
        .default(MINIMIZE_EXECUTIONS_MAX),
    )
    .option('--no-timing', 'leave wall times out, so output is byte-for-byte reproducible')
    .option('--strategy <id>', `how to choose schedules: ${STRATEGIES.map((s) => `${s.id} (${s.help})`).join('; ')}`, 'dfs')
    .addOption(new Option('--preemptions <k>', 'bounded: stop after the pass of k preemptions (verdict: incomplete if schedules were left)').argParser(wholeNumber('--preemptions')))
    .addOption(new Option('--executions <n>', 'random, pct: how many executions to sample').argParser(positiveInt('--executions')))
    .option('--seed <seed>', 'random, pct: the seed (printed with the result; the same seed repeats the run)')
    .addOption(new Option('--depth <d>', 'pct: bug depth d (d − 1 priority change points per execution)').argParser(positiveInt('--depth')))
    .addOption(new Option('--jobs <n>', 'split searches of 2,000+ executions over n threads (default: the number of cores, at most 8); results are the same for every n').argParser(positiveInt('--jobs')))
    .addOption(new Option('--shard <i/n>', 'explore only share i of n of each search; print a shard result to --merge').argParser(shardSpec))
    .option('--merge <files...>', 'merge the --json results of every shard into one verdict and exit code (scenario files the shards searched go before it)')
    .option('--param <name=value>', 'set a scenario parameter (repeatable)', param, {})
    .option('--audit', `audit every execution, not only the first ${DEFAULT_AUDIT_EXECUTIONS} of each search: accesses against declarations, and determinism`)
    .addOption(
      new Option('--max-executions <n>', 'stop after n executions (verdict: incomplete)')
        .argParser(positiveInt('--max-executions'))
        .default(DEFAULT_LIMITS.executionsMax),
    )
    .addOption(
      new Option('--max-steps <n>', 'cut an execution when one thread takes more than n steps (verdict: incomplete)')
        .argParser(positiveInt('--max-steps'))
        .default(DEFAULT_LIMITS.stepsPerThreadMax),
    )
    .addOption(
      new Option('--max-time <seconds>', 'stop a search after this many seconds (verdict: incomplete)')
        .argParser(positiveInt('--max-time'))
        .default(DEFAULT_LIMITS.timeMsMax / 1000),
    )
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: () => {} })
    .showSuggestionAfterError(true);
}

/** Parses argv (without node and script); throws UsageError with commander's one-line reason. */
export function parseArgs(argv: readonly string[], out: (s: string) => void): CliOptions {
  const program = buildProgram(out);
  try {
    program.parse([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return helpOnly();
      throw new UsageError(e.message.replace(/^error: /, ''));
    }
    throw e;
  }
  const o = program.opts<{
    all?: boolean;
    list?: boolean;
    variant?: string;
    replay?: string;
    json?: boolean;
    junit?: string;
    explain?: boolean;
    html?: string;
    minimize: boolean;
    minimizeBudget: number;
    timing: boolean;
    strategy: string;
    preemptions?: number;
    executions?: number;
    seed?: string;
    depth?: number;
    jobs?: number;
    shard?: ShardSpec;
    merge?: string[];
    param: Record<string, number>;
    maxExecutions: number;
    maxSteps: number;
    maxTime: number;
    audit?: boolean;
  }>();
  const positional = program.args;
  const files = positional.filter(isFileArgument);
  const ids = positional.filter((a) => !isFileArgument(a));
  if (ids.length > 1) throw new UsageError(`give one scenario id, not ${ids.length} (${ids.join(', ')})`);
  if (ids.length && files.length) throw new UsageError(`give a scenario id or scenario files, not both ('${ids[0]}')`);
  const scenario = ids[0] ?? null;
  const options: CliOptions = {
    scenario,
    files,
    all: o.all ?? false,
    list: o.list ?? false,
    variant: o.variant ?? null,
    replay: o.replay ?? null,
    json: o.json ?? false,
    junit: o.junit ?? null,
    explain: o.explain ?? false,
    html: o.html ?? null,
    minimize: o.minimize,
    minimizeBudget: o.minimizeBudget,
    timing: o.timing,
    strategy: o.strategy,
    strategyOptions: {
      ...(o.preemptions === undefined ? {} : { preemptionsMax: o.preemptions }),
      ...(o.executions === undefined ? {} : { executions: o.executions }),
      ...(o.seed === undefined ? {} : { seed: o.seed }),
      ...(o.depth === undefined ? {} : { depth: o.depth }),
    },
    jobs: o.jobs ?? defaultJobs(),
    shard: o.shard ?? null,
    merge: o.merge ?? null,
    params: o.param,
    limits: {
      executionsMax: o.maxExecutions,
      stepsPerThreadMax: o.maxSteps,
      timeMsMax: o.maxTime * 1000,
      // why MAX_SAFE_INTEGER and not Infinity: limits go to workers and into shard files as JSON
      ...(o.audit ? { auditExecutions: Number.MAX_SAFE_INTEGER } : {}),
    },
    helpShown: false,
  };
  validate(options);
  const jobsMax = availableParallelism() * 4;
  if (options.jobs > jobsMax) throw new UsageError(`--jobs ${options.jobs} is more than 4 × the ${availableParallelism()} cores here (at most ${jobsMax})`);
  return options;
}

/** The flag that sets each strategy option; which strategies read an option, their descriptors say. */
const STRATEGY_FLAGS: readonly { flag: string; key: keyof StrategyOptions }[] = [
  { flag: '--preemptions', key: 'preemptionsMax' },
  { flag: '--executions', key: 'executions' },
  { flag: '--seed', key: 'seed' },
  { flag: '--depth', key: 'depth' },
];

function validate(o: CliOptions): void {
  if (o.list) return;
  if (o.merge) {
    // why files are taken: a user's shards name scenarios of the user's files, which no registry has
    if (o.scenario || o.all || o.replay || o.shard) throw new UsageError('--merge takes shard result files (and the scenario files they searched), not a scenario id, --all, --replay or --shard');
    return;
  }
  if (o.shard && o.replay) throw new UsageError('--shard splits a search; --replay runs one schedule');
  const strategy = strategyDescriptor(o.strategy);
  for (const f of STRATEGY_FLAGS) {
    if (o.strategyOptions[f.key] !== undefined && !strategy.options.includes(f.key)) {
      const readers = STRATEGIES.filter((s) => s.options.includes(f.key)).map((s) => s.id);
      throw new UsageError(`${f.flag} applies to --strategy ${readers.join(' or ')}, not ${o.strategy}`);
    }
  }
  if (o.all && o.scenario) throw new UsageError('give a scenario or --all, not both');
  if (o.all && o.variant) throw new UsageError('--variant needs one scenario, not --all');
  if (o.all && o.replay) throw new UsageError('--replay replays one schedule, not --all');
  if (!o.all && !o.scenario && !o.files.length && !o.replay) throw new UsageError('name a scenario, or use --all, --list or --replay (see --help)');
}

function helpOnly(): CliOptions {
  return {
    scenario: null, files: [], all: false, list: false, variant: null, replay: null, json: false, junit: null, explain: false, html: null, minimize: true, minimizeBudget: MINIMIZE_EXECUTIONS_MAX, timing: false,
    strategy: 'dfs', strategyOptions: {}, jobs: 1, shard: null, merge: null, params: {}, limits: DEFAULT_LIMITS, helpShown: true,
  };
}

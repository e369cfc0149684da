/**
 * The command line, parsed with commander. This is the one place flags map to option names and
 * limits; everything after it sees a `CliOptions`.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../runtime/errors';
import type { SearchLimits } from '../explore/explorer';
import { DEFAULT_LIMITS } from '../explore/explorer';

export interface CliOptions {
  /** Scenario id given as the positional argument, if any. */
  readonly scenario: string | null;
  readonly all: boolean;
  readonly list: boolean;
  readonly variant: string | null;
  readonly replay: string | null;
  readonly json: boolean;
  /** Also write JUnit XML to this file. */
  readonly junit: string | null;
  readonly timing: boolean;
  readonly strategy: string;
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

function param(v: string, acc: Record<string, number>): Record<string, number> {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(-?\d+)$/.exec(v);
  if (!m) throw new InvalidArgumentError(`--param takes name=integer, not '${v}'`);
  return { ...acc, [m[1]!]: Number(m[2]) };
}

export function buildProgram(out: (s: string) => void): Command {
  return new Command('check')
    .description('explore the schedules of kernel race scenarios and compare each verdict with what its variant declares')
    .argument('[scenario]', 'scenario id (see --list)')
    .option('--all', 'check every variant of every scenario')
    .option('--list', 'list scenarios, their variants and expected verdicts')
    .option('--variant <name>', 'check only this variant')
    .option('--replay <token>', 're-run exactly the schedule of a replay token and print its trace')
    .option('--json', 'print results as JSON')
    .option('--junit <file>', 'also write the results as JUnit XML (one testcase per variant)')
    .option('--no-timing', 'leave wall times out, so output is byte-for-byte reproducible')
    .option('--strategy <id>', 'how to choose schedules', 'dfs')
    .option('--param <name=value>', 'set a scenario parameter (repeatable)', param, {})
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
    timing: boolean;
    strategy: string;
    param: Record<string, number>;
    maxExecutions: number;
    maxSteps: number;
    maxTime: number;
  }>();
  const scenario = program.args[0] ?? null;
  const options: CliOptions = {
    scenario,
    all: o.all ?? false,
    list: o.list ?? false,
    variant: o.variant ?? null,
    replay: o.replay ?? null,
    json: o.json ?? false,
    junit: o.junit ?? null,
    timing: o.timing,
    strategy: o.strategy,
    params: o.param,
    limits: { executionsMax: o.maxExecutions, stepsPerThreadMax: o.maxSteps, timeMsMax: o.maxTime * 1000 },
    helpShown: false,
  };
  validate(options);
  return options;
}

function validate(o: CliOptions): void {
  if (o.list) return;
  if (o.all && o.scenario) throw new UsageError('give a scenario or --all, not both');
  if (o.all && o.variant) throw new UsageError('--variant needs one scenario, not --all');
  if (o.all && o.replay) throw new UsageError('--replay replays one schedule, not --all');
  if (!o.all && !o.scenario && !o.replay) throw new UsageError('name a scenario, or use --all, --list or --replay (see --help)');
}

function helpOnly(): CliOptions {
  return {
    scenario: null, all: false, list: false, variant: null, replay: null, json: false, junit: null, timing: false,
    strategy: 'dfs', params: {}, limits: DEFAULT_LIMITS, helpShown: true,
  };
}

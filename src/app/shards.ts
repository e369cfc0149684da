/**
 * The CLI side of split searches: worker pools and seeds for a run, `--shard` output, `--merge`
 * input, and the per-strategy details printed under the verdicts.
 */
import { readFileSync } from 'node:fs';
import { variantOf } from '../search/variant';
import { entryMerges, mergeEntry, type EntryMerge } from '../distribute/merge';
import { describeShard, type ShardFile, type ShardSearch } from '../distribute/shard-file';
import { exploreInProcess, type SearchRequest } from '../distribute/parallel';
import { PARTITION_RULE } from '../distribute/partition';
import { freshSeed } from '../search/strategies/random';
import { strategyDescriptor } from '../search/strategies';
import type { Verdict } from '../search/verdict';
import type { LazyPool } from '../distribute/worker-pool';
import { UsageError } from '../runtime/errors';
import type { Scenario } from '../runtime/scenario';
import type { SearchLimits } from '../search/explorer';
import type { StrategyOptions } from '../search/strategies';
import type { ShardSpec } from '../distribute/shard-file';
import type { ScenarioSource } from '../distribute/worker-protocol';

/** What a run of the command line asks for, as far as searches and shards need it. */
export interface RunFlags {
  readonly strategy: string;
  readonly strategyOptions: StrategyOptions;
  readonly params: Record<string, number>;
  readonly limits: SearchLimits;
  readonly variant: string | null;
  readonly shard: ShardSpec | null;
  readonly merge: readonly string[] | null;
  readonly json: boolean;
  readonly timing: boolean;
  readonly minimize: boolean;
  readonly all: boolean;
}
import { runChecksHosted, runShard, type CheckedReport, type HostedOutcome, type RunOptions, type ScenarioEntry, type ShardOrder, type TraceOrder, type VariantReport } from './check';

/** The seed of this run: the one given, or a fresh one (printed, so the run can be repeated). */
export function seedFor(options: RunFlags): string | null {
  if (!strategyDescriptor(options.strategy).seeded) return null;
  return options.strategyOptions.seed ?? freshSeed();
}

/**
 * How this run searches. Workers import a scenario from its module, so only scenarios with a
 * source go to workers; a test's own in-memory scenarios stay in this thread (same verdicts by design).
 */
export function searchOptions(options: RunFlags, pool: LazyPool, seed: string | null, sourceOf: (scenario: Scenario) => ScenarioSource | null): RunOptions {
  return {
    strategy: options.strategy,
    params: options.params,
    limits: options.limits,
    strategyOptions: seed === null ? options.strategyOptions : { ...options.strategyOptions, seed },
    // why a pool getter at --jobs 1 too: every N explores the same partitions (LazyPool.get is null
    // then, and this thread explores them), so the output never depends on N
    pool: () => pool.get(),
    sourceOf,
  };
}

/**
 * Runs this shard's share and renders it: the mergeable file with --json, else a summary.
 * `hosted`: where each variant's share is searched when it takes it (see runShard).
 */
export async function renderShard(
  targets: readonly { scenario: Scenario; file: string }[],
  options: RunFlags,
  run: RunOptions,
  hosted?: (req: SearchRequest, order: ShardOrder) => Promise<ShardSearch> | null,
  mergeCommand = 'npx tsx check --merge <files…>',
): Promise<string> {
  const file = await runShard(targets, options.variant, options.shard!, run, hosted);
  if (options.json) return `${JSON.stringify(options.timing ? file : withoutTimes(file), null, 2)}\n`;
  const lines = [
    `shard ${describeShard(file.shard)} of each ${file.strategy} search (partitions: ≥ ${PARTITION_RULE.partitionsMin}, or ${PARTITION_RULE.depthMax} levels deep; dfs splits probed ${PARTITION_RULE.probeExecutions} executions a half)`,
  ];
  for (const r of file.results) {
    const name = `${r.scenario}/${r.variant}`;
    if (r.search.whole) {
      lines.push(`  ${name}: small search, run whole: ${r.search.whole.kind}, ${r.search.whole.stats.executions} executions`);
      continue;
    }
    const executions = r.search.parts.reduce((n, p) => n + p.verdict.stats.executions, 0);
    const found = r.search.parts.find((p) => p.verdict.kind === 'violated');
    lines.push(
      `  ${name}: ${r.search.parts.length} of ${r.search.partitions} partitions explored, ${executions} executions` +
        (found ? `, violation in partition ${found.partition.index}` : ''),
    );
  }
  lines.push(`this is one shard: rerun with --json into a file, then merge every shard with \`${mergeCommand}\``);
  return `${lines.join('\n')}\n`;
}

function withoutTimes(file: ShardFile): ShardFile {
  const untimed = (v: Verdict | null): Verdict | null => (v === null ? null : { ...v, stats: { ...v.stats, timeMs: 0 } });
  return {
    ...file,
    results: file.results.map((r) => ({
      ...r,
      search: { ...r.search, whole: untimed(r.search.whole), parts: r.search.parts.map((p) => ({ ...p, verdict: untimed(p.verdict)! })) },
    })),
  };
}

/**
 * Reads and merges shard files into reports, with the options they were searched with. Merging
 * runs the model (a partition explored again where the budget asks, a violation's schedule
 * minimized and recorded): `hosted` does both for a variant when it takes it (the CLI's search
 * worker, under --max-time's watchdog, the merge as its search); else they run in this thread.
 * `onReport` hears each report as soon as it is made.
 */
export async function mergeShardResults<O extends RunFlags>(
  options: O,
  find: (id: string) => ScenarioEntry,
  command?: string,
  hosted: (req: SearchRequest, order: TraceOrder, merge: EntryMerge) => Promise<HostedOutcome> | null = () => null,
  onReport?: (r: VariantReport) => void,
): Promise<{ reports: VariantReport[]; options: O }> {
  const files = options.merge!.map((name) => ({ name, content: readJson(name) }));
  const merges = entryMerges(files);
  const first = shardOf(files);
  // why this run's --max-time: it bounds the merge's own model runs, as it bounds a search's
  const limits = { ...first.limits, timeMsMax: options.limits.timeMsMax };
  const reports: VariantReport[] = [];
  for (const m of merges) {
    const target = find(m.entry.scenario);
    const { scenario } = target;
    const req = { scenario, source: null, variant: m.entry.variant, params: m.entry.params, strategy: first.strategy, limits, target: m.entry.target };
    const verdictOf = (): Verdict => mergeEntry(m, (entry, partition, left) => exploreInProcess(req, variantOf(scenario, entry.variant), partition, left));
    const run: RunOptions = { strategy: first.strategy, params: m.entry.params, limits, minimize: options.minimize, verdictOf, sourceOf: () => target.source ?? null, ...(command === undefined ? {} : { command }) };
    reports.push(...(await runChecksHosted([target], m.entry.variant, run, (r, order) => hosted(r, order, m), onReport)));
  }
  const scenarioCount = new Set(merges.map((m) => m.entry.scenario)).size;
  return { reports, options: { ...options, all: scenarioCount > 1, strategy: first.strategy, limits: first.limits } };
}

function shardOf(files: readonly { content: unknown }[]): ShardFile {
  return files[0]!.content as ShardFile;
}

function readJson(name: string): unknown {
  try {
    return JSON.parse(readFileSync(name, 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read shard result ${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Lines under the verdicts: executions per preemption bound, the seed of a sampled run. */
export function renderSearchDetails(reports: readonly VariantReport[], seed: string | null): string {
  const lines: string[] = [];
  const bounded = reports.filter((r): r is CheckedReport => r.kind === 'checked' && r.executionsByPreemptions !== null);
  if (bounded.length > 0) {
    lines.push('executions by preemptions (bounded: every schedule runs in the pass of its own preemption count):');
    for (const r of bounded) {
      const counts = r.executionsByPreemptions!.map((n, b) => `${b}: ${n.toLocaleString('en-US')}`).join(' · ');
      lines.push(`  ${r.scenario.id}/${r.variant}  ${counts}`);
    }
  }
  if (seed !== null) lines.push(`seed ${seed} (the same seed repeats this run: --seed ${seed})`);
  return lines.length > 0 ? `\n${lines.join('\n')}\n` : '';
}

/** The JSON report with the same details: `seed` at the top, `executionsByPreemptions` per result. */
export function withSearchDetails(json: object, reports: readonly VariantReport[], seed: string | null): object {
  const j = json as { results?: object[] };
  return {
    ...json,
    ...(seed === null ? {} : { seed }),
    ...(j.results
      ? {
          results: j.results.map((r, i) => {
            const report = reports[i];
            return report?.kind === 'checked' && report.executionsByPreemptions ? { ...r, executionsByPreemptions: report.executionsByPreemptions } : r;
          }),
        }
      : {}),
  };
}

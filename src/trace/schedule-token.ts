/**
 * The replay token: versioned, readable, scoped to its scenario and variant, e.g.
 * `w1:mmu-notifier-unregister-release/buggy:A3B9A4` — thread letters as in the trace table, each
 * followed by how many steps in a row it ran (omitted when 1). Parameters that differ from the
 * scenario's defaults ride along: `w1:<id>/<variant>,notifiers=2:<schedule>`. Every step is
 * recorded, forced ones too, so a replay can name the exact step where it diverges. The values of
 * choose() steps follow the schedule after a `~`, per thread in the order it made them:
 * `A2B3~B=1.0,C=2` (B chose 1, then 0; C chose 2). A token without choices has no `~`.
 */
import { UsageError } from '../runtime/errors';
import type { Params } from '../runtime/scenario';
import type { Picks } from '../runtime/execution';

export const TOKEN_VERSION = 'w1';

/**
 * The longest schedule a token may spell out. A replay runs every step, so a token whose run
 * lengths add up to more is refused before anything is allocated: 10,000,000 steps is far past
 * what a search records (thread count times the per-thread step bound), yet small enough to hold.
 */
export const SCHEDULE_STEPS_MAX = 10_000_000;

export interface ScheduleToken {
  readonly scenario: string;
  readonly variant: string;
  /** Parameters that differ from the scenario's defaults. */
  readonly params: Params;
  /** Thread id chosen at each step. */
  readonly schedule: readonly number[];
  /** The values of its choose() steps, per thread; absent when there are none. */
  readonly picks?: Picks;
}

/** `B=1.0,C=2`: each thread that chose, with its values in order. */
export function encodePicks(picks: Picks): string {
  const parts: string[] = [];
  picks.forEach((values, thread) => {
    if (values.length > 0) parts.push(`${symbol(thread)}=${values.join('.')}`);
  });
  return parts.join(',');
}

/** Reads what encodePicks wrote; a usage error naming the character where it stops making sense. */
export function decodePicks(text: string): number[][] {
  const picks: number[][] = [];
  const re = /([A-Z]|\{(\d+)\})=(\d+(?:\.\d+)*)(,|$)/y;
  let at = 0;
  let total = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new UsageError(`bad choices at character ${at + 1} of '${brief(text)}': expected <thread letter>=<value>.<value>…`);
    const thread = m[2] !== undefined ? Number(m[2]) : m[1]!.charCodeAt(0) - 65;
    if (!Number.isSafeInteger(thread) || thread > 10_000) throw new UsageError(`bad choices at character ${at + 1} of '${brief(text)}': thread ${brief(m[1]!)} is not a thread number`);
    if (picks[thread] !== undefined && picks[thread]!.length > 0) throw new UsageError(`bad choices '${brief(text)}': thread ${symbol(thread)} is listed twice`);
    const values = m[3]!.split('.').map(Number);
    total += values.length;
    if (total > SCHEDULE_STEPS_MAX || values.some((v) => !Number.isSafeInteger(v))) throw new UsageError(`bad choices '${brief(text)}': a value or the number of values is out of range`);
    while (picks.length <= thread) picks.push([]);
    picks[thread] = values;
    at = re.lastIndex;
    if (m[4] === ',' && at === text.length) throw new UsageError(`bad choices '${brief(text)}': a trailing comma`);
  }
  return picks;
}

/** A thread's symbol: its letter for the first 26 threads, `{n}` beyond. */
function symbol(thread: number): string {
  return thread < 26 ? String.fromCharCode(65 + thread) : `{${thread}}`;
}

export function encodeSchedule(schedule: readonly number[]): string {
  let out = '';
  for (let i = 0; i < schedule.length; ) {
    let j = i;
    while (j < schedule.length && schedule[j] === schedule[i]) j++;
    out += symbol(schedule[i]!) + (j - i > 1 ? String(j - i) : '');
    i = j;
  }
  return out;
}

/** Text quoted in an error, cut short so that the message stays one readable line. */
function brief(text: string): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}

export function decodeSchedule(text: string): number[] {
  // Two passes: the runs are read and their total checked first, so a token that spells out an
  // absurd schedule is refused before any of it is allocated.
  const runs: { thread: number; count: number }[] = [];
  let total = 0;
  const re = /([A-Z]|\{(\d+)\})(\d*)/y;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new UsageError(`bad schedule at character ${at + 1} of '${brief(text)}': expected a thread letter`);
    const thread = m[2] !== undefined ? Number(m[2]) : m[1]!.charCodeAt(0) - 65;
    if (!Number.isSafeInteger(thread)) {
      throw new UsageError(`bad schedule at character ${at + 1} of '${brief(text)}': thread {${brief(m[2]!)}} is not a thread number`);
    }
    const count = m[3] ? Number(m[3]) : 1;
    if (count < 1) throw new UsageError(`bad schedule '${brief(text)}': a run of 0 steps`);
    if (!Number.isSafeInteger(count) || count > SCHEDULE_STEPS_MAX - total) {
      throw new UsageError(
        `bad schedule at character ${at + 1} of '${brief(text)}': a run of ${brief(m[3]!)} steps takes the schedule past ${SCHEDULE_STEPS_MAX.toLocaleString('en-US')} steps`,
      );
    }
    runs.push({ thread, count });
    total += count;
    at = re.lastIndex;
  }
  const out = new Array<number>(total);
  let i = 0;
  for (const { thread, count } of runs) {
    out.fill(thread, i, i + count);
    i += count;
  }
  return out;
}

export function encodeToken(t: ScheduleToken): string {
  const params = Object.entries(t.params)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `,${k}=${v}`)
    .join('');
  const picks = t.picks === undefined ? '' : encodePicks(t.picks);
  return `${TOKEN_VERSION}:${t.scenario}/${t.variant}${params}:${encodeSchedule(t.schedule)}${picks === '' ? '' : `~${picks}`}`;
}

export function decodeToken(text: string): ScheduleToken {
  const m = /^([a-z]\d+):([A-Za-z0-9._-]+)\/([A-Za-z0-9._-]+)((?:,[A-Za-z0-9_]+=-?\d+)*):(.*)$/.exec(text.trim());
  if (!m) {
    throw new UsageError(`'${brief(text)}' is not a replay token (expected ${TOKEN_VERSION}:<scenario>/<variant>:<schedule>)`);
  }
  if (m[1] !== TOKEN_VERSION) {
    throw new UsageError(`replay token version '${m[1]}' is not supported (this weft reads ${TOKEN_VERSION})`);
  }
  const params: Record<string, number> = {};
  for (const kv of m[4]!.split(',').slice(1)) {
    const [k, v] = kv.split('=');
    params[k!] = Number(v);
  }
  const body = m[5]!;
  const tilde = body.indexOf('~');
  const schedule = tilde < 0 ? body : body.slice(0, tilde);
  const picks = tilde < 0 ? undefined : body.slice(tilde + 1);
  if (picks === undefined) return { scenario: m[2]!, variant: m[3]!, params, schedule: decodeSchedule(schedule) };
  return { scenario: m[2]!, variant: m[3]!, params, schedule: decodeSchedule(schedule), picks: decodePicks(picks) };
}

/** Parameters that differ from the defaults: what a token must carry to replay the same world. */
export function nonDefaultParams(defaults: Params, params: Params): Params {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(params)) if (defaults[k] !== v) out[k] = v;
  return out;
}

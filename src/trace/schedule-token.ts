/**
 * The replay token: versioned, readable, scoped to its scenario and variant, e.g.
 * `w1:mmu-notifier-unregister-release/buggy:A3B9A4` — thread letters as in the trace table, each
 * followed by how many steps in a row it ran (omitted when 1). Parameters that differ from the
 * scenario's defaults ride along: `w1:<id>/<variant>,notifiers=2:<schedule>`. Every step is
 * recorded, forced ones too, so a replay can name the exact step where it diverges.
 */
import { UsageError } from '../runtime/errors';
import type { Params } from '../runtime/scenario';

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
  return `${TOKEN_VERSION}:${t.scenario}/${t.variant}${params}:${encodeSchedule(t.schedule)}`;
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
  return { scenario: m[2]!, variant: m[3]!, params, schedule: decodeSchedule(m[5]!) };
}

/** Parameters that differ from the defaults: what a token must carry to replay the same world. */
export function nonDefaultParams(defaults: Params, params: Params): Params {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(params)) if (defaults[k] !== v) out[k] = v;
  return out;
}

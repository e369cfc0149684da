import { parseArgs } from 'node:util';

/** The report's sections, in the order they print. */
export const SECTIONS = ['families', 'scenarios', 'jobs', 'bounded', 'observers', 'abandoned'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  /** Small parameters and short caps: a smoke run of a few seconds. */
  readonly quick: boolean;
  /** Benchmark families to run (ids or id prefixes); null: all. */
  readonly families: readonly string[] | null;
  /** Scenario ids (or prefixes) to run; null: all. */
  readonly scenarios: readonly string[] | null;
  /** Sections to print. */
  readonly sections: ReadonlySet<Section>;
}

export const USAGE = `npm run bench -- [--quick] [--family ID,…] [--scenario ID,…] [--section ${SECTIONS.join('|')},…]

  --quick            small parameters and short caps (a smoke run of seconds)
  --family ID,…      only these benchmark families (ids or prefixes: lastzero, mpat)
  --scenario ID,…    only these scenarios (ids or prefixes)
  --section NAME,…   only these sections (default: all)`;

function list(v: string | undefined): string[] | null {
  if (v === undefined) return null;
  return v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Parses `process.argv.slice(2)`; throws on an unknown flag or section. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      family: { type: 'string' },
      scenario: { type: 'string' },
      section: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const sections = list(values.section);
  for (const s of sections ?? []) {
    if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`unknown section '${s}' (known: ${SECTIONS.join(', ')})`);
  }
  const families = list(values.family);
  const scenarios = list(values.scenario);
  // why: naming a family or scenario says what the user wants to see; other sections stay quiet
  // unless asked for, so `--family mpat` does not also run every scenario.
  const implied: Section[] | null =
    sections === null && (families !== null || scenarios !== null)
      ? SECTIONS.filter((s) => (s === 'families' ? families !== null : s === 'scenarios' || s === 'bounded' ? scenarios !== null : false))
      : null;
  return {
    quick: values.quick ?? false,
    families,
    scenarios,
    sections: new Set((sections as Section[] | null) ?? implied ?? SECTIONS),
  };
}

/** Whether `id` is selected by a filter of ids or prefixes (null selects everything). */
export function selected(id: string, filter: readonly string[] | null): boolean {
  return filter === null || filter.some((f) => id === f || id.startsWith(f));
}

/**
 * Plain-text tables for the benchmark report. Cells are strings already formatted by the section
 * that owns them; this module only lays them out.
 */

export interface Column {
  readonly title: string;
  /** Numbers read best right-aligned; names left-aligned. */
  readonly align: 'left' | 'right';
}

export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? '';
        return c.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(columns.map((c) => c.title)), rule, ...rows.map(line)].join('\n');
}

/** 147456 → `147,456`. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** A rate per second with a unit suffix: `1.23M`, `45.6k`, `812`. */
export function rate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '-';
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M`;
  if (perSecond >= 1e4) return `${(perSecond / 1e3).toFixed(1)}k`;
  return count(Math.round(perSecond));
}

/** A duration: `0.41 ms`, `0.042 s`, `12.3 s`. */
export function seconds(ms: number): string {
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  const s = ms / 1000;
  return s >= 10 ? `${s.toFixed(1)} s` : `${s.toFixed(3)} s`;
}

/** A ratio with two decimals, `1.00`. */
export function ratio(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : '-';
}

/** `{ n: 10 }` → `n=10`; `{}` → `-`. */
export function paramsText(params: Readonly<Record<string, number>>): string {
  const parts = Object.entries(params).map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? parts.join(',') : '-';
}

// Plain-text tables and number formatting shared by the scenario reports.

export const fmt = (v: number | null | undefined, digits: number): string =>
  typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '-';

/** A median with its range over runs: `m (min–max)`, or `m` alone when they agree; `-` when not measured. */
export const withRange = (s: { median: number; min: number; max: number } | null, digits: number): string =>
  s === null
    ? '-'
    : s.min === s.max
      ? fmt(s.median, digits)
      : `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;

export const mb = (bytes: number): string => fmt(bytes / 1e6, 1);

/** Columns padded to their widest cell; the first left-aligned, the rest right-aligned. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

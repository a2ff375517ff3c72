import { OTHER } from './bucket.js';

/** The threshold below which a figure is not shown, unless the policy sets `aggregates.k`. */
export const DEFAULT_K = 10;

/** A figure as reports show it: the number, or only that it is below k. */
export type Figure = number | { fewerThan: number };

/** One row of a breakdown. */
export interface BreakdownRow {
  key: string;
  value: Figure;
}

/**
 * The single rule every output (API, command line, dashboard) applies: a count from 1 to k - 1 is
 * shown only as "fewer than k", so no figure singles out a handful of people. Zero stays zero: it
 * tells about no one.
 */
export function suppress(value: number, k: number): Figure {
  return value > 0 && value < k ? { fewerThan: k } : value;
}

/**
 * A breakdown as shown: keys counted fewer than k times are folded into {@link OTHER} (then the
 * "other" row itself is suppressed if it stays below k), the rest sorted by count, highest first,
 * at most `limit` rows before "other" (the rest also folds into it).
 */
export function suppressBreakdown(
  counts: Record<string, number>,
  k: number,
  limit = Number.POSITIVE_INFINITY,
): BreakdownRow[] {
  const shown: [string, number][] = [];
  let other = 0;
  for (const [key, count] of Object.entries(counts)) {
    if (count <= 0) continue;
    if (key === OTHER || count < k) other += count;
    else shown.push([key, count]);
  }
  shown.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [, count] of shown.splice(limit)) other += count;
  const rows: BreakdownRow[] = shown.map(([key, count]) => ({ key, value: count }));
  if (other > 0) rows.push({ key: OTHER, value: suppress(other, k) });
  return rows;
}

/** A figure as text: the number, or "fewer than k". */
export function formatFigure(figure: Figure | undefined): string {
  if (figure === undefined) return '-';
  return typeof figure === 'number' ? String(figure) : `fewer than ${figure.fewerThan}`;
}

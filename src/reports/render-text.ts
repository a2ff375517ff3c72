import { OTHER } from './bucket.js';
import { type Figure, formatFigure } from './suppress.js';
import type { TrafficReport } from './traffic.js';

const BARS = '▁▂▃▄▅▆▇█';

/** A figure as a number for charts: a suppressed one counts as zero. */
export function chartValue(figure: Figure): number {
  return typeof figure === 'number' ? figure : 0;
}

/** One character per value, scaled to the largest: a sparkline. */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  return values
    .map((value) =>
      max === 0 ? BARS[0] : (BARS[Math.min(7, Math.floor((value / max) * 7.999))] ?? BARS[0]),
    )
    .join('');
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** A traffic report as text for a terminal: totals, the series with sparklines, the breakdown. */
export function renderText(report: TrafficReport): string {
  const t = report.totals;
  const lines: string[] = [];
  lines.push(`Traffic ${report.from} to ${report.to}${report.host ? ` (${report.host})` : ''}`);
  lines.push(
    `Figures below ${report.k} show as "fewer than ${report.k}"; visitors are estimates (standard error ${(report.visitorError * 100).toFixed(1)} %).`,
  );
  lines.push('');
  lines.push(
    ...table([
      ['visitors', formatFigure(t.visitors)],
      ['visits', formatFigure(t.visits)],
      ['page views', formatFigure(t.pageViews)],
      ['requests', formatFigure(t.requests)],
      ['bots (apart)', formatFigure(t.bots)],
      ['bytes', formatFigure(t.bytes)],
      ['page views with a visitor id', formatFigure(t.pageViewsWithVisitor)],
      ['page views with referrer data', formatFigure(t.pageViewsWithNonessential)],
      [
        'response time p50/p90/p99 ms',
        ['p50', 'p90', 'p99'].map((p) => t.latencyMs[p as 'p50'] ?? '-').join(' / '),
      ],
    ]),
  );
  lines.push('');
  lines.push(`visitors   ${sparkline(report.series.map((p) => chartValue(p.visitors)))}`);
  lines.push(`page views ${sparkline(report.series.map((p) => chartValue(p.pageViews)))}`);
  lines.push('');
  lines.push(
    ...table([
      [report.interval, 'visitors', 'visits', 'page views', 'requests'],
      ...report.series.map((p) => [
        report.interval === 'day' ? p.start.slice(0, 10) : p.start.slice(0, 16).replace('T', ' '),
        formatFigure(p.visitors),
        formatFigure(p.visits),
        formatFigure(p.pageViews),
        formatFigure(p.requests),
      ]),
    ]),
  );
  if (report.breakdown !== undefined) {
    lines.push('');
    lines.push(
      ...table([
        [report.breakdown.by, report.breakdown.by === 'status' ? 'requests' : 'page views'],
        ...report.breakdown.rows.map((row) => [row.key, formatFigure(row.value)]),
      ]),
    );
    if (report.breakdown.rows.some((row) => row.key === OTHER)) {
      lines.push(`${OTHER}: rows below ${report.k}, and past the row limit, together.`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function csvCell(text: string): string {
  // A leading = + - @ would run as a formula in a spreadsheet.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function csvFigure(figure: Figure): string {
  return typeof figure === 'number' ? String(figure) : `<${figure.fewerThan}`;
}

/** The breakdown (with `by`) or else the series, as CSV; a suppressed figure reads `<k`. */
export function renderCsv(report: TrafficReport): string {
  const rows: string[][] = [];
  if (report.breakdown !== undefined) {
    rows.push([report.breakdown.by, 'value']);
    for (const row of report.breakdown.rows) rows.push([row.key, csvFigure(row.value)]);
  } else {
    rows.push(['start', 'visitors', 'visits', 'pageViews', 'requests']);
    for (const p of report.series) {
      rows.push([p.start, ...[p.visitors, p.visits, p.pageViews, p.requests].map(csvFigure)]);
    }
  }
  return `${rows.map((row) => row.map(csvCell).join(',')).join('\n')}\n`;
}

import { createHash } from 'node:crypto';
import { formatFigure } from '../suppress.js';
import type { BreakdownBy, TrafficReport } from '../traffic.js';
import { escapeHtml, seriesChart } from './chart-svg.js';

const STYLE = `
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#111827;background:#f9fafb}
main{max-width:60rem;margin:0 auto;padding:1rem}
h1{font-size:1.3rem}h2{font-size:1rem;margin:.2rem 0 .5rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:.6rem}
.card,section{background:#fff;border:1px solid #e5e7eb;border-radius:.5rem;padding:.7rem}
.card b{display:block;font-size:1.4rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:.8rem;margin-top:.8rem}
table{width:100%;border-collapse:collapse}td{padding:.15rem .3rem;border-top:1px solid #f3f4f6}
td:last-child{text-align:right;white-space:nowrap}td:first-child{word-break:break-all}
form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin:.6rem 0}
.legend span{margin-right:1rem}.v{color:#4f46e5}.p{color:#059669}
small{color:#6b7280}
`;

/** The hash of the one inline style block, for a Content-Security-Policy without 'unsafe-inline'. */
export const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

/** The breakdowns the page shows, with their titles. */
export const PANELS: readonly [BreakdownBy, string][] = [
  ['page', 'Top pages'],
  ['entry', 'Entry pages'],
  ['referrer', 'Referrers'],
  ['browser', 'Browsers'],
  ['os', 'Operating systems'],
  ['device', 'Devices'],
  ['country', 'Countries'],
  ['status', 'Status classes'],
];

function panel(by: BreakdownBy, title: string, report: TrafficReport): string {
  const rows = report.breakdown?.rows ?? [];
  const body =
    rows.length === 0
      ? '<tr><td>No data</td><td></td></tr>'
      : rows
          .map(
            (row) =>
              `<tr><td>${escapeHtml(row.key)}</td><td>${escapeHtml(formatFigure(row.value))}</td></tr>`,
          )
          .join('');
  return `<section id="${by}"><h2>${escapeHtml(title)}</h2><table>${body}</table></section>`;
}

/** The dashboard page: totals, the chart, a range picker and one table per breakdown. */
export function renderDashboard(main: TrafficReport, panels: readonly TrafficReport[]): string {
  const t = main.totals;
  const card = (label: string, value: string) =>
    `<div class="card">${escapeHtml(label)}<b>${escapeHtml(value)}</b></div>`;
  const from = main.from.slice(0, 10);
  // The range's last day, inclusive: the form sends it back as `to`.
  const to = new Date(Date.parse(main.to) - 1).toISOString().slice(0, 10);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Traffic</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>Traffic ${escapeHtml(from)} to ${escapeHtml(to)}${main.host ? ` on ${escapeHtml(main.host)}` : ''}</h1>
<form method="get" action="">
<label>From <input type="date" name="from" value="${escapeHtml(from)}"></label>
<label>To <input type="date" name="to" value="${escapeHtml(to)}"></label>
<label>By <select name="interval"><option value="day"${main.interval === 'day' ? ' selected' : ''}>day</option><option value="hour"${main.interval === 'hour' ? ' selected' : ''}>hour</option></select></label>
<button type="submit">Show</button>
</form>
<div class="cards">
${card('Visitors', formatFigure(t.visitors))}
${card('Visits', formatFigure(t.visits))}
${card('Page views', formatFigure(t.pageViews))}
${card('Requests', formatFigure(t.requests))}
${card('Bots (apart)', formatFigure(t.bots))}
${card('Median response', t.latencyMs.p50 === undefined ? '-' : `${t.latencyMs.p50} ms`)}
</div>
<section>
<div class="legend"><span class="v">■ visitors</span><span class="p">┅ page views</span></div>
${seriesChart(main.series)}
</section>
<div class="grid">
${PANELS.map(([by, title], i) => panel(by, title, panels[i]!)).join('\n')}
</div>
<p><small>Figures below ${main.k} show as "fewer than ${main.k}" and small rows join "(other)". Visitors are estimated (standard error ${(main.visitorError * 100).toFixed(1)} %) from page views that carried a visitor id: ${escapeHtml(formatFigure(t.pageViewsWithVisitor))} of them; referrers from the ${escapeHtml(formatFigure(t.pageViewsWithNonessential))} page views that kept referrer data.</small></p>
</main>
</body>
</html>
`;
}

import { chartValue } from '../render-text.js';
import type { TrafficPoint } from '../traffic.js';

/** Escape text for HTML and SVG: every key shown comes from requests. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

const WIDTH = 800;
const HEIGHT = 240;
const PAD = { left: 48, right: 12, top: 12, bottom: 28 };

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

/**
 * Visitors (filled area) and page views (line) over time as an inline SVG, drawn on the server: no
 * script, no external asset. A point hidden as "fewer than k" is drawn at zero.
 */
export function seriesChart(series: readonly TrafficPoint[]): string {
  const views = series.map((p) => chartValue(p.pageViews));
  const visitors = series.map((p) => chartValue(p.visitors));
  const max = niceMax(Math.max(0, ...views, ...visitors));
  const innerW = WIDTH - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) =>
    PAD.left + (series.length <= 1 ? innerW / 2 : (i / (series.length - 1)) * innerW);
  const y = (v: number) => PAD.top + innerH - (v / max) * innerH;
  const line = (values: number[]) =>
    values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const area =
    series.length === 0
      ? ''
      : `${x(0).toFixed(1)},${y(0).toFixed(1)} ${line(visitors)} ${x(series.length - 1).toFixed(1)},${y(0).toFixed(1)}`;
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const value = max * f;
      const gy = y(value).toFixed(1);
      return `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${gy}" y2="${gy}" stroke="#e5e7eb"/><text x="${PAD.left - 6}" y="${gy}" text-anchor="end" dominant-baseline="middle" font-size="11" fill="#6b7280">${Math.round(value)}</text>`;
    })
    .join('');
  const labelEvery = Math.max(1, Math.ceil(series.length / 8));
  const labels = series
    .map((p, i) =>
      i % labelEvery === 0
        ? `<text x="${x(i).toFixed(1)}" y="${HEIGHT - 8}" text-anchor="middle" font-size="11" fill="#6b7280">${escapeHtml(p.start.slice(5, 10))}</text>`
        : '',
    )
    .join('');
  return `<svg id="chart" role="img" aria-label="Visitors and page views over time" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" height="${HEIGHT}" xmlns="http://www.w3.org/2000/svg">
${grid}
<polygon points="${area}" fill="#c7d2fe" stroke="none"/>
<polyline points="${line(visitors)}" fill="none" stroke="#4f46e5" stroke-width="2"/>
<polyline points="${line(views)}" fill="none" stroke="#059669" stroke-width="2" stroke-dasharray="4 3"/>
${labels}
</svg>`;
}

import { type Html, escapeHtml, html, trusted } from './html.js';

export interface Series {
  name: string;
  /** A CSS class giving the line its colour (console.css). */
  cls: string;
  values: number[];
}

const W = 720;
const H = 240;
const PAD = { left: 40, right: 12, top: 12, bottom: 28 };

/**
 * A per-day line chart as inline SVG, drawn on the server: no script, no library. Every number in
 * the markup is computed here; labels go through the escaping template.
 */
export function lineChart(dates: string[], series: Series[], title: string): Html {
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const n = Math.max(dates.length, 1);
  const x = (i: number) => PAD.left + (n === 1 ? 0 : (i * (W - PAD.left - PAD.right)) / (n - 1));
  const y = (v: number) => PAD.top + (H - PAD.top - PAD.bottom) * (1 - v / max);
  const ticks = [0, Math.round(max / 2), max];
  const every = Math.max(1, Math.ceil(dates.length / 7));
  const grid = ticks
    .map(
      (t) =>
        `<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}"/>` +
        `<text class="axis" x="${PAD.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${t}</text>`,
    )
    .join('');
  const xLabels = dates
    .map((d, i) =>
      i % every === 0
        ? `<text class="axis" x="${x(i).toFixed(1)}" y="${H - 8}" text-anchor="middle">${escapeHtml(d.slice(5))}</text>`
        : '',
    )
    .join('');
  const lines = series
    .map((s) => {
      const points = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      return `<polyline class="line ${s.cls}" points="${points}"/>`;
    })
    .join('');
  return html`<figure class="chart">
<svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="chart-title" preserveAspectRatio="xMidYMid meet">
<title id="chart-title">${title}</title>
${trusted(grid + lines + xLabels)}
</svg>
<figcaption><ul class="legend">${series.map((s) => html`<li><span class="swatch ${s.cls}" aria-hidden="true"></span>${s.name}</li>`)}</ul></figcaption>
</figure>`;
}

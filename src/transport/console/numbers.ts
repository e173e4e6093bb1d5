import type { Hono } from 'hono';
import type { ConsoleEnv } from './context.js';
import { html } from './html.js';
import { emptyState, show } from './layout.js';
import { lineChart } from './chart.js';

interface Counts {
  sent: number;
  delivered: number;
  opened: number;
  clicked: number;
  replied: number;
  positive_replies: number;
  bounces: number;
  unsubscribes: number;
  hot_leads: number;
  escalations_opened: number;
  escalations_resolved: number;
}
interface Kpis {
  from: string;
  to: string;
  timezone: string;
  include_test: boolean;
  totals: Counts & { drafts_awaiting_approval: number };
  rates: { open_rate: number; click_rate: number; reply_rate: number; positive_rate: number; bounce_rate: number };
  series: (Counts & { date: string })[];
}

const PATH = '/console/numbers';
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const pct = (r: number) => `${(r * 100).toFixed(1)}%`;

const FIGURES: [keyof Kpis['totals'], string][] = [
  ['sent', 'Sent'],
  ['opened', 'Opened'],
  ['clicked', 'Clicked'],
  ['replied', 'Replied'],
  ['positive_replies', 'Positive replies'],
  ['hot_leads', 'Hot leads'],
  ['bounces', 'Bounces'],
  ['unsubscribes', 'Unsubscribes'],
  ['escalations_opened', 'Escalations opened'],
  ['escalations_resolved', 'Escalations resolved'],
  ['drafts_awaiting_approval', 'Awaiting approval (now)'],
];

export function mountNumbers(ui: Hono<ConsoleEnv>): void {
  ui.get('/numbers', async (c) => {
    const page = c.get('page');
    const from = DATE.test(c.req.query('from') ?? '') ? c.req.query('from') : undefined;
    const to = DATE.test(c.req.query('to') ?? '') ? c.req.query('to') : undefined;
    // Without dates, get_kpis answers for its own default range (the last 30 days, workspace time zone).
    const { kpis } = await page.call<{ kpis: Kpis }>('get_kpis', {
      workspace_id: page.workspace?.id,
      from,
      to,
      granularity: 'day',
      // A test workspace's own traffic is all it has: leaving it out would show only zeros.
      include_test: page.workspace?.is_test === true,
    });
    const t = kpis.totals;
    const nothing = FIGURES.every(([k]) => t[k] === 0);
    const body = html`<form method="get" class="filters">
  ${page.workspace ? html`<input type="hidden" name="ws" value="${page.workspace.slug}">` : ''}
  <label for="from">From</label><input id="from" name="from" type="date" value="${kpis.from.slice(0, 10)}">
  <label for="to">To</label><input id="to" name="to" type="date" value="${kpis.to.slice(0, 10)}">
  <button type="submit">Show</button>
</form>
<p class="meta">${kpis.from.slice(0, 10)} to ${kpis.to.slice(0, 10)}, ${kpis.timezone}${kpis.include_test ? ', test traffic included' : ''}.</p>
${
  nothing
    ? emptyState(
        'Nothing happened in this range yet.',
        'Import prospects (upsert_prospect or `switchboard seed`), let an agent draft emails, approve them on the Approvals page: sends, opens, clicks and replies are counted here.',
      )
    : ''
}
<dl class="figures">${FIGURES.map(([k, label]) => html`<div class="figure" data-kpi="${k}"><dt>${label}</dt><dd>${t[k]}</dd></div>`)}
<div class="figure"><dt>Open rate</dt><dd>${pct(kpis.rates.open_rate)}</dd></div>
<div class="figure"><dt>Reply rate</dt><dd>${pct(kpis.rates.reply_rate)}</dd></div>
<div class="figure"><dt>Positive rate</dt><dd>${pct(kpis.rates.positive_rate)}</dd></div>
</dl>
${lineChart(
  kpis.series.map((s) => s.date),
  [
    { name: 'Sent', cls: 's1', values: kpis.series.map((s) => s.sent) },
    { name: 'Opened', cls: 's2', values: kpis.series.map((s) => s.opened) },
    { name: 'Clicked', cls: 's3', values: kpis.series.map((s) => s.clicked) },
    { name: 'Replied', cls: 's4', values: kpis.series.map((s) => s.replied) },
    { name: 'Positive', cls: 's5', values: kpis.series.map((s) => s.positive_replies) },
  ],
  'Per day: sent, opened, clicked, replied, positive replies',
)}`;
    return show(c, 'Numbers', PATH, body);
  });
}

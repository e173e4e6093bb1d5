import type { Hono } from 'hono';
import { PROSPECT_STATUSES } from '../../domains/prospects/index.js';
import type { ConsoleEnv } from './context.js';
import { wsQuery } from './context.js';
import { action, field, text } from './forms.js';
import { html } from './html.js';
import { emptyState, formContext, show, when } from './layout.js';

interface Prospect {
  id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  company: string | null;
  title: string | null;
  status: string;
  tags: string[];
  created_at: string;
}
interface HistoryEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
  actor: { type: string; id: string };
  created_at: string;
}
interface Suppression {
  id: string;
  kind: string;
  value: string;
  reason: string;
  source: string;
  created_at: string;
}

const PATH = '/console/prospects';
const name = (p: Prospect) => [p.first_name, p.last_name].filter(Boolean).join(' ') || p.email;

/** The few fields of an event worth a glance; the rest stays in get_prospect_history. */
const eventSummary = (e: HistoryEvent) =>
  Object.entries(e.data)
    .filter(([k, v]) => !k.endsWith('_id') && v !== null && typeof v !== 'object')
    .slice(0, 4)
    .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${String(v)}`)
    .join(' · ');

export function mountProspects(ui: Hono<ConsoleEnv>): void {
  ui.get('/prospects', async (c) => {
    const page = c.get('page');
    const q = c.req.query('q')?.trim().slice(0, 200) || undefined;
    const status = PROSPECT_STATUSES.find((s) => s === c.req.query('status'));
    const { prospects, has_more } = await page.call<{ prospects: Prospect[]; has_more: boolean }>('list_prospects', {
      workspace_id: page.workspace?.id,
      q,
      status,
      limit: 100,
    });
    const back = `${PATH}${wsQuery(page)}`;
    const suppressions = page.can('suppression:read')
      ? (
          await page.call<{ suppressions: Suppression[] }>('list_suppressions', {
            workspace_id: page.workspace?.id,
            limit: 100,
          })
        ).suppressions
      : null;
    const body = html`<form method="get" class="filters" role="search">
  ${page.workspace ? html`<input type="hidden" name="ws" value="${page.workspace.slug}">` : ''}
  <label for="q">Search</label><input id="q" name="q" type="search" value="${q ?? ''}" placeholder="name, email, company">
  <label for="status">Status</label>
  <select id="status" name="status"><option value="">any</option>${PROSPECT_STATUSES.map(
    (s) => html`<option value="${s}"${s === status ? html` selected` : ''}>${s.replace(/_/g, ' ')}</option>`,
  )}</select>
  <button type="submit">Search</button>
</form>
${
  prospects.length
    ? html`<div class="table-wrap"><table>
<caption>${prospects.length}${has_more ? '+' : ''} prospects</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Company</th><th scope="col">Status</th><th scope="col">Added</th></tr></thead>
<tbody>${prospects.map(
        (p) =>
          html`<tr><td><a href="${PATH}/${p.id}${wsQuery(page)}">${name(p)}</a></td><td>${p.email}</td><td>${p.company ?? ''}</td><td>${p.status.replace(/_/g, ' ')}</td><td>${when(p.created_at)}</td></tr>`,
      )}</tbody></table></div>`
    : emptyState(
        q || status ? 'No prospect matches.' : 'No prospects yet.',
        'Add prospects with upsert_prospect (or POST /api/v1/prospects), or try the demo data: `switchboard seed`.',
      )
}
${
  suppressions
    ? html`<section aria-labelledby="sup-h"><h2 id="sup-h">Suppression list</h2>
${
  page.can('suppression:write')
    ? html`<form method="post" action="${PATH}/suppressions" class="inline">${formContext(page, back)}
  <label for="sup-email">Address or @domain</label><input id="sup-email" name="email" required maxlength="254" placeholder="jane@example.com or @example.com">
  <label for="sup-reason">Reason</label><input id="sup-reason" name="reason" required maxlength="500" placeholder="asked to be removed">
  <button type="submit">Suppress</button>
</form>`
    : ''
}
${
  suppressions.length
    ? html`<ul class="plain">${suppressions.map(
        (s) =>
          html`<li class="row"><span><strong>${s.value}</strong> · ${s.reason} · ${s.source} · ${when(s.created_at)}</span>${
            page.can('admin')
              ? html`<form method="post" action="${PATH}/suppressions/${s.id}/remove">${formContext(page, back)}<button type="submit">Remove</button></form>`
              : ''
          }</li>`,
      )}</ul>`
    : emptyState('Nobody is suppressed.', 'Unsubscribes, hard bounces and complaints are added automatically.')
}</section>`
    : ''
}`;
    return show(c, 'Prospects', PATH, body);
  });

  ui.get('/prospects/:id', async (c) => {
    const page = c.get('page');
    const args = { workspace_id: page.workspace?.id, prospect_id: c.req.param('id') };
    const { prospect } = await page.call<{ prospect: Prospect }>('get_prospect', args);
    const { events } = await page.call<{ events: HistoryEvent[] }>('get_prospect_history', { ...args, limit: 100 });
    const body = html`<p class="meta">${prospect.email}${prospect.company ? html` · ${prospect.company}` : ''}${prospect.title ? html` · ${prospect.title}` : ''} · ${prospect.status.replace(/_/g, ' ')}${prospect.tags.length ? html` · tags: ${prospect.tags.join(', ')}` : ''}</p>
<h2>Timeline</h2>
${
  events.length
    ? html`<ol class="timeline">${events.map(
        (e) =>
          html`<li><span class="event">${e.type}</span> ${when(e.created_at)} <span class="meta">by ${e.actor.type} ${e.actor.id}</span>${eventSummary(e) ? html`<br><span class="meta">${eventSummary(e)}</span>` : ''}</li>`,
      )}</ol>`
    : emptyState(
        'Nothing has happened with this prospect yet.',
        'Drafts, sends, opens, clicks and replies appear here.',
      )
}
<p><a href="${PATH}${wsQuery(page)}">All prospects</a></p>`;
    return show(c, name(prospect), PATH, body);
  });

  action(ui, '/prospects/suppressions', PATH, async (page, form) => {
    const { suppression, created } = await page.call<{ suppression: Suppression; created: boolean }>(
      'add_to_suppression_list',
      { workspace_id: field(form, 'workspace_id'), email: text(form, 'email'), reason: text(form, 'reason') },
    );
    return created ? `${suppression.value} is suppressed.` : `${suppression.value} was already suppressed.`;
  });
  action(ui, '/prospects/suppressions/:id/remove', PATH, async (page, form, c) => {
    const { suppression } = await page.call<{ suppression: Suppression }>('remove_suppression', {
      workspace_id: field(form, 'workspace_id'),
      suppression_id: c.req.param('id'),
    });
    return `${suppression.value} removed from the suppression list.`;
  });
}

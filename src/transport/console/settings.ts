import type { Hono } from 'hono';
import { AppError } from '../../kernel/errors.js';
import { SCOPES } from '../../domains/tenancy/index.js';
import type { ConsoleContext, ConsoleEnv, Page } from './context.js';
import { wsQuery } from './context.js';
import { action, field, text } from './forms.js';
import { html } from './html.js';
import { csrfField, emptyState, formContext, show, when } from './layout.js';

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  workspaces: 'all' | string[];
  status: string;
  created_at: string;
  last_used_at: string | null;
}
interface Webhook {
  id: string;
  url: string;
  description: string | null;
  events: string[] | null;
  enabled: boolean;
  disabled_reason: string | null;
}
interface Delivery {
  id: string;
  event_type: string;
  attempt: number;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  created_at: string;
}

const PATH = '/console/settings';

/** A new secret: shown in this answer only, never put in a URL, a cookie or a log. */
function secretPage(c: ConsoleContext, title: string, secret: string, keyId: string) {
  const page = c.get('page');
  return show(
    c,
    title,
    PATH,
    html`<div class="card secret" role="status">
  <p>Key <code>${keyId}</code>. Copy it now: it is not shown again.</p>
  <label for="secret">API key</label>
  <input id="secret" readonly value="${secret}" class="mono" data-select-on-focus>
</div>
<p><a href="${PATH}${wsQuery(page)}">Back to settings</a></p>`,
  );
}

const keyWorkspaces = (page: Page, k: ApiKey) =>
  k.workspaces === 'all'
    ? 'all workspaces'
    : k.workspaces.map((id) => page.workspaces.find((w) => w.id === id)?.slug ?? id).join(', ');

export function mountSettings(ui: Hono<ConsoleEnv>): void {
  ui.get('/settings', async (c) => {
    const page = c.get('page');
    if (!page.can('admin'))
      throw new AppError('forbidden', 'Settings need the admin scope, which this API key does not have');
    const { api_keys } = await page.call<{ api_keys: ApiKey[] }>('list_api_keys', {});
    const webhooks = page.workspace
      ? (await page.call<{ webhooks: Webhook[] }>('list_webhooks', { workspace_id: page.workspace.id })).webhooks
      : [];
    const back = `${PATH}${wsQuery(page)}`;
    const outreach = JSON.stringify(page.workspace?.settings.outreach ?? {}, null, 2);
    const body = html`
<section aria-labelledby="ws-h"><h2 id="ws-h">Workspaces</h2>
<div class="table-wrap"><table><thead><tr><th scope="col">Name</th><th scope="col">Slug</th><th scope="col">Time zone</th><th scope="col">Test</th></tr></thead>
<tbody>${page.workspaces.map((w) => html`<tr><td>${w.name}</td><td>${w.slug}</td><td>${w.timezone}</td><td>${w.is_test ? 'yes: nothing is really sent' : 'no'}</td></tr>`)}</tbody></table></div>
<form method="post" action="${PATH}/workspaces" class="inline">${formContext(page, back)}
  <label for="ws-new">New workspace</label><input id="ws-new" name="name" required maxlength="200">
  <label class="check"><input type="checkbox" name="is_test" value="true"> test workspace</label>
  <button type="submit">Create</button>
</form></section>

<section aria-labelledby="keys-h"><h2 id="keys-h">API keys</h2>
<div class="table-wrap"><table><thead><tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Scopes</th><th scope="col">Workspaces</th><th scope="col">Status</th><th scope="col">Last used</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
<tbody>${api_keys.map(
      (
        k,
      ) => html`<tr><td>${k.name}</td><td><code>${k.prefix}…</code></td><td>${k.scopes.join(', ')}</td><td>${keyWorkspaces(page, k)}</td><td>${k.status}</td><td>${when(k.last_used_at)}</td>
<td>${
        k.status === 'active'
          ? html`<form method="post" action="${PATH}/keys/${k.id}/rotate" class="inline">${csrfField(page)}<button type="submit">Rotate</button></form>
<form method="post" action="${PATH}/keys/${k.id}/revoke" class="inline">${formContext(page, back)}<button type="submit" class="danger">Revoke</button></form>`
          : ''
      }</td></tr>`,
    )}</tbody></table></div>
<form method="post" action="${PATH}/keys" class="card stack">${csrfField(page)}
  <h3>New key</h3>
  <label for="key-name">Name (who or what it is for)</label><input id="key-name" name="name" required maxlength="200" placeholder="Jane Doe (console)">
  <fieldset><legend>Scopes</legend><div class="scopes">${Object.entries(SCOPES).map(
    ([s, d]) => html`<label class="check" title="${d}"><input type="checkbox" name="scopes" value="${s}"> ${s}</label>`,
  )}<label class="check"><input type="checkbox" name="scopes" value="*"> * (everything)</label></div></fieldset>
  <fieldset><legend>Workspaces</legend><div class="scopes"><label class="check"><input type="checkbox" name="workspaces" value="all"> all, present and future</label>${page.workspaces.map(
    (w) => html`<label class="check"><input type="checkbox" name="workspaces" value="${w.id}"> ${w.name}</label>`,
  )}</div></fieldset>
  <button type="submit" class="primary">Create key</button>
</form></section>

${
  page.workspace
    ? html`<section aria-labelledby="out-h"><h2 id="out-h">Outreach settings of ${page.workspace.name}</h2>
<form method="post" action="${PATH}/outreach" class="stack">${formContext(page, back)}
  <label for="outreach">Settings (JSON: sender, daily_cap, min_gap_seconds, sending_window, personalization)</label>
  <textarea id="outreach" name="outreach" rows="10" class="mono">${outreach}</textarea>
  <button type="submit">Save outreach settings</button>
</form></section>

<section aria-labelledby="wh-h"><h2 id="wh-h">Webhook endpoints</h2>
${
  webhooks.length
    ? html`<ul class="plain">${webhooks.map(
        (
          w,
        ) => html`<li class="row"><span><strong>${w.url}</strong> · ${w.enabled ? 'enabled' : `disabled${w.disabled_reason ? `: ${w.disabled_reason}` : ''}`} · ${w.events ? w.events.join(', ') : 'every event'}</span>
<a href="${PATH}/webhooks/${w.id}${wsQuery(page)}">Delivery log</a></li>`,
      )}</ul>`
    : emptyState('No webhook endpoints.', 'Create one with create_webhook (POST /api/v1/webhooks) to receive events.')
}</section>`
    : ''
}`;
    return show(c, 'Settings', PATH, body);
  });

  ui.get('/settings/webhooks/:id', async (c) => {
    const page = c.get('page');
    const args = { workspace_id: page.workspace?.id, webhook_id: c.req.param('id') };
    const { webhook } = await page.call<{ webhook: Webhook }>('get_webhook', args);
    const { deliveries } = await page.call<{ deliveries: Delivery[] }>('list_webhook_deliveries', {
      ...args,
      limit: 100,
    });
    const body = html`<p class="meta">${webhook.url}</p>
${
  deliveries.length
    ? html`<div class="table-wrap"><table><thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Attempt</th><th scope="col">Status</th><th scope="col">Latency</th><th scope="col">Error</th></tr></thead>
<tbody>${deliveries.map(
        (d) =>
          html`<tr><td>${when(d.created_at)}</td><td>${d.event_type}</td><td>${d.attempt}</td><td>${d.status_code ?? '—'}</td><td>${d.latency_ms} ms</td><td>${d.error ?? ''}</td></tr>`,
      )}</tbody></table></div>`
    : emptyState('Nothing delivered yet.', 'Deliveries appear once an event this endpoint subscribes to happens.')
}
<p><a href="${PATH}${wsQuery(page)}">Back to settings</a></p>`;
    return show(c, 'Webhook deliveries', PATH, body);
  });

  action(ui, '/settings/workspaces', PATH, async (page, form) => {
    const { workspace } = await page.call<{ workspace: { name: string } }>('create_workspace', {
      name: text(form, 'name'),
      is_test: field(form, 'is_test') === 'true',
    });
    return `Workspace ${workspace.name} created.`;
  });
  action(ui, '/settings/keys/:id/revoke', PATH, async (page, _form, c) => {
    await page.call('revoke_api_key', { key_id: c.req.param('id') });
    return 'Key revoked.';
  });
  action(ui, '/settings/outreach', PATH, async (page, form) => {
    let outreach: unknown;
    try {
      outreach = JSON.parse(field(form, 'outreach') ?? '');
    } catch {
      throw new AppError('invalid_request', 'The outreach settings are not valid JSON');
    }
    await page.call('update_outreach_settings', { workspace_id: field(form, 'workspace_id'), outreach });
    return 'Outreach settings saved.';
  });

  // Creating and rotating answer with the page itself, not a redirect: the secret must not travel in a URL or a cookie.
  ui.post('/settings/keys', async (c) => {
    const page = c.get('page');
    const form = c.get('form');
    const workspaces = form.workspaces ?? [];
    const created = await page.call<{ api_key: ApiKey; secret: string }>('create_api_key', {
      name: text(form, 'name'),
      scopes: form.scopes ?? [],
      workspaces: workspaces.includes('all') ? 'all' : workspaces,
    });
    return secretPage(c, 'Key created', created.secret, created.api_key.id);
  });
  ui.post('/settings/keys/:id/rotate', async (c) => {
    const created = await c
      .get('page')
      .call<{ api_key: ApiKey; secret: string }>('rotate_api_key', { key_id: c.req.param('id') });
    return secretPage(c, 'Key rotated', created.secret, created.api_key.id);
  });
}

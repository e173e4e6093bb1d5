import { mkdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers } from '../../src/workers.js';
import { hashSecret } from '../../src/domains/tenancy/auth.js';
import { SinkSender } from '../../src/adapters/mail/sink.js';
import { SmtpSender } from '../../src/adapters/mail/smtp.js';
import { type RunningServer, startHttpServer } from '../../src/transport/http/server.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp } from '../helpers/app.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import { until } from '../helpers/wait.js';

// Debian's chromium, driven by playwright-core (which downloads no browser). `.ci/run` installs it.
const CHROMIUM = '/usr/bin/chromium';
const ARTEFACTS = path.resolve('test-artifacts/console');
// `SWITCHBOARD_CONSOLE_DOCS=1` also writes the README's screenshots (docs/console/, committed).
const DOCS = process.env.SWITCHBOARD_CONSOLE_DOCS === '1' ? path.resolve('docs/console') : null;
const WIDTHS = { laptop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;
const project = process.env.SWITCHBOARD_TEST_DB ?? 'pglite';

describe('console: a person signs in with a key and works the approvals, inbox and numbers in a real browser', () => {
  let smtp: SmtpSink;
  let t: TestApp;
  let server: RunningServer;
  let browser: Browser;
  let adminKey: string;
  let personKey: string;
  let readOnlyKey: string;
  let rivalKey: string;
  const drafts: Record<string, string> = {};
  const conversations: Record<string, string> = {};

  const api = async (method: string, url: string, key: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${url}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json();
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

  async function seed(ws: string, who: string, replies: number) {
    await api('PUT', `/workspaces/${ws}/outreach`, adminKey, {
      outreach: { sender: { email: 'sam@sender.example', name: 'Sam' }, daily_cap: 100, min_gap_seconds: 0 },
    });
    await api('POST', '/templates', adminKey, {
      workspace_id: ws,
      key: 'intro',
      name: 'Intro',
      category: 'email',
      subject: 'Hello {{prospect.first_name}}',
      body: 'Hi {{prospect.first_name}},\n\nA note for {{prospect.company | "your team"}}.\n\nSam',
    });
    for (const [i, first] of [`${who}A`, `${who}B`, '<b>Eve</b>'].entries()) {
      const { prospect } = await api('POST', '/prospects', adminKey, {
        workspace_id: ws,
        email: `${first.replace(/\W/g, '').toLowerCase()}${i}@${ws}.example`,
        first_name: first,
        company: `${who} Corp`,
      });
      const { draft } = await api('POST', '/drafts', adminKey, {
        workspace_id: ws,
        prospect_id: prospect.id,
        template_key: 'intro',
      });
      drafts[`${ws}:${i}`] = draft.id;
    }
    for (let i = 0; i < replies; i++) {
      const reply = await api('POST', '/replies', adminKey, {
        workspace_id: ws,
        from: `lead${i}@${ws}.example`,
        subject: `Re: ${who} offer`,
        body: `${who} reply ${i}: yes, interested, let's book a call next week <img src=x onerror=alert(1)>`,
      });
      conversations[`${ws}:${i}`] = reply.conversation_id;
    }
    await api('POST', '/escalations', adminKey, {
      workspace_id: ws,
      conversation_id: conversations[`${ws}:0`],
      reason: `${who} wants a human`,
      priority: 'high',
    });
  }

  async function signIn(key: string, viewport: { width: number; height: number } = WIDTHS.laptop): Promise<Page> {
    const context = await browser.newContext({ baseURL: server.url, viewport });
    const page = await context.newPage();
    await page.goto('/console');
    await expect(page.url()).toMatch(/\/console\/login$/);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/console\/(approvals|inbox|numbers|prospects|settings)/);
    return page;
  }

  const csrfOf = async (page: Page) => page.locator('input[name=_csrf]').first().inputValue();
  const figure = async (page: Page, kpi: string) => Number(await page.locator(`[data-kpi=${kpi}] dd`).textContent());

  beforeAll(async () => {
    mkdirSync(ARTEFACTS, { recursive: true });
    if (DOCS) mkdirSync(DOCS, { recursive: true });
    smtp = await startSmtpSink();
    t = await createTestApp(
      { allowedHosts: ['127.0.0.1', 'console.example'] },
      { mail: { live: new SmtpSender(smtp.url()), sink: new SinkSender() } },
    );
    await startWorkers(t.app);
    const org = await createOrg(t.app);
    const sales = await addWorkspace(t.app, org, 'sales');
    const rival = await addWorkspace(t.app, org, 'rival');
    adminKey = await addKey(t.app, org, ['*'], 'all');
    personKey = await addKey(
      t.app,
      org,
      [
        'workspaces:read',
        'drafts:read',
        'drafts:write',
        'drafts:approve',
        'prospects:read',
        'suppression:read',
        'suppression:write',
        'conversations:read',
        'replies:read',
        'replies:write',
        'escalations:read',
        'escalations:write',
        'escalations:resolve',
        'kpis:read',
      ],
      [sales],
    );
    // A key made for a person (`keys create --person`): what it does is recorded as that person's doing.
    await t.app.db
      .updateTable('api_keys')
      .set({ person: 'Jane Doe' })
      .where('secret_hash', '=', hashSecret(personKey))
      .execute();
    readOnlyKey = await addKey(
      t.app,
      org,
      ['workspaces:read', 'drafts:read', 'replies:read', 'conversations:read', 'escalations:read', 'kpis:read'],
      [sales],
    );
    rivalKey = await addKey(t.app, org, ['*'], [rival]);
    server = await startHttpServer(t.app, { port: 0 });
    await seed('sales', 'Sales', 1);
    await seed('rival', 'Rival', 2);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.close();
    await smtp?.stop();
  });

  it('signs in, approves a draft that reaches the SMTP server, resolves an escalation, and sees the numbers change', async () => {
    const page = await signIn(personKey);
    await page.goto('/console/numbers');
    const sentBefore = await figure(page, 'sent');

    await page.goto('/console/approvals');
    // Third-party text is shown as text: the prospect named <b>Eve</b> is not bold, the page holds no such element.
    await expect(page.getByText('<b>Eve</b>').first().isVisible()).resolves.toBe(true);
    expect(await page.locator('b', { hasText: 'Eve' }).count()).toBe(0);
    const card = page.locator(`article#${drafts['sales:0']}`);
    await expect(card.getByText('template intro').isVisible()).resolves.toBe(true);
    await card.getByRole('button', { name: 'Approve' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toMatch(/Approved "Hello SalesA"/);
    const mail = await until('the approved email at the SMTP server', () =>
      smtp.received.find((m) => m.to.includes('salesa0@sales.example')),
    );
    expect(mail.subject).toBe('Hello SalesA');
    const approvedBy = (
      await api(
        'GET',
        `/prospects/${(await api('GET', `/drafts/${drafts['sales:0']}?workspace_id=sales`, adminKey)).draft.prospect_id}/history?workspace_id=sales`,
        adminKey,
      )
    ).events.find((e: { type: string }) => e.type === 'draft.approved');
    expect(approvedBy.actor.type).toBe('person');

    // Approve several at once.
    await page.locator(`input[name=draft_id][value=${drafts['sales:1']}]`).check();
    await page.locator(`input[name=draft_id][value=${drafts['sales:2']}]`).check();
    await page.getByRole('button', { name: 'Approve selected' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toMatch(/Approved 2 drafts/);
    await until('both emails at the SMTP server', () => smtp.received.length >= 3);

    await page.goto('/console/inbox');
    // The reply's markup is text: no <img> from it reached the page.
    expect(await page.locator('img').count()).toBe(0);
    await expect(page.getByText('Sales wants a human').isVisible()).resolves.toBe(true);
    await page.getByLabel('Assignee').fill('jane');
    await page.getByRole('button', { name: 'Assign' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toMatch(/assigned to jane/);
    await page.getByLabel('Resolution').fill('Called back, meeting booked');
    await page.getByRole('button', { name: 'Resolve' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toBe('Escalation resolved.');
    await expect(page.getByText('No conversation waits for a person.').isVisible()).resolves.toBe(true);
    const escalations = await api('GET', '/escalations?workspace_id=sales', adminKey);
    expect(escalations.escalations[0]).toMatchObject({ status: 'resolved', resolution: 'Called back, meeting booked' });

    // The whole thread, and a correction of the label.
    await page.getByRole('link', { name: 'Whole thread' }).first().click();
    await page.waitForURL(/\/console\/inbox\/conversations\//);
    await expect(page.locator('.thread .msg').count()).resolves.toBeGreaterThan(0);
    await page.getByLabel('Label').selectOption('not_now');
    await page.getByRole('button', { name: 'Reclassify' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toBe('Reply reclassified as not now.');

    await until('the three sends recorded', async () => {
      await page.goto('/console/numbers');
      return (await figure(page, 'sent')) === sentBefore + 3;
    });
    expect(await page.locator('svg[role=img] polyline').count()).toBe(5);
  });

  it('takes screenshots of every page at laptop and phone widths', async () => {
    // Fresh work to show: two drafts awaiting approval and an open escalation.
    const { prospects } = await api('GET', '/prospects?workspace_id=sales', adminKey);
    for (const p of prospects.slice(0, 2))
      await api('POST', '/drafts', adminKey, { workspace_id: 'sales', prospect_id: p.id, template_key: 'intro' });
    await api('POST', '/escalations', adminKey, {
      workspace_id: 'sales',
      conversation_id: conversations['sales:0'],
      reason: 'Asks for a call on Thursday',
      priority: 'urgent',
    });
    for (const [width, viewport] of Object.entries(WIDTHS)) {
      const page = await signIn(adminKey, viewport);
      const pages = [
        'approvals',
        'inbox',
        'numbers',
        'prospects',
        'settings',
        `inbox/conversations/${conversations['sales:0']}`,
      ];
      for (const name of pages) {
        await page.goto(`/console/${name}?ws=sales`);
        const file = `${name.split('/')[0]}-${width}-${project}.png`;
        await page.screenshot({ path: path.join(ARTEFACTS, file), fullPage: true });
        if (DOCS && width === 'laptop' && project === 'pglite' && !name.includes('/'))
          await page.screenshot({ path: path.join(DOCS, `${name}.png`) });
      }
      // Nothing is wider than the phone's screen: the page never scrolls sideways.
      if (width === 'phone')
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
      await page.context().close();
    }
  });

  it('refuses a form posted without its CSRF token, and sets the session cookie HttpOnly, SameSite=Strict', async () => {
    const page = await signIn(personKey);
    const [cookie] = (await page.context().cookies()).filter((c) => c.name === 'sb_console');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console', secure: false });
    // The cookie holds no key: it is sealed.
    expect(cookie!.value).not.toContain(personKey);
    expect(cookie!.value).not.toContain(personKey.slice(0, 12));

    const draft = drafts['rival:0']!; // any id: the token is checked before anything else
    const refused = await page.request.post(`/console/approvals/${draft}/approve`, {
      form: { workspace_id: 'sales' },
      maxRedirects: 0,
    });
    expect(refused.status()).toBe(403);
    const forged = await page.request.post(`/console/approvals/${draft}/approve`, {
      form: { workspace_id: 'sales', _csrf: 'x'.repeat(32) },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
  });

  it('marks the cookie Secure when the console is reached by a name other than loopback', async () => {
    const pre = await new Promise<string[]>((resolve, reject) => {
      const req = httpRequest(`${server.url}/console/login`, { headers: { host: 'console.example' } }, (res) => {
        res.resume();
        resolve(res.headers['set-cookie'] ?? []);
      });
      req.on('error', reject);
      req.end();
    });
    expect(pre.join('\n')).toMatch(/sb_console_pre=[^;]+;.*Secure/);
    expect(pre.join('\n')).toMatch(/HttpOnly/);
    expect(pre.join('\n')).toMatch(/SameSite=Strict/);
  });

  it('shows a read-only key no approve button and refuses its POST', async () => {
    const page = await signIn(readOnlyKey);
    await page.goto('/console/approvals');
    await page.goto('/console/inbox');
    expect(await page.getByRole('button', { name: 'Resolve' }).count()).toBe(0);
    const { draft } = await api('POST', '/drafts', adminKey, {
      workspace_id: 'sales',
      prospect_id: (await api('GET', `/drafts/${drafts['sales:0']}?workspace_id=sales`, adminKey)).draft.prospect_id,
      template_key: 'intro',
    });
    await page.goto('/console/approvals');
    await expect(page.locator(`article#${draft.id}`).isVisible()).resolves.toBe(true);
    expect(await page.getByRole('button', { name: /Approve/ }).count()).toBe(0);
    const refused = await page.request.post(`/console/approvals/${draft.id}/approve`, {
      form: { workspace_id: 'sales', _csrf: await csrfOf(page) },
      maxRedirects: 0,
    });
    expect(refused.status()).toBe(403);
    expect((await api('GET', `/drafts/${draft.id}?workspace_id=sales`, adminKey)).draft.status).toBe(
      'pending_approval',
    );
    // Settings need admin.
    expect((await page.goto('/console/settings'))!.status()).toBe(403);
  });

  it("never shows a key another workspace's drafts, replies or numbers", async () => {
    const sales = await signIn(personKey);
    for (const ws of ['', '?ws=rival']) {
      await sales.goto(`/console/approvals${ws}`);
      expect(await sales.content()).not.toContain('Rival');
      await sales.goto(`/console/inbox${ws}`);
      expect(await sales.content()).not.toContain('Rival');
      await sales.goto(`/console/prospects${ws}`);
      expect(await sales.content()).not.toContain('Rival');
    }
    // Ids of the other workspace answer like ids that do not exist.
    expect((await sales.goto(`/console/inbox/conversations/${conversations['rival:0']}?ws=rival`))!.status()).toBe(404);
    const rivalDraft = drafts['rival:1']!;
    await sales.goto('/console/approvals');
    await sales.request.post(`/console/approvals/${rivalDraft}/approve`, {
      form: { workspace_id: 'rival', _csrf: await csrfOf(sales) },
    });
    expect((await api('GET', `/drafts/${rivalDraft}?workspace_id=rival`, adminKey)).draft.status).toBe(
      'pending_approval',
    );

    // Numbers: each key's page shows its own workspace's figures, as get_kpis answers them.
    const rival = await signIn(rivalKey);
    for (const [page, key] of [
      [sales, personKey],
      [rival, rivalKey],
    ] as const) {
      await page.goto('/console/numbers');
      const { kpis } = await api('GET', '/kpis', key);
      expect(await figure(page, 'replied')).toBe(kpis.totals.replied);
      expect(await figure(page, 'drafts_awaiting_approval')).toBe(kpis.totals.drafts_awaiting_approval);
    }
    await sales.goto('/console/numbers');
    await rival.goto('/console/numbers');
    expect([await figure(sales, 'replied'), await figure(rival, 'replied')]).toEqual([1, 2]);
    await rival.goto('/console/approvals');
    expect(await rival.content()).not.toContain('SalesA');
  });

  it('creates a key on the Settings page, shows its secret once, and revokes it', async () => {
    const page = await signIn(adminKey);
    await page.goto('/console/settings?ws=sales');
    await page.getByLabel('Name (who or what it is for)').fill('Robin (console)');
    await page.locator('input[name=scopes][value="drafts:read"]').check();
    await page.locator('input[name=scopes][value="workspaces:read"]').check();
    await page.locator('input[name=workspaces][value=all]').check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = await page.getByLabel('API key').inputValue();
    expect(secret).toMatch(/^sb_/);
    // Shown in the answer only: not in the URL, and not kept for the next page.
    expect(page.url()).not.toContain(secret);
    const me = await fetch(`${server.url}/api/v1/workspaces`, { headers: { Authorization: `Bearer ${secret}` } });
    expect(me.status).toBe(200);
    await page.goto('/console/settings?ws=sales');
    expect(await page.content()).not.toContain(secret);
    await page
      .getByRole('row', { name: /Robin \(console\)/ })
      .getByRole('button', { name: 'Revoke' })
      .click();
    await expect(page.getByRole('status').textContent()).resolves.toBe('Key revoked.');
    const gone = await fetch(`${server.url}/api/v1/workspaces`, { headers: { Authorization: `Bearer ${secret}` } });
    expect(gone.status).toBe(401);
  });

  it('signs out, and a revoked key ends its session', async () => {
    const page = await signIn(personKey);
    await page.getByRole('button', { name: /Sign out/ }).click();
    await page.waitForURL(/\/console\/login$/);
    await page.goto('/console/approvals');
    expect(page.url()).toMatch(/\/console\/login$/);

    const { secret, api_key } = await api('POST', '/keys', adminKey, {
      name: 'short-lived',
      scopes: ['drafts:read', 'workspaces:read'],
      workspaces: 'all',
    });
    const again = await signIn(secret);
    await api('POST', `/keys/${api_key.id}/revoke`, adminKey);
    await again.goto('/console/approvals');
    expect(again.url()).toMatch(/\/console\/login$/);
  });
});

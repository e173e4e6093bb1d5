import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers } from '../../src/workers.js';
import { SinkSender } from '../../src/adapters/mail/sink.js';
import { SmtpSender } from '../../src/adapters/mail/smtp.js';
import { type RunningServer, startHttpServer } from '../../src/transport/http/server.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp } from '../helpers/app.js';
import { type FakeAnthropicServer, startFakeAnthropic } from '../helpers/fake-anthropic.js';
import { callErr, callOk, connectHttp } from '../helpers/mcp.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import { until } from '../helpers/wait.js';

const PUBLIC_URL = 'http://switchboard.test';

describe('outreach end to end: an agent drafts over MCP, a human approves over REST, the email reaches a real SMTP server', () => {
  let smtp: SmtpSink;
  let claude: FakeAnthropicServer;
  let t: TestApp;
  let server: RunningServer;
  let sink: SinkSender;
  let agent: Client;
  let agentKey: string;
  let humanKey: string;
  let adminKey: string;

  const api = async (method: string, path: string, key: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: await res.json() };
  };
  /** True once no send of this draft waits, retries or runs (pg-boss's states before `completed`): nothing more of it can reach SMTP. */
  const sendSettled = async (draftId: string) => {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pgboss.job where name = 'outreach.send' and data->>'draft_id' = ${draftId} and state < 'completed'
    `.execute(t.app.db);
    return rows[0]!.n === 0;
  };
  /** A link as printed in the email, followed on the test server. */
  const local = (url: string) => url.replace(PUBLIC_URL, server.url);

  beforeAll(async () => {
    smtp = await startSmtpSink();
    claude = await startFakeAnthropic();
    claude.respond(() => ({
      tool_input: {
        subject: 'Ada, a quick idea for Analytical Engines',
        body: 'Hi Ada,\n\nOur pricing is at https://example.com/pricing.\n\nBest,\nSam',
      },
    }));
    sink = new SinkSender();
    t = await createTestApp(
      {
        publicUrl: PUBLIC_URL,
        anthropic: claude.config,
      },
      { mail: { live: new SmtpSender(smtp.url()), sink } },
    );
    await startWorkers(t.app);
    const org = await createOrg(t.app);
    const sales = await addWorkspace(t.app, org, 'sales');
    const sandbox = await addWorkspace(t.app, org, 'sandbox', true);
    agentKey = await addKey(
      t.app,
      org,
      ['prospects:read', 'prospects:write', 'templates:read', 'drafts:read', 'drafts:write', 'suppression:read'],
      [sales, sandbox],
    );
    humanKey = await addKey(t.app, org, ['drafts:read', 'drafts:approve'], [sales, sandbox]);
    adminKey = await addKey(t.app, org, ['*'], 'all');
    server = await startHttpServer(t.app, { port: 0 });
    agent = await connectHttp(server.url, agentKey);
    for (const ws of ['sales', 'sandbox']) {
      const outreach = {
        sender: { email: 'sam@sender.example', name: 'Sam' },
        daily_cap: 10,
        min_gap_seconds: 0,
        personalization: { enabled: ws === 'sales', tone: 'warm', max_words: 120 },
      };
      expect((await api('PUT', `/workspaces/${ws}/outreach`, adminKey, { outreach })).status).toBe(200);
      const template = {
        workspace_id: ws,
        key: 'intro',
        name: 'Intro',
        category: 'email',
        subject: 'Hello {{prospect.first_name}}',
        body: 'Hi {{prospect.first_name}},\n\nA note for {{prospect.company | "your team"}}: https://example.com/pricing\n\nSam',
      };
      expect((await api('POST', '/templates', adminKey, template)).status).toBe(201);
    }
  });
  afterAll(async () => {
    await agent?.close();
    await server?.close();
    await t?.close();
    await claude?.close();
    await smtp?.stop();
  });

  it('drafts with Claude, waits for approval, sends once with unsubscribe and tracking links, and records it all', async () => {
    const { prospect } = await callOk(agent, 'upsert_prospect', {
      workspace_id: 'sales',
      email: 'ada@example.com',
      first_name: 'Ada',
      company: 'Analytical Engines',
    });
    const { draft } = await callOk(agent, 'create_draft', {
      workspace_id: 'sales',
      prospect_id: prospect.id,
      template_key: 'intro',
    });
    expect(draft).toMatchObject({
      status: 'pending_approval',
      subject: 'Ada, a quick idea for Analytical Engines',
      provenance: { template_key: 'intro', personalized: true },
    });
    expect(draft.provenance.prompt_hash).toMatch(/^[0-9a-f]{64}$/);
    // Claude was given the rendered template and only the known facts.
    const sent = JSON.stringify(claude.requests.at(-1)!.body);
    expect(sent).toContain('Analytical Engines');
    expect(sent).toContain('Hi Ada');

    // The agent's key proposes but cannot approve.
    await expect(
      agent.callTool({ name: 'approve_draft', arguments: { workspace_id: 'sales', draft_id: draft.id } }),
    ).rejects.toThrow(/Unknown tool/);
    expect(smtp.received).toHaveLength(0);

    const approved = await api('POST', `/drafts/${draft.id}/approve?workspace_id=sales`, humanKey);
    expect(approved.status).toBe(200);
    expect(approved.body.draft.status).toBe('approved');
    const mail = await until('the email at the SMTP server', async () =>
      smtp.received.find((m) => m.to.includes('ada@example.com')),
    );
    expect(mail.subject).toBe('Ada, a quick idea for Analytical Engines');
    expect(mail.from).toBe('sam@sender.example');
    expect(mail.text).toContain('Our pricing is at https://example.com/pricing.');
    const unsubscribe = mail.headers['list-unsubscribe']!.match(/<([^>]+)>/)![1]!;
    expect(unsubscribe).toMatch(new RegExp(`^${PUBLIC_URL}/u/[0-9a-z]+$`));
    expect(mail.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    const click = mail.html!.match(/href="([^"]+\/t\/c\/[^"]+)"/)![1]!;
    const pixel = mail.html!.match(/src="([^"]+\.gif)"/)![1]!;

    const done = await until('the draft marked sent', async () => {
      const d = (await api('GET', `/drafts/${draft.id}?workspace_id=sales`, humanKey)).body.draft;
      return d.status === 'sent' && d;
    });
    expect(done.sent_at).toBeTruthy();

    const open = await fetch(local(pixel));
    expect(open.headers.get('content-type')).toBe('image/gif');
    const redirect = await fetch(local(click), { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('https://example.com/pricing');
    const forged = await fetch(local(click).replace(/\/0$/, '/7'), { redirect: 'manual' });
    expect(forged.status).toBe(404);

    const oneClick = await fetch(local(unsubscribe), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    expect(
      (await callOk(agent, 'check_suppression', { workspace_id: 'sales', email: 'ada@example.com' })).suppressed,
    ).toBe(true);

    const history = await callOk(agent, 'get_prospect_history', { workspace_id: 'sales', prospect_id: prospect.id });
    expect(history.events.map((e: { type: string }) => e.type)).toEqual([
      'prospect.created',
      'draft.created',
      'draft.approved',
      'email.sent',
      'email.opened',
      'email.clicked',
      'suppression.added',
      'email.unsubscribed',
    ]);
    // Exactly one message, however the job ran: counted once its send job can run no more.
    await until('the send job to finish', () => sendSettled(draft.id));
    expect(smtp.received.filter((m) => m.to.includes('ada@example.com'))).toHaveLength(1);
  });

  it('refuses drafts and approvals for suppressed addresses', async () => {
    const { prospect } = await callOk(agent, 'upsert_prospect', {
      workspace_id: 'sales',
      email: 'grace@example.com',
      first_name: 'Grace',
    });
    const { draft } = await callOk(agent, 'create_draft', {
      workspace_id: 'sales',
      prospect_id: prospect.id,
      template_key: 'intro',
    });
    await api('POST', '/suppressions', adminKey, {
      workspace_id: 'sales',
      email: '@example.com',
      reason: 'whole domain opted out',
    });
    const approve = await api('POST', `/drafts/${draft.id}/approve?workspace_id=sales`, humanKey);
    expect(approve.status).toBe(422);
    expect(approve.body.error.code).toBe('suppressed');
    expect(
      await callErr(agent, 'create_draft', { workspace_id: 'sales', prospect_id: prospect.id, template_key: 'intro' }),
    ).toMatch(/^suppressed: /);
    expect((await api('GET', `/drafts/${draft.id}?workspace_id=sales`, humanKey)).body.draft.status).toBe(
      'pending_approval',
    );
  });

  it('never reaches SMTP from an is_test workspace, yet goes through every step', async () => {
    const before = smtp.received.length;
    const { prospect } = await callOk(agent, 'upsert_prospect', {
      workspace_id: 'sandbox',
      email: 'test-person@sandbox.example',
      first_name: 'Tess',
    });
    const { draft } = await callOk(agent, 'create_draft', {
      workspace_id: 'sandbox',
      prospect_id: prospect.id,
      template_key: 'intro',
    });
    expect(draft.provenance.personalized).toBe(false);
    expect(draft.body).toContain('A note for your team');
    expect((await api('POST', `/drafts/${draft.id}/approve?workspace_id=sandbox`, humanKey)).status).toBe(200);
    await until('the sink to receive it', async () => sink.messagesTo('test-person@sandbox.example')[0]);
    // The event is recorded after the sink accepted the message, in the transaction that marks the draft sent.
    const sentEvent = await until('the email.sent event', async () => {
      const history = await callOk(agent, 'get_prospect_history', {
        workspace_id: 'sandbox',
        prospect_id: prospect.id,
      });
      return history.events.find((e: { type: string }) => e.type === 'email.sent');
    });
    expect(sentEvent).toMatchObject({ is_test: true, data: { provider: 'sink' } });
    expect(smtp.received.length).toBe(before);
  });

  it('lets a human edit or reject a pending draft, and only a pending one', async () => {
    const { prospect } = await callOk(agent, 'upsert_prospect', {
      workspace_id: 'sandbox',
      email: 'edit-me@sandbox.example',
      first_name: 'Ed',
    });
    const { draft } = await callOk(agent, 'create_draft', {
      workspace_id: 'sandbox',
      prospect_id: prospect.id,
      template_key: 'intro',
    });
    const edited = await callOk(agent, 'update_draft', {
      workspace_id: 'sandbox',
      draft_id: draft.id,
      subject: 'Edited subject',
    });
    expect(edited.draft.subject).toBe('Edited subject');
    const rejected = await api('POST', `/drafts/${draft.id}/reject?workspace_id=sandbox`, humanKey, {
      reason: 'wrong person',
    });
    expect(rejected.body.draft).toMatchObject({ status: 'rejected', rejection_reason: 'wrong person' });
    expect(
      await callErr(agent, 'update_draft', { workspace_id: 'sandbox', draft_id: draft.id, body: 'again' }),
    ).toMatch(/^conflict: /);
    expect((await api('POST', `/drafts/${draft.id}/approve?workspace_id=sandbox`, humanKey)).status).toBe(409);
    const listed = await callOk(agent, 'list_drafts', { workspace_id: 'sandbox', status: 'rejected' });
    expect(listed.drafts.map((d: { id: string }) => d.id)).toEqual([draft.id]);
  });

  it('surfaces a Claude outage as upstream_error and creates no half-made draft', async () => {
    const { prospect } = await callOk(agent, 'upsert_prospect', {
      workspace_id: 'sales',
      email: 'outage@example.org',
      first_name: 'Otto',
    });
    claude.failNext(10, 529);
    const error = await callErr(agent, 'create_draft', {
      workspace_id: 'sales',
      prospect_id: prospect.id,
      template_key: 'intro',
    });
    expect(error).toMatch(/^upstream_error: /);
    expect(error).not.toContain(claude.apiKey);
    expect((await callOk(agent, 'list_drafts', { workspace_id: 'sales', prospect_id: prospect.id })).drafts).toEqual(
      [],
    );
    claude.failNext(0, 500);
  });

  it('reports a missing template variable by name', async () => {
    await api('POST', '/templates', adminKey, {
      workspace_id: 'sandbox',
      key: 'needs-vars',
      name: 'Vars',
      category: 'email',
      subject: 'About {{topic}}',
      body: '{{greeting}} {{prospect.first_name}}',
    });
    const { prospect } = await callOk(agent, 'upsert_prospect', {
      workspace_id: 'sandbox',
      email: 'vars@sandbox.example',
      first_name: 'Val',
    });
    const error = await callErr(agent, 'create_draft', {
      workspace_id: 'sandbox',
      prospect_id: prospect.id,
      template_key: 'needs-vars',
    });
    expect(error).toMatch(/^invalid_request: /);
    expect(error).toContain('topic');
    expect(error).toContain('greeting');
  });
});

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers } from '../../src/workers.js';
import { SinkSender } from '../../src/adapters/mail/sink.js';
import { SmtpSender } from '../../src/adapters/mail/smtp.js';
import { type RunningServer, startHttpServer } from '../../src/transport/http/server.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp } from '../helpers/app.js';
import { callOk, connectHttp } from '../helpers/mcp.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import { until } from '../helpers/wait.js';

/**
 * The loop closed: an email goes out, a reply comes back over REST, is threaded to it, classified,
 * acted on, and a hot lead reaches a person through an escalation an agent sees over MCP.
 */
describe('replies and escalation end to end', () => {
  let smtp: SmtpSink;
  let t: TestApp;
  let server: RunningServer;
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

  /** Sends an outreach email to `email` and returns the prospect, the draft and the Message-ID it went out with. */
  const sendTo = async (email: string, first_name: string) => {
    const { prospect } = (await api('POST', '/prospects', adminKey, { workspace_id: 'sales', email, first_name })).body;
    const { draft } = (
      await api('POST', '/drafts', adminKey, { workspace_id: 'sales', prospect_id: prospect.id, template_key: 'intro' })
    ).body;
    expect((await api('POST', `/drafts/${draft.id}/approve?workspace_id=sales`, adminKey)).status).toBe(200);
    const mail = await until('the email at the SMTP server', async () =>
      smtp.received.find((m) => m.to.includes(email)),
    );
    return { prospect, draft, messageId: mail.headers['message-id']! };
  };

  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestApp(
      { publicUrl: 'http://switchboard.test' },
      { mail: { live: new SmtpSender(smtp.url()), sink: new SinkSender() } },
    );
    await startWorkers(t.app);
    const org = await createOrg(t.app);
    const sales = await addWorkspace(t.app, org, 'sales');
    agentKey = await addKey(
      t.app,
      org,
      ['conversations:read', 'replies:read', 'escalations:read', 'escalations:write', 'prospects:read'],
      [sales],
    );
    humanKey = await addKey(t.app, org, ['escalations:read', 'escalations:resolve', 'replies:write'], [sales]);
    adminKey = await addKey(t.app, org, ['*'], 'all');
    server = await startHttpServer(t.app, { port: 0 });
    agent = await connectHttp(server.url, agentKey);
    const outreach = { sender: { email: 'sam@sender.example', name: 'Sam' }, daily_cap: 100, min_gap_seconds: 0 };
    expect((await api('PUT', '/workspaces/sales/outreach', adminKey, { outreach })).status).toBe(200);
    const escalations = { notify_email: 'desk@sender.example' };
    expect((await api('PUT', '/workspaces/sales/escalations', adminKey, { escalations })).status).toBe(200);
    const template = {
      workspace_id: 'sales',
      key: 'intro',
      name: 'Intro',
      category: 'email',
      subject: 'Hello',
      body: 'Hi {{prospect.first_name}}',
    };
    expect((await api('POST', '/templates', adminKey, template)).status).toBe(201);
  });
  afterAll(async () => {
    await agent?.close();
    await server?.close();
    await t?.close();
    await smtp?.stop();
  });

  it('threads a hot reply to the email it answers, escalates it, and an agent sees it in the inbox', async () => {
    const { prospect, draft, messageId } = await sendTo('ada@example.com', 'Ada');
    const pending = (
      await api('POST', '/drafts', adminKey, { workspace_id: 'sales', prospect_id: prospect.id, template_key: 'intro' })
    ).body.draft;

    const reply = {
      workspace_id: 'sales',
      from: 'Ada@Example.com',
      subject: 'Re: Hello',
      body: `Sounds great, I'm interested.\n\nOn Mon, Sam wrote:\n> Hi Ada`,
      message_id: '<reply-1@example.com>',
      in_reply_to: messageId,
      received_at: '2026-12-01T09:00:00Z',
    };
    const created = await api('POST', '/replies', humanKey, reply);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      prospect_id: prospect.id,
      draft_id: draft.id,
      from: 'ada@example.com',
      message_id: 'reply-1@example.com',
      via: 'api',
      created: true,
      classification: { hot: true, model: 'offline', corrected_by: null },
    });
    expect(created.body.body).toMatch(/^<third_party_content>\n[\s\S]*\n<\/third_party_content>$/);

    // The same message again is stored once.
    const again = await api('POST', '/replies', humanKey, reply);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: created.body.id, created: false });
    expect((await callOk(agent, 'list_replies', { prospect_id: prospect.id })).replies).toHaveLength(1);

    const inbox = await callOk(agent, 'list_escalations', { status: 'open' });
    expect(inbox.escalations).toHaveLength(1);
    const escalation = inbox.escalations[0];
    expect(escalation).toMatchObject({
      conversation_id: created.body.conversation_id,
      prospect_id: prospect.id,
      priority: 'high',
      opened_by: { type: 'key' },
    });
    const full = await callOk(agent, 'get_escalation', { escalation_id: escalation.id });
    expect(full.conversation.status).toBe('escalated');
    expect(full.messages.map((m: { direction: string }) => m.direction)).toEqual(['outbound', 'inbound']);
    expect(full.messages[0].message_id).toBe(messageId.replace(/^<|>$/g, ''));

    // The notification reached the workspace's address, without the reply's text.
    const note = await until('the escalation notification', async () =>
      smtp.received.find((m) => m.to.includes('desk@sender.example')),
    );
    expect(note.text).toContain(escalation.id);
    expect(note.text).not.toContain('Sounds great');

    // The prospect replied: its status says so and the draft waiting for approval is flagged.
    expect((await callOk(agent, 'get_prospect', { prospect_id: prospect.id })).prospect.status).toBe('replied');
    const flagged = (await api('GET', `/drafts/${pending.id}?workspace_id=sales`, adminKey)).body.draft;
    expect(flagged.attention).toContain(created.body.id);

    const history = await callOk(agent, 'get_prospect_history', { prospect_id: prospect.id, limit: 100 });
    const types = history.events.map((e: { type: string }) => e.type);
    for (const type of [
      'email.sent',
      'reply.received',
      'reply.classified',
      'hot_lead.detected',
      'conversation.escalated',
    ])
      expect(types).toContain(type);

    // Escalating again raises the priority and keeps both reasons; the agent may not resolve.
    const raised = await callOk(agent, 'escalate_to_human', {
      conversation_id: created.body.conversation_id,
      reason: 'They asked for pricing in writing',
    });
    expect(raised).toMatchObject({ created: false, escalation: { id: escalation.id, priority: 'urgent' } });
    expect(raised.escalation.reasons).toHaveLength(2);
    await expect(
      agent.callTool({ name: 'resolve_escalation', arguments: { escalation_id: escalation.id, resolution: 'x' } }),
    ).rejects.toThrow(/Unknown tool/);

    const resolved = await api('POST', `/escalations/${escalation.id}/resolve?workspace_id=sales`, humanKey, {
      resolution: 'Called her; demo booked',
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body.escalation).toMatchObject({ status: 'resolved', resolved_by: { type: 'key' } });
    expect(
      (await callOk(agent, 'get_conversation', { conversation_id: escalation.conversation_id })).conversation.status,
    ).toBe('open');
    const twice = await api('POST', `/escalations/${escalation.id}/resolve?workspace_id=sales`, humanKey, {
      resolution: 'again',
    });
    expect(twice.status).toBe(409);
  });

  it('an unsubscribe reply suppresses the address and marks the prospect', async () => {
    const { prospect, messageId } = await sendTo('bob@example.com', 'Bob');
    const res = await api('POST', '/replies', humanKey, {
      workspace_id: 'sales',
      from: 'bob@example.com',
      body: 'Please unsubscribe me from this list.',
      in_reply_to: messageId,
    });
    expect(res.status).toBe(201);
    expect(res.body.classification.label).toBe('unsubscribe');
    expect(
      (await api('GET', '/suppressions/check?workspace_id=sales&email=bob@example.com', adminKey)).body.suppressed,
    ).toBe(true);
    expect((await callOk(agent, 'get_prospect', { prospect_id: prospect.id })).prospect.status).toBe('unsubscribed');
  });

  it('a correction is kept with who made it and runs the effects of the new label', async () => {
    const { prospect, messageId } = await sendTo('cy@example.com', 'Cy');
    const res = await api('POST', '/replies', humanKey, {
      workspace_id: 'sales',
      from: 'cy@example.com',
      body: 'Thanks for your note.',
      in_reply_to: messageId,
    });
    const fixed = await api('POST', `/replies/${res.body.id}/reclassify?workspace_id=sales`, humanKey, {
      label: 'out_of_office',
      return_date: '2027-01-04',
    });
    expect(fixed.body).not.toHaveProperty('error');
    expect(fixed.status).toBe(200);
    expect(fixed.body.classification).toMatchObject({
      label: 'out_of_office',
      return_date: '2027-01-04',
      model: 'human',
      corrected_by: { type: 'key' },
    });
    expect((await callOk(agent, 'get_prospect', { prospect_id: prospect.id })).prospect.snoozed_until).toBe(
      '2027-01-04',
    );
    const read = await callOk(agent, 'get_reply_classification', { reply_id: res.body.id });
    expect(read.classification.label).toBe('out_of_office');
  });

  it('a reply from an unknown sender is stored with no prospect; bad input changes nothing', async () => {
    const res = await api('POST', '/replies', humanKey, {
      workspace_id: 'sales',
      from: 'stranger@elsewhere.example',
      body: 'Who are you?',
    });
    expect(res.status).toBe(201);
    expect(res.body.prospect_id).toBeNull();
    const before = (await callOk(agent, 'list_replies', { limit: 100 })).replies.length;
    const bad = await api('POST', '/replies', humanKey, { workspace_id: 'sales', from: 'not an address', body: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
    expect((await callOk(agent, 'list_replies', { limit: 100 })).replies.length).toBe(before);
  });
});

import { readFileSync } from 'node:fs';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SinkSender } from '../../src/adapters/mail/sink.js';
import { SmtpSender } from '../../src/adapters/mail/smtp.js';
import { type RunningServer, startHttpServer } from '../../src/transport/http/server.js';
import { startWorkers } from '../../src/workers.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp } from '../helpers/app.js';
import { type Dovecot, startDovecot } from '../helpers/dovecot.js';
import { callOk, connectHttp } from '../helpers/mcp.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import { until } from '../helpers/wait.js';

/** A fixture with the ids of the emails it answers replaced by the ones really sent. */
const fixture = (name: string, replace: Record<string, string> = {}) =>
  Object.entries(replace).reduce(
    (raw, [from, to]) => raw.replaceAll(from, to),
    readFileSync(new URL(`../fixtures/mail/${name}`, import.meta.url), 'utf8'),
  );
const bare = (id: string) => id.replace(/^<|>$/g, '');

/**
 * Raw replies coming back through the inbound hook and from a real IMAP mailbox (Dovecot): threaded
 * to the email they answer, classified, acted on, and a hot one seen by an agent in the inbox.
 */
describe('inbound mail end to end: the raw-MIME hook and IMAP polling', () => {
  let smtp: SmtpSink;
  let dovecot: Dovecot;
  let t: TestApp;
  let server: RunningServer;
  let agent: Client;
  let adminKey: string;
  let hookPath: string;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${adminKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: await res.json() };
  };
  const postRaw = async (raw: string, type = 'message/rfc822') => {
    const res = await fetch(`${server.url}${hookPath}`, {
      method: 'POST',
      body: raw,
      headers: { 'content-type': type },
    });
    return { status: res.status, body: await res.json() };
  };
  /** Sends an outreach email and returns the prospect, the draft and the Message-ID it went out with. */
  const sendTo = async (email: string) => {
    const { prospect } = (await api('POST', '/prospects', { workspace_id: 'sales', email, first_name: 'X' })).body;
    const { draft } = (
      await api('POST', '/drafts', { workspace_id: 'sales', prospect_id: prospect.id, template_key: 'intro' })
    ).body;
    expect((await api('POST', `/drafts/${draft.id}/approve?workspace_id=sales`)).status).toBe(200);
    const mail = await until(`the email to ${email}`, async () => smtp.received.find((m) => m.to.includes(email)));
    // The SMTP server has the email before the send job records its Message-ID: a reply threads only after that.
    await until(
      `the draft to ${email} to be recorded as sent`,
      async () => (await api('GET', `/drafts/${draft.id}?workspace_id=sales`)).body.draft.status === 'sent',
    );
    return { prospect, draft, messageId: mail.headers['message-id']! };
  };

  beforeAll(async () => {
    smtp = await startSmtpSink();
    dovecot = await startDovecot();
    t = await createTestApp(
      { publicUrl: 'http://switchboard.test' },
      { mail: { live: new SmtpSender(smtp.url()), sink: new SinkSender() } },
    );
    await startWorkers(t.app);
    const org = await createOrg(t.app);
    const sales = await addWorkspace(t.app, org, 'sales');
    adminKey = await addKey(t.app, org, ['*'], 'all');
    const agentKey = await addKey(t.app, org, ['escalations:read', 'replies:read', 'prospects:read'], [sales]);
    server = await startHttpServer(t.app, { port: 0 });
    agent = await connectHttp(server.url, agentKey);
    const outreach = { sender: { email: 'sam@sender.example', name: 'Sam' }, daily_cap: 100, min_gap_seconds: 0 };
    expect((await api('PUT', '/workspaces/sales/outreach', { outreach })).status).toBe(200);
    const template = {
      workspace_id: 'sales',
      key: 'intro',
      name: 'Intro',
      category: 'email',
      subject: 'Hello',
      body: 'Hi',
    };
    expect((await api('POST', '/templates', template)).status).toBe(201);
    const made = await api('POST', '/workspaces/sales/inbound/token');
    expect(made.status).toBe(201);
    hookPath = made.body.path;
  });
  afterAll(async () => {
    await agent?.close();
    await server?.close();
    await t?.close();
    await smtp?.stop();
    await dovecot?.stop();
  });

  it('a Gmail reply posted to the hook is threaded, classified hot, escalated, and stored once', async () => {
    const { prospect, draft, messageId } = await sendTo('ada.lovelace@gmail.com');
    const raw = fixture('gmail-reply.eml', { '<drf_second.2@sender.example>': messageId });
    const first = await postRaw(raw);
    expect(first.status).toBe(201);
    expect(first.body.created).toBe(true);
    expect(first.body.reply).toMatchObject({
      prospect_id: prospect.id,
      draft_id: draft.id,
      from: 'ada.lovelace@gmail.com',
      message_id: 'CAJx9f3kQ+reply@mail.gmail.com',
      in_reply_to: bare(messageId),
      via: 'hook',
      attachment_count: 0,
    });
    expect(first.body.reply.classification.label).toBe('meeting_request');
    expect(first.body.reply.classification.hot).toBe(true);

    // Posted again (a provider's retry): the same reply, stored once.
    const again = await postRaw(raw, 'application/octet-stream');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false, reply: { id: first.body.reply.id } });
    const stored = await t.app.db.selectFrom('replies').select('id').where('id', '=', first.body.reply.id).execute();
    expect(stored).toHaveLength(1);

    const { escalations } = await callOk(agent, 'list_escalations', {});
    expect(escalations.map((e: { conversation_id: string }) => e.conversation_id)).toContain(
      first.body.reply.conversation_id,
    );
  });

  it('every fixture is understood: French windows-1252, HTML-only, base64, attachments, a DSN bounce', async () => {
    const fr = await postRaw(fixture('outlook-fr.eml'));
    expect(fr.status).toBe(201);
    expect(fr.body.reply).toMatchObject({ from: 'jerome.dupre@entreprise.fr', prospect_id: null, via: 'hook' });
    expect(fr.body.reply.subject).toBe('RE\u00a0: Proposition de démonstration');
    expect(fr.body.reply.body).toContain('C’est très intéressant');

    const html = await postRaw(fixture('html-only.eml'), 'text/plain');
    expect(html.status).toBe(201);
    expect(html.body.reply.body).toContain('Is there a free trial?');
    expect(html.body.reply.body).not.toContain('<p>');

    const unsubscribe = await postRaw(fixture('base64-body.eml'));
    expect(unsubscribe.status).toBe(201);
    expect(unsubscribe.body.reply.classification.label).toBe('unsubscribe');
    const check = await api('GET', '/suppressions/check?workspace_id=sales&email=elodie%40exemple.fr');
    expect(check.body.suppressed).toBe(true);

    const attached = await postRaw(fixture('with-attachment.eml'));
    expect(attached.status).toBe(201);
    expect(attached.body.reply.attachment_count).toBe(2);
    expect(attached.body.reply.body).not.toContain('PDF-1.4');

    const { draft, messageId } = await sendTo('gone@nowhere.example');
    const bounce = await postRaw(fixture('dsn-bounce.eml', { '<drf_bounce.1@sender.example>': messageId }));
    expect(bounce.status).toBe(201);
    expect(bounce.body.reply).toMatchObject({ draft_id: draft.id, classification: { label: 'bounce', hot: false } });
  });

  it('a reply in a real IMAP mailbox is read by the background poller, threaded and escalated', async () => {
    const { prospect, draft, messageId } = await sendTo('grace@navy.example');
    const raw = fixture('html-only.eml', {
      '<drf_html.1@sender.example>': messageId,
      'html-only-1@navy.example': 'imap-1@navy.example',
    });
    await dovecot.append(raw);
    const set = await api('PUT', '/workspaces/sales/inbound/mailbox', { url: dovecot.url(), read_existing: true });
    expect(set.status).toBe(200);
    expect(JSON.stringify(set.body)).not.toContain(dovecot.pass);

    const reply = await until('the reply read from IMAP', () =>
      t.app.db
        .selectFrom('replies')
        .select(['id', 'conversation_id', 'prospect_id', 'draft_id', 'via'])
        .where('via', '=', 'imap')
        .executeTakeFirst(),
    );
    expect(reply).toMatchObject({ prospect_id: prospect.id, draft_id: draft.id });
    const settings = await until('the poll to be recorded', async () => {
      const s = (await api('GET', '/workspaces/sales/inbound')).body;
      return s.mailbox.last_success_at && s;
    });
    expect(settings.mailbox).toMatchObject({ last_uid: '1', last_error: null, received_count: 1 });
    expect(settings.hook.token_prefix).toBe(hookPath.split('/').pop()!.slice(0, settings.hook.token_prefix.length));
    expect(JSON.stringify(settings)).not.toContain(hookPath.split('/').pop());

    // A pricing and trial question is active evaluation: hot, escalated, in the agent's inbox.
    const { escalations } = await callOk(agent, 'list_escalations', {});
    expect(escalations.map((e: { conversation_id: string }) => e.conversation_id)).toContain(reply.conversation_id);
  });
});

import { createHmac, randomBytes } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers } from '../../src/workers.js';
import { ResendSender } from '../../src/adapters/mail/resend.js';
import { SinkSender } from '../../src/adapters/mail/sink.js';
import { type RunningServer, startHttpServer } from '../../src/transport/http/server.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp } from '../helpers/app.js';
import { type FakeResend, startFakeResend } from '../helpers/fake-resend.js';
import { callOk, connectHttp } from '../helpers/mcp.js';
import { until } from '../helpers/wait.js';

const SECRET_BYTES = randomBytes(24);
const SECRET = `whsec_${SECRET_BYTES.toString('base64')}`;

/** Signs like Svix (Resend's webhook sender): HMAC-SHA256 of `id.timestamp.body` with the decoded secret. */
function svixHeaders(body: string, id = `msg_${randomBytes(6).toString('hex')}`, at = new Date()) {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const signature = createHmac('sha256', SECRET_BYTES).update(`${id}.${timestamp}.${body}`).digest('base64');
  return {
    'svix-id': id,
    'svix-timestamp': timestamp,
    'svix-signature': `v1,${signature}`,
    'content-type': 'application/json',
  };
}

describe('Resend delivery webhooks', () => {
  let resend: FakeResend;
  let t: TestApp;
  let server: RunningServer;
  let client: Client;
  let key: string;
  let workspaceId: string;
  const admin = () => ({ Authorization: `Bearer ${key}`, 'content-type': 'application/json' });
  const putOutreach = (outreach: Record<string, unknown>) =>
    fetch(`${server.url}/api/v1/workspaces/main/outreach`, {
      method: 'PUT',
      headers: admin(),
      body: JSON.stringify({ outreach }),
    });
  const SETTINGS = { sender: { email: 'sam@sender.example', name: 'Sam' }, min_gap_seconds: 0 };

  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${server.url}/hooks/resend`, { method: 'POST', body, headers });
  const event = (type: string, emailId: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      type,
      created_at: new Date().toISOString(),
      data: {
        email_id: emailId,
        from: 'Sam <sam@sender.example>',
        to: ['x@example.com'],
        subject: 'Hi',
        created_at: new Date().toISOString(),
        ...extra,
      },
    });

  async function sentDraft(email: string): Promise<{ draftId: string; emailId: string; prospectId: string }> {
    const { prospect } = await callOk(client, 'upsert_prospect', { email, first_name: 'R' });
    const { draft } = await callOk(client, 'create_draft', { prospect_id: prospect.id, template_key: 'intro' });
    await callOk(client, 'approve_draft', { draft_id: draft.id });
    const row = await until(`draft ${draft.id} to be sent`, async () => {
      const r = await t.app.db
        .selectFrom('drafts')
        .select(['status', 'provider_message_id'])
        .where('id', '=', draft.id)
        .executeTakeFirstOrThrow();
      return r.status === 'sent' && r;
    });
    return { draftId: draft.id, emailId: row.provider_message_id!, prospectId: prospect.id };
  }

  beforeAll(async () => {
    resend = await startFakeResend();
    t = await createTestApp(
      {
        publicUrl: 'http://switchboard.test',
        mail: { smtpUrl: undefined, resend: undefined, resendWebhookSecret: SECRET },
      },
      { mail: { live: new ResendSender({ apiKey: resend.apiKey, baseUrl: resend.url }), sink: new SinkSender() } },
    );
    await startWorkers(t.app);
    const org = await createOrg(t.app);
    const ws = await addWorkspace(t.app, org, 'main');
    workspaceId = ws.id;
    key = await addKey(t.app, org, ['*'], [ws]);
    server = await startHttpServer(t.app, { port: 0 });
    client = await connectHttp(server.url, key);
    await putOutreach(SETTINGS);
    await fetch(`${server.url}/api/v1/templates`, {
      method: 'POST',
      headers: admin(),
      body: JSON.stringify({
        key: 'intro',
        name: 'Intro',
        category: 'email',
        subject: 'Hi {{prospect.first_name}}',
        body: 'Hello there',
      }),
    });
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
    await t?.close();
    await resend?.close();
  });

  it('sends through the Resend API with the draft as idempotency key', async () => {
    const { draftId } = await sentDraft('first@example.com');
    const request = resend.requests.find((r) => JSON.stringify(r).includes('first@example.com'));
    expect(JSON.stringify(request)).toContain(`draft-${draftId}`);
  });

  it('refuses unsigned, wrongly signed and stale webhooks', async () => {
    const body = event('email.delivered', 'em_1');
    expect((await post(body, { 'content-type': 'application/json' })).status).toBe(401);
    expect((await post(body, { ...svixHeaders(body), 'svix-signature': 'v1,AAAA' })).status).toBe(401);
    expect((await post(body, svixHeaders(body, 'msg_old', new Date(Date.now() - 3600_000)))).status).toBe(401);
    expect((await post(`${body} `, svixHeaders(body))).status).toBe(401);
  });

  it('records deliveries once, suppresses hard bounces and complaints, and pauses sending when bounces pile up', async () => {
    const { emailId, prospectId } = await sentDraft('bounce@example.com');
    const delivered = event('email.delivered', emailId);
    const headers = svixHeaders(delivered, 'msg_delivered');
    expect((await (await post(delivered, headers)).json()).result).toBe('applied');
    expect((await (await post(delivered, headers)).json()).result).toBe('ignored');

    const bounced = event('email.bounced', emailId, {
      bounce: { type: 'Permanent', subType: 'General', message: '550 no such user' },
    });
    expect((await post(bounced, svixHeaders(bounced))).status).toBe(200);
    expect((await callOk(client, 'check_suppression', { email: 'bounce@example.com' })).matches[0]).toMatchObject({
      source: 'bounce',
    });
    const history = await callOk(client, 'get_prospect_history', { prospect_id: prospectId });
    expect(history.events.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['email.sent', 'email.delivered', 'email.bounced', 'suppression.added']),
    );

    // Two sends, one hard bounce: 50% is far above 5%, so sending pauses with the reason visible.
    const { workspace } = await callOk(client, 'get_workspace_config');
    expect(workspace.settings.outreach.paused.reason).toMatch(/hard-bounce rate/);
  });

  it('applies a redelivery arriving concurrently with the original exactly once', async () => {
    // The previous test paused sending; resuming is the documented way back.
    expect((await putOutreach(SETTINGS)).status).toBe(200);
    const { emailId } = await sentDraft('concurrent@example.com');
    const count = async (type: string, field?: string, value?: string) => {
      let q = t.app.db
        .selectFrom('events')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('workspace_id', '=', workspaceId)
        .where('type', '=', type);
      if (field) q = q.where(sql`data->>${field}`, '=', value);
      return Number((await q.executeTakeFirstOrThrow()).n);
    };
    const pausesBefore = await count('sending.paused');

    const bounced = event('email.bounced', emailId, {
      bounce: { type: 'Permanent', subType: 'General', message: '550 no such user' },
    });
    const id = `msg_${randomBytes(6).toString('hex')}`;
    const headers = svixHeaders(bounced, id);
    const answers = await Promise.all(
      Array.from({ length: 12 }, () =>
        post(bounced, headers).then(async (r) => ({ status: r.status, ...(await r.json()) })),
      ),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(answers.filter((a) => a.result === 'applied')).toHaveLength(1);

    expect(await count('email.bounced', 'webhook_id', id)).toBe(1);
    expect(await count('suppression.added', 'value', 'concurrent@example.com')).toBe(1);
    expect(await count('sending.paused')).toBe(pausesBefore + 1);
    const recorded = await t.app.db
      .selectFrom('provider_events')
      .select(['provider', 'type'])
      .where('workspace_id', '=', workspaceId)
      .where('event_id', '=', id)
      .execute();
    expect(recorded).toEqual([{ provider: 'resend', type: 'email.bounced' }]);
  });

  it('refuses a sending window that starts and ends at the same time, changing nothing', async () => {
    const before = (await callOk(client, 'get_workspace_config')).workspace.settings;
    const res = await putOutreach({ ...SETTINGS, sending_window: { start: '09:00', end: '09:00', days: [1] } });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({
      code: 'invalid_request',
      param: 'outreach.sending_window.end',
      message: expect.stringContaining('same time'),
    });
    expect((await callOk(client, 'get_workspace_config')).workspace.settings).toEqual(before);
  });
});

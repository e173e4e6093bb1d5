import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SinkSender } from '../../src/adapters/mail/sink.js';
import { SmtpSender } from '../../src/adapters/mail/smtp.js';
import { type RunningServer, startHttpServer } from '../../src/transport/http/server.js';
import { startWorkers } from '../../src/workers.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp, testConfig } from '../helpers/app.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import { until } from '../helpers/wait.js';
import { type Receiver, startReceiver } from '../helpers/webhook-receiver.js';

const PUBLIC_URL = 'http://switchboard.test';

/** The "Done when" of issue #12's webhooks, through the real HTTP server and workers. */
describe('webhooks end to end: an endpoint registered over REST hears every step of an outreach run', () => {
  let smtp: SmtpSink;
  let t: TestApp;
  let server: RunningServer;
  let receiver: Receiver;
  let adminKey: string;
  let secret = '';

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${adminKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: await res.json() };
  };
  const local = (url: string) => url.replace(PUBLIC_URL, server.url);

  beforeAll(async () => {
    smtp = await startSmtpSink();
    // Each event's first attempt gets a 503, its second never answers (a timeout), its third a 200.
    receiver = await startReceiver(
      () => [secret],
      (_r, nth) => (nth === 1 ? 503 : nth === 2 ? 'hang' : 200),
    );
    t = await createTestApp(
      {
        publicUrl: PUBLIC_URL,
        // Retries after 50 ms instead of 5 s, 5 min, ...: the schedule's shape, not its hours.
        webhooks: {
          ...testConfig().webhooks,
          allowPrivate: true,
          timeoutMs: 1000,
          retryScheduleMs: [50, 50, 50, 50],
          pollMs: 20,
        },
      },
      { mail: { live: new SmtpSender(smtp.url()), sink: new SinkSender() } },
    );
    await startWorkers(t.app);
    const org = await createOrg(t.app);
    await addWorkspace(t.app, org, 'sales');
    adminKey = await addKey(t.app, org, ['*'], 'all');
    server = await startHttpServer(t.app, { port: 0 });
    const outreach = { sender: { email: 'sam@sender.example', name: 'Sam' }, daily_cap: 10, min_gap_seconds: 0 };
    expect((await api('PUT', '/workspaces/sales/outreach', { outreach })).status).toBe(200);
    const template = {
      workspace_id: 'sales',
      key: 'intro',
      name: 'Intro',
      category: 'email',
      subject: 'Hello {{prospect.first_name}}',
      body: 'Hi {{prospect.first_name}},\n\nPricing: https://example.com/pricing\n\nSam',
    };
    expect((await api('POST', '/templates', template)).status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
    await receiver?.close();
    await smtp?.stop();
  });

  it('delivers draft, approval, send, open, click, hot reply and escalation, each verified and, after dedup, once', async () => {
    const created = await api('POST', '/webhooks', {
      workspace_id: 'sales',
      url: receiver.url,
      description: 'CRM sync',
    });
    expect(created.status).toBe(201);
    expect(created.body.webhook).toMatchObject({ url: receiver.url, events: null, enabled: true });
    secret = created.body.webhook.secret;
    expect(secret).toMatch(/^whsec_/);

    const { prospect } = (
      await api('POST', '/prospects', { workspace_id: 'sales', email: 'ada@example.com', first_name: 'Ada' })
    ).body;
    const { draft } = (
      await api('POST', '/drafts', { workspace_id: 'sales', prospect_id: prospect.id, template_key: 'intro' })
    ).body;
    expect((await api('POST', `/drafts/${draft.id}/approve?workspace_id=sales`)).status).toBe(200);
    const mail = await until('the email at the SMTP server', async () =>
      smtp.received.find((m) => m.to.includes('ada@example.com')),
    );
    const click = mail.html!.match(/href="([^"]+\/t\/c\/[^"]+)"/)![1]!;
    const pixel = mail.html!.match(/src="([^"]+\.gif)"/)![1]!;
    await until('the draft marked sent', async () => {
      const d = (await api('GET', `/drafts/${draft.id}?workspace_id=sales`)).body.draft;
      return d.status === 'sent';
    });
    expect((await fetch(local(pixel))).status).toBe(200);
    expect((await fetch(local(click), { redirect: 'manual' })).status).toBe(302);
    const reply = await api('POST', '/replies', {
      workspace_id: 'sales',
      from: 'ada@example.com',
      subject: 'Re: Hello Ada',
      body: "Sounds great, I'm interested. Can we talk this week?",
      in_reply_to: mail.headers['message-id'],
    });
    expect(reply.status).toBe(201);
    expect(reply.body.classification.hot).toBe(true);

    // Every event the workspace recorded since the endpoint exists reaches it.
    const expected = [
      'draft.created',
      'draft.approved',
      'email.sent',
      'email.opened',
      'email.clicked',
      'reply.received',
      'reply.classified',
      'hot_lead.detected',
      'conversation.escalated',
    ];
    await until(
      'every step of the run at the receiver',
      () => {
        const types = new Set(receiver.received.map((r) => r.type));
        return expected.every((type) => types.has(type));
      },
      { timeout: 30_000 },
    );
    const events = await t.app.db
      .selectFrom('events')
      .select(['id', 'type'])
      .where('workspace_id', '=', await workspaceId())
      .where('created_at', '>=', new Date(created.body.webhook.created_at))
      .execute();
    await until('every recorded event at the receiver', () => events.every((e) => receiver.ids().has(e.id)), {
      timeout: 30_000,
    });
    expect(receiver.invalid).toEqual([]);
    // Each event answered 2xx exactly once: dedup by webhook-id leaves the same list.
    expect(receiver.received.length).toBe(receiver.ids().size);
    // ...after a 503 and a timeout first.
    for (const e of events) expect(receiver.attemptsById.get(e.id)).toBe(3);
    const byType = new Map(receiver.received.map((r) => [r.type, JSON.parse(r.body)]));
    expect(byType.get('reply.classified')).toMatchObject({
      data: { workspace_id: await workspaceId(), is_test: false },
    });
    expect(byType.get('hot_lead.detected').data.prospect_id).toBe(prospect.id);
    expect(byType.get('draft.approved').data.draft_id).toBe(draft.id);

    // The delivery log over REST shows the three attempts of one of them.
    const sent = receiver.received.find((r) => r.type === 'email.sent')!;
    const log = await until('the log of email.sent', async () => {
      const res = await api(
        'GET',
        `/webhooks/${created.body.webhook.id}/deliveries?workspace_id=sales&event_id=${sent.id}`,
      );
      return res.body.deliveries.length === 3 && res.body.deliveries;
    });
    expect(log.map((a: { attempt: number; status_code: number | null }) => [a.attempt, a.status_code])).toEqual([
      [3, 200],
      [2, null],
      [1, 503],
    ]);
  });

  const workspaceId = async () =>
    (await t.app.db.selectFrom('workspaces').select('id').where('slug', '=', 'sales').executeTakeFirstOrThrow()).id;
});

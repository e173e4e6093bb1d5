import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config.js';
import type { RequestContext } from '../../../src/kernel/context.js';
import { appendEvent } from '../../../src/kernel/outbox.js';
import { WebhookRunner } from '../../../src/domains/webhooks/index.js';
import { claimDueDeliveries } from '../../../src/domains/webhooks/deliver.job.js';
import * as webhooks from '../../../src/domains/webhooks/webhooks.service.js';
import { type TestApp, contextFor, createTestApp, silentLog, testConfig, twoTenants } from '../../helpers/app.js';
import { caught } from '../../helpers/errors.js';
import { type Receiver, startReceiver } from '../../helpers/webhook-receiver.js';
import { until } from '../../helpers/wait.js';

/** Fast retries and a short timeout, so a test sees the whole schedule; private addresses allowed for the local receiver. */
const fastWebhooks = (over: Partial<Config['webhooks']> = {}): Partial<Config> => ({
  webhooks: {
    ...testConfig().webhooks,
    allowPrivate: true,
    timeoutMs: 2000,
    retryScheduleMs: [50, 50, 50, 50],
    pollMs: 20,
    ...over,
  },
});

const emit = (ctx: RequestContext, n: number) =>
  ctx.db.transaction().execute(async (trx) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await appendEvent(trx, ctx, 'sending.paused', { reason: `test ${i}` })).id);
    return ids;
  });

describe('webhook delivery', () => {
  let t: TestApp;
  let ctx: RequestContext;
  let runner: WebhookRunner;
  let receiver: Receiver | undefined;
  const secrets: string[] = [];

  beforeAll(async () => {
    t = await createTestApp(fastWebhooks());
    const tenants = await twoTenants(t.app);
    ctx = await contextFor(t.app, tenants.mainKey);
    runner = new WebhookRunner(t.app, silentLog);
    runner.start();
  });
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
    for (const w of await webhooks.listWebhooks(ctx)) await webhooks.deleteWebhook(ctx, w.id);
  });
  afterAll(async () => {
    await runner.stop();
    await t.close();
  });

  it('signs every event so standardwebhooks verifies it, and sends the simpler X-Switchboard-Signature', async () => {
    receiver = await startReceiver(() => secrets);
    const created = await webhooks.createWebhook(ctx, {
      url: receiver.url,
      description: 'crm',
      events: ['sending.paused'],
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    secrets.splice(0, secrets.length, created.secret);
    const ids = await emit(ctx, 5);
    await until('five events', () => receiver!.ids().size === 5);
    expect([...receiver.ids()].sort()).toEqual([...ids].sort());
    expect(receiver.invalid).toEqual([]);
    const one = receiver.received[0]!;
    const body = JSON.parse(one.body);
    expect(body).toMatchObject({ type: 'sending.paused', data: { workspace_id: ctx.workspace.id, is_test: false } });
    expect(one.headers['x-switchboard-signature']).toBe(
      `sha256=${createHmac('sha256', created.secret).update(one.body).digest('hex')}`,
    );
    // The secret is never shown again.
    expect(JSON.stringify(await webhooks.getWebhook(ctx, created.id))).not.toContain(created.secret);
    // The receiver answers before the attempt is recorded: wait for the log.
    const log = await until('five successes logged', async () => {
      const page = await webhooks.listWebhookAttempts(ctx, created.id, {}, {});
      return page.items.filter((a) => a.status_code === 200).length === 5 && page;
    });
    // One success per event (a slow first connection on a busy machine may add a retry before it).
    const ok = log.items.filter((a) => a.status_code === 200);
    expect(new Set(ok.map((a) => a.event_id))).toEqual(new Set(ids));
    expect(ok[0]).toMatchObject({ error: null, response_snippet: 'answer 200', event_type: 'sending.paused' });
  });

  it('delivers every event exactly once after dedup through a receiver that fails, then times out, then recovers', async () => {
    // Per event: the first attempt gets a 500, the second never answers (timeout), the third succeeds.
    receiver = await startReceiver(
      () => secrets,
      (_r, nth) => (nth === 1 ? 503 : nth === 2 ? 'hang' : 200),
    );
    const created = await webhooks.createWebhook(ctx, { url: receiver.url, events: ['sending.paused'] });
    secrets.splice(0, secrets.length, created.secret);
    const ids = await emit(ctx, 4);
    await until('every event delivered', () => receiver!.ids().size === 4);
    expect([...receiver.ids()].sort()).toEqual([...ids].sort());
    expect(receiver.received).toHaveLength(4);
    const log = await until('the third attempt logged', async () => {
      const page = await webhooks.listWebhookAttempts(ctx, created.id, { event_id: ids[0] }, {});
      return page.items.length === 3 && page;
    });
    expect(log.items.map((a) => [a.attempt, a.status_code, a.error?.split(' ')[0] ?? null])).toEqual([
      [3, 200, null],
      [2, null, 'timeout'],
      [1, 503, 'HTTP'],
    ]);
    const row = await t.app.db
      .selectFrom('webhook_deliveries')
      .select(['status', 'attempts'])
      .where('event_id', '=', ids[0]!)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'succeeded', attempts: 3 });
  });

  it('fails a delivery at once on a 4xx other than 408/429, and redelivers it on request', async () => {
    let answer = 410;
    receiver = await startReceiver(
      () => secrets,
      () => answer,
    );
    const created = await webhooks.createWebhook(ctx, { url: receiver.url, events: ['sending.paused'] });
    secrets.splice(0, secrets.length, created.secret);
    const [id] = await emit(ctx, 1);
    const failed = await until('the delivery failed', () =>
      t.app.db
        .selectFrom('webhook_deliveries')
        .select(['status', 'attempts', 'last_status_code'])
        .where('event_id', '=', id!)
        .where('status', '=', 'failed')
        .executeTakeFirst(),
    );
    expect(failed).toEqual({ status: 'failed', attempts: 1, last_status_code: 410 });
    answer = 200;
    expect(await webhooks.redeliverWebhook(ctx, created.id, { event_id: id })).toBe(1);
    await until('the redelivery', () => receiver!.ids().has(id!));
    expect(await webhooks.redeliverWebhook(ctx, created.id, { failed_since: '2000-01-01T00:00:00Z' })).toBe(0);
  });

  it('signs with both secrets during a rotation, and the test event reaches only its endpoint', async () => {
    receiver = await startReceiver(() => secrets);
    const created = await webhooks.createWebhook(ctx, { url: receiver.url, events: ['sending.paused'] });
    const rotated = await webhooks.rotateWebhookSecret(ctx, created.id);
    expect(rotated.secret).not.toBe(created.secret);
    for (const only of [created.secret, rotated.secret]) {
      secrets.splice(0, secrets.length, only);
      const { event_id } = await webhooks.sendTestWebhook(ctx, created.id);
      await until('the test event', () => receiver!.ids().has(event_id));
    }
    expect(receiver.received.map((r) => r.type)).toEqual(['webhook.test', 'webhook.test']);
    expect(receiver.received[0]!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    // Without grace the old secret stops at once.
    await webhooks.rotateWebhookSecret(ctx, created.id, 0);
    secrets.splice(0, secrets.length, rotated.secret);
    const { event_id } = await webhooks.sendTestWebhook(ctx, created.id);
    await until('a rejected attempt', () => receiver!.invalid.some((r) => r.id === event_id));
  });

  it('sends only subscribed types, and disables an endpoint failing for 5 days with an event', async () => {
    receiver = await startReceiver(
      () => secrets,
      () => 500,
    );
    const created = await webhooks.createWebhook(ctx, { url: receiver.url, events: ['sending.paused'] });
    secrets.splice(0, secrets.length, created.secret);
    await t.app.db
      .updateTable('webhook_endpoints')
      .set({ failing_since: new Date(Date.now() - 6 * 86_400_000) })
      .where('id', '=', created.id)
      .execute();
    await emit(ctx, 1);
    const disabled = await until('the endpoint disabled', async () => {
      const w = await webhooks.getWebhook(ctx, created.id);
      return !w.enabled && w;
    });
    expect(disabled.disabled_reason).toMatch(/5 days/);
    const event = await t.app.db
      .selectFrom('events')
      .select(['type', 'data'])
      .where('type', '=', 'webhook.disabled')
      .executeTakeFirstOrThrow();
    expect(event.data).toMatchObject({ webhook_id: created.id });
    expect((await caught(webhooks.createWebhook(ctx, { url: receiver.url, events: ['nope.done'] }))).code).toBe(
      'invalid_request',
    );
    expect((await caught(webhooks.sendTestWebhook(ctx, created.id))).code).toBe('conflict');
    const enabled = await webhooks.updateWebhook(ctx, created.id, { enabled: true });
    expect(enabled).toMatchObject({ enabled: true, disabled_reason: null, failing_since: null });
  });

  it('takes over a claim whose process crashed between claim and send, and sends the event once', async () => {
    await runner.stop();
    try {
      receiver = await startReceiver(() => secrets);
      const created = await webhooks.createWebhook(ctx, { url: receiver.url, events: ['sending.paused'] });
      secrets.splice(0, secrets.length, created.secret);
      const [id] = await emit(ctx, 1);
      const { dispatchEvents } = await import('../../../src/domains/webhooks/dispatcher.js');
      await dispatchEvents(t.app);
      const first = await claimDueDeliveries(t.app, 10, () => 10);
      expect(first.map((d) => [d.event_id, d.attempts])).toEqual([[id, 1]]);
      // The claimer "dies" here. While its lease lasts nobody else takes the delivery...
      expect(await claimDueDeliveries(t.app, 10, () => 10)).toEqual([]);
      // ...and once it has run out, a worker does.
      const later = { ...t.app, clock: { now: () => new Date(Date.now() + 60_000) } };
      const again = await claimDueDeliveries(later, 10, () => 10);
      expect(again.map((d) => [d.event_id, d.attempts])).toEqual([[id, 2]]);
    } finally {
      runner = new WebhookRunner(t.app, silentLog);
      runner.start();
    }
  });

  it('keeps endpoints to their workspace', async () => {
    const created = await webhooks.createWebhook(ctx, { url: 'http://127.0.0.1:9/x' });
    const tenants = await twoTenants(t.app);
    const rival = await contextFor(t.app, tenants.rivalKey);
    expect((await caught(webhooks.getWebhook(rival, created.id))).code).toBe('not_found');
    expect((await caught(webhooks.deleteWebhook(rival, created.id))).code).toBe('not_found');
    expect((await caught(webhooks.listWebhookAttempts(rival, created.id, {}, {}))).code).toBe('not_found');
    expect(await webhooks.listWebhooks(rival)).toEqual([]);
  });
});

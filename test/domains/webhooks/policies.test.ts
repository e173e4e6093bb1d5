import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type MigrationDeps, migrationsFor } from '../../../src/adapters/db/migrate.js';
import type { Config } from '../../../src/config.js';
import { MAX_RETRY_AFTER_MS } from '../../../src/domains/webhooks/deliver.job.js';
import { WebhookRunner } from '../../../src/domains/webhooks/index.js';
import { parseRetryAfter } from '../../../src/domains/webhooks/post.js';
import { secretContext } from '../../../src/domains/webhooks/signing.js';
import * as webhooks from '../../../src/domains/webhooks/webhooks.service.js';
import type { RequestContext } from '../../../src/kernel/context.js';
import { appendEvent } from '../../../src/kernel/outbox.js';
import { type TestApp, contextFor, createTestApp, silentLog, testConfig, twoTenants } from '../../helpers/app.js';
import { caught } from '../../helpers/errors.js';
import { type Receiver, startReceiver } from '../../helpers/webhook-receiver.js';
import { until } from '../../helpers/wait.js';

const fastWebhooks = (over: Partial<Config['webhooks']> = {}): Partial<Config> => ({
  webhooks: {
    ...testConfig().webhooks,
    allowPrivate: true,
    timeoutMs: 2000,
    retryScheduleMs: [50, 50, 50, 50],
    pollMs: 20,
    maxEndpointsPerWorkspace: 3,
    ...over,
  },
});

const emit = (ctx: RequestContext, n: number) =>
  ctx.db.transaction().execute(async (trx) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await appendEvent(trx, ctx, 'sending.paused', { reason: `test ${i}` })).id);
    return ids;
  });

const delivery = (t: TestApp, eventId: string) =>
  t.app.db
    .selectFrom('webhook_deliveries')
    .select(['status', 'attempts', 'next_attempt_at', 'updated_at', 'last_status_code', 'last_error'])
    .where('event_id', '=', eventId)
    .executeTakeFirst();

describe('webhook policies: Retry-After, disabled endpoints, sealed secrets, endpoint cap', () => {
  let t: TestApp;
  let ctx: RequestContext;
  let runner: WebhookRunner;
  let receiver: Receiver | undefined;
  const secrets: string[] = [];

  beforeAll(async () => {
    t = await createTestApp(fastWebhooks());
    ctx = await contextFor(t.app, (await twoTenants(t.app)).mainKey);
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

  it('reads Retry-After as seconds or an HTTP-date', () => {
    const now = Date.parse('2026-12-05T10:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Sat, 05 Dec 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sat, 05 Dec 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });

  it('waits as long as a 429 Retry-After asks before the next attempt, up to an hour', async () => {
    let slow = '';
    receiver = await startReceiver(
      () => secrets,
      (r, nth) => (nth > 1 ? 200 : { status: 429, headers: { 'retry-after': r.id === slow ? '86400' : '2' } }),
    );
    const created = await webhooks.createWebhook(ctx, { url: receiver.url, events: ['sending.paused'] });
    secrets.splice(0, secrets.length, created.secret);
    const [id] = await emit(ctx, 1);
    await until('the retried event', () => receiver!.ids().has(id!));
    const [first, second] = receiver.attempts.filter((a) => a.id === id);
    // The schedule alone would retry after 50 ms.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1900);

    slow = (await emit(ctx, 1))[0]!;
    const parked = await until('the 429 recorded', async () => {
      const row = await delivery(t, slow);
      return row?.last_status_code === 429 && row;
    });
    const wait = parked.next_attempt_at.getTime() - parked.updated_at.getTime();
    expect(wait).toBe(MAX_RETRY_AFTER_MS);
    expect(parked.status).toBe('pending');
  });

  it('fails the pending deliveries of an endpoint when it is disabled, and sends new events once enabled', async () => {
    receiver = await startReceiver(
      () => secrets,
      () => 503,
    );
    const created = await webhooks.createWebhook(ctx, { url: receiver.url, events: ['sending.paused'] });
    secrets.splice(0, secrets.length, created.secret);
    const [old] = await emit(ctx, 1);
    await until('a failed attempt', () => receiver!.attemptsById.get(old!));
    await webhooks.updateWebhook(ctx, created.id, { enabled: false });
    const failed = await until('the delivery failed', async () => {
      const row = await delivery(t, old!);
      return row?.status === 'failed' && row;
    });
    expect(failed.last_error).toMatch(/disabled/);
    const tried = receiver.attemptsById.get(old!)!;
    // No attempt is made while disabled: events meanwhile are not queued for it, nor is a test or a redelivery.
    const [meanwhile] = await emit(ctx, 1);
    expect((await caught(webhooks.sendTestWebhook(ctx, created.id))).code).toBe('conflict');
    expect(
      (await caught(webhooks.redeliverWebhook(ctx, created.id, { failed_since: '2000-01-01T00:00:00Z' }))).code,
    ).toBe('conflict');
    await until('the event dispatched', async () =>
      t.app.db
        .selectFrom('events')
        .select('webhooks_dispatched_at')
        .where('id', '=', meanwhile!)
        .executeTakeFirst()
        .then((e) => e?.webhooks_dispatched_at),
    );
    expect(await delivery(t, meanwhile!)).toBeUndefined();

    // Enabled again: the old delivery stays failed (no backlog flood); new events go; failed_since recovers the old one.
    receiver.close();
    receiver = await startReceiver(
      () => secrets,
      () => 200,
    );
    await webhooks.updateWebhook(ctx, created.id, { url: receiver.url, enabled: true });
    const [fresh] = await emit(ctx, 1);
    await until('the new event', () => receiver!.ids().has(fresh!));
    expect(receiver.ids().has(old!)).toBe(false);
    expect((await delivery(t, old!))?.status).toBe('failed');
    expect(tried).toBeGreaterThanOrEqual(1);
    expect(await webhooks.redeliverWebhook(ctx, created.id, { failed_since: '2000-01-01T00:00:00Z' })).toBe(1);
    await until('the old event redelivered', () => receiver!.ids().has(old!));
  });

  it('stores secrets sealed with the server key, and still signs with them', async () => {
    receiver = await startReceiver(() => secrets);
    const created = await webhooks.createWebhook(ctx, { url: receiver.url, events: ['sending.paused'] });
    const rotated = await webhooks.rotateWebhookSecret(ctx, created.id);
    const row = await t.app.db
      .selectFrom('webhook_endpoints')
      .select(['secret', 'previous_secret'])
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(row.secret).toMatch(/^v1\./);
    expect(row.previous_secret).toMatch(/^v1\./);
    expect(JSON.stringify(row)).not.toContain(created.secret.slice(6));
    expect(JSON.stringify(row)).not.toContain(rotated.secret.slice(6));
    const context = secretContext(ctx.workspace.id, created.id);
    expect(await t.app.secrets.open(row.secret, context)).toBe(rotated.secret);
    // A sealed value does not open for another endpoint.
    await expect(t.app.secrets.open(row.secret, secretContext(ctx.workspace.id, 'whk_other'))).rejects.toThrow();
    secrets.splice(0, secrets.length, created.secret);
    const [id] = await emit(ctx, 1);
    await until('the event, verified with the old secret', () => receiver!.ids().has(id!));
  });

  it('caps endpoints per workspace with a clear error, and a delete makes room', async () => {
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await webhooks.createWebhook(ctx, { url: `http://127.0.0.1:9/${i}` }));
    const err = await caught(webhooks.createWebhook(ctx, { url: 'http://127.0.0.1:9/x' }));
    expect(err.code).toBe('conflict');
    expect(err.message).toMatch(/already has 3 webhook endpoints.*SWITCHBOARD_WEBHOOKS_MAX_ENDPOINTS/);
    expect(await webhooks.listWebhooks(ctx)).toHaveLength(3);
    // Another workspace has its own allowance.
    const rival = await contextFor(t.app, (await twoTenants(t.app)).rivalKey);
    const theirs = await webhooks.createWebhook(rival, { url: 'http://127.0.0.1:9/r' });
    await webhooks.deleteWebhook(rival, theirs.id);
    await webhooks.deleteWebhook(ctx, made[0]!.id);
    await webhooks.createWebhook(ctx, { url: 'http://127.0.0.1:9/y' });
  });
});

describe('the migration that seals the secrets stored before', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(fastWebhooks());
  });
  afterAll(async () => t.close());

  const SEAL = '2026_12_05_1400_webhooks';

  it('seals plain secrets with the server key, or stops naming SWITCHBOARD_SECRET_KEY without one', async () => {
    const ctx = await contextFor(t.app, (await twoTenants(t.app)).mainKey);
    const db = t.app.db;
    // Back to the state before the migration: plain secrets allowed, and stored. The migration is then
    // run as the migrator runs it (in a transaction), not through migrateToLatest: migrations added
    // after it would make un-applying it look like a corrupted history.
    await sql`alter table webhook_endpoints drop constraint webhook_endpoints_secret_sealed`.execute(db);
    const apply = (deps: MigrationDeps) => db.transaction().execute((trx) => migrationsFor(deps)[SEAL]!.up(trx));
    const plain = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const previous = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';
    const now = new Date();
    await db
      .insertInto('webhook_endpoints')
      .values({
        workspace_id: ctx.workspace.id,
        id: 'whk_plain',
        url: 'http://127.0.0.1:9/p',
        description: null,
        events: null,
        enabled: true,
        secret: plain,
        previous_secret: previous,
        previous_secret_expires_at: now,
        created_at: now,
        updated_at: now,
      })
      .execute();

    const missing = await apply({}).catch((e: Error) => e);
    expect(String(missing)).toMatch(/1 webhook endpoint\(s\).*SWITCHBOARD_SECRET_KEY/);

    await apply({ secrets: t.app.secrets });
    const row = await db
      .selectFrom('webhook_endpoints')
      .select(['secret', 'previous_secret'])
      .where('id', '=', 'whk_plain')
      .executeTakeFirstOrThrow();
    const context = secretContext(ctx.workspace.id, 'whk_plain');
    expect(await t.app.secrets.open(row.secret, context)).toBe(plain);
    expect(await t.app.secrets.open(row.previous_secret!, context)).toBe(previous);
    // From now on the database refuses a plain one.
    await expect(
      db.updateTable('webhook_endpoints').set({ secret: plain }).where('id', '=', 'whk_plain').execute(),
    ).rejects.toThrow(/webhook_endpoints_secret_sealed/);
  });
});

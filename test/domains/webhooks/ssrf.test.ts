import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../../src/kernel/context.js';
import { appendEvent } from '../../../src/kernel/outbox.js';
import { WebhookRunner, forbiddenAddress } from '../../../src/domains/webhooks/index.js';
import * as webhooks from '../../../src/domains/webhooks/webhooks.service.js';
import { type TestApp, contextFor, createTestApp, silentLog, testConfig, twoTenants } from '../../helpers/app.js';
import { caught } from '../../helpers/errors.js';
import { until } from '../../helpers/wait.js';

/** One example per refused class, with the range ipaddr.js gives it. */
const REFUSED: [string, string][] = [
  ['127.0.0.1', 'loopback'],
  ['::1', 'loopback'],
  ['10.1.2.3', 'private'],
  ['172.16.0.1', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'linkLocal'],
  ['fe80::1', 'linkLocal'],
  ['100.64.0.1', 'carrierGradeNat'],
  ['fd00:ec2::254', 'uniqueLocal'],
  ['0.0.0.0', 'unspecified'],
  ['::', 'unspecified'],
  ['224.0.0.1', 'multicast'],
  ['ff02::1', 'multicast'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:169.254.169.254', 'linkLocal'],
  ['2002:7f00:1::', '6to4'],
  ['64:ff9b::7f00:1', 'rfc6052'],
];

describe('webhook SSRF rule', () => {
  let t: TestApp;
  let ctx: RequestContext;
  /** What the injected DNS answers for each name: a test changes it between creation and delivery. */
  const dns = new Map<string, string>();

  beforeAll(async () => {
    t = await createTestApp(
      { webhooks: { ...testConfig().webhooks, allowPrivate: false, retryScheduleMs: [], pollMs: 20 } },
      {
        webhookResolver: async (host) => {
          const a = dns.get(host);
          if (!a) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
          return [{ address: a, family: a.includes(':') ? 6 : 4 }];
        },
      },
    );
    ctx = await contextFor(t.app, (await twoTenants(t.app)).mainKey);
  });
  afterAll(() => t.close());

  it.each(REFUSED)('classifies %s as %s', (address, range) => {
    expect(forbiddenAddress(address)).toBe(range);
  });

  it('accepts public addresses', () => {
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:93.184.216.34'])
      expect(forbiddenAddress(a)).toBeNull();
  });

  it('refuses each class at creation, as a literal and through DNS, and http', async () => {
    for (const [address, range] of REFUSED) {
      const host = address.includes(':') ? `[${address}]` : address;
      const literal = await caught(webhooks.createWebhook(ctx, { url: `https://${host}/hook` }));
      expect([literal.code, literal.details?.range]).toEqual(['invalid_request', range]);
      dns.set(`${range.toLowerCase()}.example.test`, address);
      const named = await caught(
        webhooks.createWebhook(ctx, { url: `https://${range.toLowerCase()}.example.test/hook` }),
      );
      expect([named.code, named.details?.range]).toEqual(['invalid_request', range]);
    }
    dns.set('public.example.test', '93.184.216.34');
    expect((await caught(webhooks.createWebhook(ctx, { url: 'http://public.example.test/hook' }))).message).toMatch(
      /https/,
    );
    expect((await caught(webhooks.createWebhook(ctx, { url: 'https://nowhere.example.test/' }))).message).toMatch(
      /does not resolve/,
    );
    expect(await webhooks.createWebhook(ctx, { url: 'https://public.example.test/hook' })).toMatchObject({
      enabled: true,
    });
  });

  it('refuses at delivery a name whose answer changed to a private address since creation, without connecting', async () => {
    dns.set('rebind.example.test', '93.184.216.34');
    const created = await webhooks.createWebhook(ctx, {
      url: 'https://rebind.example.test/hook',
      events: ['sending.paused'],
    });
    dns.set('rebind.example.test', '127.0.0.1');
    await t.app.db.transaction().execute((trx) => appendEvent(trx, ctx, 'sending.paused', { reason: 'x' }));
    const runner = new WebhookRunner(t.app, silentLog);
    runner.start();
    try {
      const log = await until('the refused attempt', async () => {
        const page = await webhooks.listWebhookAttempts(ctx, created.id, {}, {});
        return page.items[0];
      });
      expect(log).toMatchObject({ status_code: null, attempt: 1 });
      expect(log.error).toMatch(/^refused: .*127\.0\.0\.1 \(loopback\)/);
      const delivery = await t.app.db
        .selectFrom('webhook_deliveries')
        .select('status')
        .where('id', '=', log.delivery_id)
        .executeTakeFirstOrThrow();
      expect(delivery.status).toBe('failed');
    } finally {
      await runner.stop();
    }
  });
});

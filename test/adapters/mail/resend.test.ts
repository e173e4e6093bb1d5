import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResendSender } from '../../../src/adapters/mail/resend.js';
import type { OutgoingEmail } from '../../../src/kernel/ports.js';
import { isPermanentSendFailure } from '../../../src/adapters/mail/sender.js';
import { type FakeResend, startFakeResend } from '../../helpers/fake-resend.js';
import { caught } from '../../helpers/errors.js';

const email = (over: Partial<OutgoingEmail> = {}): OutgoingEmail => ({
  from: { email: 'sales@acme.test', name: 'Acme Sales, Inc.' },
  to: 'jane@example.com',
  replyTo: 'replies@acme.test',
  subject: 'Quick question',
  text: 'Hi Jane,\n\nShort note.\n',
  html: '<p>Hi Jane,</p>',
  headers: {
    'List-Unsubscribe': '<https://sb.example/u/tok123>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    'X-Switchboard-Draft': 'drf_123',
  },
  idempotencyKey: 'draft-drf_123',
  tags: { draft_id: 'drf_123', workspace: 'ws 1/a' },
  ...over,
});

describe('ResendSender', () => {
  let fake: FakeResend;
  let sender: ResendSender;

  beforeEach(async () => {
    fake = await startFakeResend('re_test_Secret123');
    sender = new ResendSender({ apiKey: fake.apiKey, baseUrl: fake.url, timeoutMs: 1000, backoffMs: 10 });
  });
  afterEach(() => fake.close());

  it("sends Resend's documented request and returns the id it answers", async () => {
    const sent = await sender.send(email());

    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.authorization).toBe('Bearer re_test_Secret123');
    expect(req.idempotencyKey).toBe('draft-drf_123');
    expect(req.contentType).toBe('application/json');
    expect(req.body).toEqual({
      from: '"Acme Sales, Inc." <sales@acme.test>',
      to: ['jane@example.com'],
      subject: 'Quick question',
      text: 'Hi Jane,\n\nShort note.\n',
      html: '<p>Hi Jane,</p>',
      reply_to: 'replies@acme.test',
      headers: {
        'List-Unsubscribe': '<https://sb.example/u/tok123>',
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        'X-Switchboard-Draft': 'drf_123',
      },
      // Resend allows only [A-Za-z0-9_-] in tags.
      tags: [
        { name: 'draft_id', value: 'drf_123' },
        { name: 'workspace', value: 'ws_1_a' },
      ],
    });
    expect(fake.emails).toHaveLength(1);
    expect(sent).toEqual({ provider: 'resend', providerMessageId: fake.emails[0]!.id });
  });

  it('leaves out optional fields that are not set', async () => {
    await sender.send(
      email({ from: { email: 'sales@acme.test' }, replyTo: undefined, html: undefined, headers: {}, tags: undefined }),
    );
    const body = fake.requests[0]!.body;
    expect(body.from).toBe('sales@acme.test');
    expect(Object.keys(body).sort()).toEqual(['from', 'subject', 'text', 'to']);
  });

  it('retries a 500 with the same Idempotency-Key and succeeds', async () => {
    fake.failNext(2, 500);
    const sent = await sender.send(email());
    expect(fake.requests).toHaveLength(3);
    expect(new Set(fake.requests.map((r) => r.idempotencyKey))).toEqual(new Set(['draft-drf_123']));
    expect(fake.emails).toHaveLength(1);
    expect(sent.providerMessageId).toBe(fake.emails[0]!.id);
  });

  it('gives up after three 5xx answers with a retryable upstream_error', async () => {
    fake.failNext(5, 503, { name: 'service_unavailable' });
    const err = await caught(sender.send(email()));
    expect(fake.requests).toHaveLength(3);
    expect(err.code).toBe('upstream_error');
    expect(err.details).toMatchObject({ provider: 'resend', permanent: false, status: 503 });
    expect(isPermanentSendFailure(err)).toBe(false);
    expect(fake.emails).toHaveLength(0);
  });

  it('waits out a short Retry-After on 429 before trying again', async () => {
    fake.failNext(1, 429, { retryAfter: '1' });
    const started = Date.now();
    await sender.send(email());
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(fake.requests).toHaveLength(2);
    expect(fake.emails).toHaveLength(1);
  });

  it('does not wait out a long Retry-After: reports it for the job to schedule', async () => {
    fake.failNext(1, 429, { retryAfter: '120' });
    const started = Date.now();
    const err = await caught(sender.send(email()));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(fake.requests).toHaveLength(1);
    expect(err.code).toBe('upstream_error');
    expect(err.details).toMatchObject({
      provider: 'resend',
      permanent: false,
      status: 429,
      retry_after_s: 120,
      name: 'rate_limit_exceeded',
    });
  });

  it('times out a hanging request, retries, then reports upstream_error', async () => {
    const quick = new ResendSender({ apiKey: fake.apiKey, baseUrl: fake.url, timeoutMs: 400, backoffMs: 10 });
    fake.hangNext(3);
    const err = await caught(quick.send(email()));
    expect(fake.requests).toHaveLength(3);
    expect(err.code).toBe('upstream_error');
    expect(err.message).toContain('no answer within 400 ms');
    expect(err.details).toMatchObject({ provider: 'resend', permanent: false });
  });

  it('after a lost answer, the retry gets the id of the email already sent, and nothing is sent twice', async () => {
    const quick = new ResendSender({ apiKey: fake.apiKey, baseUrl: fake.url, timeoutMs: 400, backoffMs: 10 });
    fake.hangNext(1, { process: true });
    const sent = await quick.send(email());
    expect(fake.requests).toHaveLength(2);
    expect(fake.emails).toHaveLength(1);
    expect(sent.providerMessageId).toBe(fake.emails[0]!.id);
  });

  it('reports a 422 validation error as permanent, with the provider message, without retrying', async () => {
    const err = await caught(sender.send(email({ from: { email: 'sales@localhost' } })));
    expect(fake.requests).toHaveLength(1);
    expect(err.code).toBe('upstream_error');
    expect(err.details).toMatchObject({ provider: 'resend', permanent: true, status: 422, name: 'validation_error' });
    expect(err.message).toContain('Invalid `from` field');
    expect(isPermanentSendFailure(err)).toBe(true);
  });

  it('dedupes on the idempotency key: the same key answers the same id and sends once', async () => {
    const a = await sender.send(email());
    const b = await sender.send(email());
    const c = await sender.send(email({ idempotencyKey: 'draft-drf_456' }));
    expect(fake.requests).toHaveLength(3);
    expect(fake.emails).toHaveLength(2);
    expect(b.providerMessageId).toBe(a.providerMessageId);
    expect(c.providerMessageId).not.toBe(a.providerMessageId);
  });

  it('reports a refused API key without retrying and without the key in the message', async () => {
    const wrong = new ResendSender({ apiKey: 're_wrong_Key987', baseUrl: fake.url, backoffMs: 10 });
    const err = await caught(wrong.send(email()));
    expect(fake.requests).toHaveLength(1);
    expect(err.code).toBe('upstream_error');
    expect(err.details).toMatchObject({
      provider: 'resend',
      status: 403,
      name: 'invalid_api_key',
      reason: 'auth',
      permanent: false,
    });
    expect(err.message).not.toContain('re_wrong_Key987');
    expect(JSON.stringify(err.details)).not.toContain('re_wrong_Key987');
  });

  it('refuses an email with a line break in a header before calling Resend', async () => {
    const err = await caught(sender.send(email({ headers: { 'X-Note': 'a\nb' } })));
    expect(err.code).toBe('invalid_request');
    expect(fake.requests).toHaveLength(0);
  });
});

it('reports a Resend that cannot be reached as a retryable upstream_error', async () => {
  // A port that was just free: nothing listens there.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));

  const sender = new ResendSender({ apiKey: 're_x', baseUrl: `http://127.0.0.1:${port}`, backoffMs: 10 });
  const err = await caught(sender.send(email()));
  expect(err.code).toBe('upstream_error');
  expect(err.message).toContain('ECONNREFUSED');
  expect(err.details).toMatchObject({ provider: 'resend', permanent: false });
});

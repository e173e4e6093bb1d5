import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/kernel/errors.js';
import { type ResendEvent, toDeliveryReport, verifyResendWebhook } from '../../../src/adapters/mail/resend-webhook.js';

// Signed here with node:crypto, independently of the implementation, following
// https://docs.svix.com/receiving/verifying-payloads/how-manual.
const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const NOW = new Date('2026-11-22T23:41:12Z');
const TS = Math.floor(NOW.getTime() / 1000);

function sign(body: string, opts: { id?: string; ts?: number; secret?: string } = {}): string {
  const key = Buffer.from((opts.secret ?? SECRET).slice('whsec_'.length), 'base64');
  return `v1,${createHmac('sha256', key)
    .update(`${opts.id ?? 'msg_1'}.${opts.ts ?? TS}.${body}`)
    .digest('base64')}`;
}

function headers(
  body: string,
  opts: { id?: string; ts?: number; secret?: string; signature?: string } = {},
): Record<string, string> {
  return {
    'svix-id': opts.id ?? 'msg_1',
    'svix-timestamp': String(opts.ts ?? TS),
    'svix-signature': opts.signature ?? sign(body, opts),
  };
}

// Shapes from Resend's webhook docs (https://resend.com/docs/webhooks/event-types).
const emailData = {
  broadcast_id: '8b146471-e88e-4322-86af-016cd36fd216',
  created_at: '2026-11-22T23:41:11.894719+00:00',
  email_id: '56761188-7520-42d8-8898-ff6fc54ce618',
  message_id: '<111-222-333@email.example.com>',
  from: 'Acme <onboarding@resend.dev>',
  to: ['delivered@resend.dev'],
  subject: 'Sending this example',
  tags: { category: 'confirm_email' },
};
const payload = (type: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ type, created_at: '2026-11-22T23:41:12.126Z', data: { ...emailData, ...extra } });

function rejected(body: string, hdrs: Headers | Record<string, string>, secret = SECRET, now = NOW): AppError {
  let err: unknown;
  try {
    verifyResendWebhook(body, hdrs, secret, now);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('verifyResendWebhook: signatures', () => {
  it('matches the Standard Webhooks / Svix reference vector', () => {
    // The test vector shared by the Svix and Standard Webhooks libraries; the body is not a Resend event,
    // so passing verification shows up as invalid_request from the parser, not unauthorized.
    const vector = (signature: string) =>
      rejected(
        '{"test": 2432232314}',
        {
          'svix-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
          'svix-timestamp': '1614265330',
          'svix-signature': `v1,${signature}`,
        },
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        new Date(1614265330 * 1000),
      );
    expect(vector('g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=').code).toBe('invalid_request');
    const wrong = vector('h0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    expect(wrong.code).toBe('unauthorized');
    // Decodes to the same bytes (the last character's low bits are padding), but is not the signature as sent.
    const noncanonical = vector('g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=');
    expect(noncanonical.code).toBe('unauthorized');
  });

  it('accepts a valid signature, from a Headers object or a plain record in any case', () => {
    const body = payload('email.delivered');
    const fromRecord = verifyResendWebhook(body, headers(body), SECRET, NOW);
    expect(fromRecord.type).toBe('email.delivered');
    const upper = Object.fromEntries(Object.entries(headers(body)).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifyResendWebhook(body, upper, SECRET, NOW).type).toBe('email.delivered');
    expect(verifyResendWebhook(body, new Headers(headers(body)), SECRET, NOW).type).toBe('email.delivered');
  });

  it('rejects a signature made with another secret', () => {
    const body = payload('email.delivered');
    const other = `whsec_${randomBytes(24).toString('base64')}`;
    const err = rejected(body, headers(body, { secret: other }));
    expect(err.code).toBe('unauthorized');
    expect(err.message).toContain('signature');
  });

  it('rejects a body changed after signing, and a signature for another id', () => {
    const body = payload('email.delivered');
    const tampered = body.replace('delivered@resend.dev', 'attacker@evil.test');
    expect(rejected(tampered, headers(body)).code).toBe('unauthorized');
    expect(rejected(body, { ...headers(body), 'svix-id': 'msg_2' }).code).toBe('unauthorized');
  });

  it('rejects timestamps more than five minutes away, either way, and accepts within', () => {
    const body = payload('email.delivered');
    const old = rejected(body, headers(body, { ts: TS - 301 }));
    expect(old.code).toBe('unauthorized');
    expect(old.message).toContain('timestamp');
    expect(rejected(body, headers(body, { ts: TS + 301 })).code).toBe('unauthorized');
    expect(rejected(body, { ...headers(body), 'svix-timestamp': 'soon' }).code).toBe('unauthorized');
    expect(verifyResendWebhook(body, headers(body, { ts: TS - 299 }), SECRET, NOW).type).toBe('email.delivered');
    expect(verifyResendWebhook(body, headers(body, { ts: TS + 299 }), SECRET, NOW).type).toBe('email.delivered');
  });

  it.each(['svix-id', 'svix-timestamp', 'svix-signature'])('rejects a request without %s', (name) => {
    const body = payload('email.delivered');
    const hdrs = headers(body);
    delete hdrs[name];
    const err = rejected(body, hdrs);
    expect(err.code).toBe('unauthorized');
    expect(err.message).toContain('missing');
  });

  it('accepts a header with several signatures when one is valid (secret rotation)', () => {
    const body = payload('email.delivered');
    const stale = sign(body, { secret: `whsec_${randomBytes(24).toString('base64')}` });
    const valid = sign(body);
    const withRotation = {
      ...headers(body),
      'svix-signature': `${stale} v1a,${randomBytes(64).toString('base64')} ${valid}`,
    };
    expect(verifyResendWebhook(body, withRotation, SECRET, NOW).type).toBe('email.delivered');
    const noneValid = { ...headers(body), 'svix-signature': `${stale} v2,${valid.slice(3)}` };
    expect(rejected(body, noneValid).code).toBe('unauthorized');
  });

  it('reports a malformed secret as a configuration error, not as a bad request', () => {
    const body = payload('email.delivered');
    expect(rejected(body, headers(body), 'whsec_not base64!').code).toBe('internal');
  });
});

describe('verifyResendWebhook: events', () => {
  const parse = (body: string, id = 'msg_1'): ResendEvent =>
    verifyResendWebhook(body, headers(body, { id }), SECRET, NOW);

  it('parses email.delivered with the common email fields', () => {
    expect(parse(payload('email.delivered'), 'msg_abc')).toEqual({
      known: true,
      type: 'email.delivered',
      id: 'msg_abc',
      created_at: '2026-11-22T23:41:12.126Z',
      email_id: '56761188-7520-42d8-8898-ff6fc54ce618',
      message_id: '<111-222-333@email.example.com>',
      from: 'Acme <onboarding@resend.dev>',
      to: ['delivered@resend.dev'],
      subject: 'Sending this example',
      tags: { category: 'confirm_email' },
    });
  });

  it.each([
    ['Permanent', 'Suppressed', 'hard'],
    ['Permanent', 'General', 'hard'],
    ['Transient', 'MailboxFull', 'soft'],
    ['Undetermined', 'Undetermined', 'undetermined'],
  ] as const)('parses email.bounced %s/%s as a %s bounce', (type, subType, kind) => {
    const event = parse(
      payload('email.bounced', { bounce: { message: 'The recipient mailbox is unavailable.', subType, type } }),
    );
    if (!event.known || event.type !== 'email.bounced') throw new Error(`unexpected ${event.type}`);
    expect(event.bounce).toEqual({ kind, type, sub_type: subType, message: 'The recipient mailbox is unavailable.' });
    expect(event.email_id).toBe('56761188-7520-42d8-8898-ff6fc54ce618');
  });

  it('parses email.complained and email.opened', () => {
    const complained = parse(payload('email.complained'));
    expect(complained).toMatchObject({
      known: true,
      type: 'email.complained',
      email_id: emailData.email_id,
      to: ['delivered@resend.dev'],
    });
    const opened = parse(payload('email.opened'));
    expect(opened).toMatchObject({ known: true, type: 'email.opened', email_id: emailData.email_id });
  });

  it('parses email.clicked with the link', () => {
    const event = parse(
      payload('email.clicked', {
        click: {
          ipAddress: '122.115.53.11',
          link: 'https://resend.com',
          timestamp: '2026-11-24T05:00:57.163Z',
          userAgent: 'Mozilla/5.0',
        },
      }),
    );
    if (!event.known || event.type !== 'email.clicked') throw new Error(`unexpected ${event.type}`);
    expect(event.click).toEqual({
      link: 'https://resend.com',
      timestamp: '2026-11-24T05:00:57.163Z',
      ip_address: '122.115.53.11',
      user_agent: 'Mozilla/5.0',
    });
  });

  it('passes other event types through with their data', () => {
    const event = parse(payload('email.delivery_delayed'), 'msg_9');
    expect(event.known).toBe(false);
    expect(event.type).toBe('email.delivery_delayed');
    if (event.known) throw new Error('expected an unknown event');
    expect(event.id).toBe('msg_9');
    expect(event.data.email_id).toBe(emailData.email_id);
    const contact = parse(
      JSON.stringify({
        type: 'contact.created',
        created_at: '2026-11-22T23:41:12.126Z',
        data: { id: 'c1', email: 'x@y.test' },
      }),
    );
    expect(contact).toEqual({
      known: false,
      id: 'msg_1',
      type: 'contact.created',
      created_at: '2026-11-22T23:41:12.126Z',
      data: { id: 'c1', email: 'x@y.test' },
    });
  });

  it('reports a signed body that is not a Resend event as invalid_request', () => {
    for (const body of [
      'not json',
      JSON.stringify({ data: {} }),
      JSON.stringify({ type: 'email.bounced', data: { to: ['a@b.test'] } }),
    ]) {
      const err = rejected(body, headers(body));
      expect(err.code).toBe('invalid_request');
    }
  });
});

describe('toDeliveryReport', () => {
  const parse = (body: string, id = 'msg_1'): ResendEvent =>
    verifyResendWebhook(body, headers(body, { id }), SECRET, NOW);
  const base = {
    provider: 'resend',
    reportId: 'msg_7',
    providerMessageId: emailData.email_id,
    // The Message-ID Resend gave the email: replies thread on it.
    messageId: emailData.message_id,
  };

  it('speaks for a delivery, a bounce and a click in provider-neutral terms', () => {
    expect(toDeliveryReport(parse(payload('email.delivered'), 'msg_7'))).toEqual({ ...base, type: 'email.delivered' });
    const bounced = parse(
      payload('email.bounced', { bounce: { message: 'No such user', subType: 'General', type: 'Permanent' } }),
      'msg_7',
    );
    expect(toDeliveryReport(bounced)).toEqual({
      ...base,
      type: 'email.bounced',
      bounce: { kind: 'hard', message: 'No such user' },
    });
    const clicked = parse(payload('email.clicked', { click: { link: 'https://shown.example/' } }), 'msg_7');
    expect(toDeliveryReport(clicked)).toEqual({ ...base, type: 'email.clicked', url: 'https://shown.example/' });
  });

  it('has no report for events that are not about a sent email', () => {
    expect(toDeliveryReport(parse(payload('email.delivery_delayed')))).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/kernel/errors.js';
import type { OutgoingEmail } from '../../../src/kernel/ports.js';
import { formatAddress, isPermanentSendFailure, messageIdFor } from '../../../src/adapters/mail/sender.js';
import { SinkSender } from '../../../src/adapters/mail/sink.js';

const email = (over: Partial<OutgoingEmail> = {}): OutgoingEmail => ({
  from: { email: 'sales@acme.test', name: 'Acme' },
  to: 'jane@example.com',
  subject: 'Hello',
  text: 'Hi',
  headers: { 'X-Switchboard-Draft': 'drf_1' },
  idempotencyKey: 'draft-drf_1',
  ...over,
});

describe('SinkSender', () => {
  it('records the message and answers a synthetic id', async () => {
    const at = new Date('2026-03-01T10:00:00Z');
    const sink = new SinkSender({ now: () => at });
    const sent = await sink.send(email());
    expect(sent.provider).toBe('sink');
    expect(sent.providerMessageId).toMatch(/^sink_[0-9a-f]{24}$/);
    expect(sink.messages()).toEqual([{ providerMessageId: sent.providerMessageId, email: email(), sentAt: at }]);
    expect(sink.messagesTo('JANE@example.com')).toHaveLength(1);
    expect(sink.messagesTo('joe@example.com')).toHaveLength(0);
  });

  it('keeps a copy: changing the email afterwards does not change the record', async () => {
    const sink = new SinkSender();
    const original = email();
    await sink.send(original);
    original.headers['X-Switchboard-Draft'] = 'changed';
    expect(sink.messages()[0]!.email.headers['X-Switchboard-Draft']).toBe('drf_1');
  });

  it('dedupes on the idempotency key like Resend', async () => {
    const sink = new SinkSender();
    const a = await sink.send(email());
    const b = await sink.send(email({ subject: 'Other subject' }));
    const c = await sink.send(email({ idempotencyKey: 'draft-drf_2' }));
    expect(b.providerMessageId).toBe(a.providerMessageId);
    expect(c.providerMessageId).not.toBe(a.providerMessageId);
    expect(sink.messages().map((m) => m.email.subject)).toEqual(['Hello', 'Hello']);
    expect(sink.messages()).toHaveLength(2);
  });

  it('keeps only the most recent messages', async () => {
    const sink = new SinkSender({ capacity: 3 });
    for (let i = 1; i <= 5; i++) await sink.send(email({ idempotencyKey: `k${i}`, subject: `s${i}` }));
    expect(sink.messages().map((m) => m.email.subject)).toEqual(['s3', 's4', 's5']);
    sink.clear();
    expect(sink.messages()).toEqual([]);
  });

  it('fails the next sends on request, permanent or not', async () => {
    const sink = new SinkSender();
    sink.failNext(1);
    const transient = await sink.send(email()).catch((e: unknown) => e);
    expect(transient).toBeInstanceOf(AppError);
    expect((transient as AppError).code).toBe('upstream_error');
    expect(isPermanentSendFailure(transient)).toBe(false);

    sink.failNext(1, { permanent: true });
    const permanent = await sink.send(email()).catch((e: unknown) => e);
    expect(isPermanentSendFailure(permanent)).toBe(true);
    expect(sink.messages()).toHaveLength(0);

    await sink.send(email());
    expect(sink.messages()).toHaveLength(1);
  });

  it('checks messages like a real sender', async () => {
    const sink = new SinkSender();
    const err = await sink.send(email({ to: 'jane@example.com, joe@example.com' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('invalid_request');
    expect((err as AppError).details?.param).toBe('to');
    expect(sink.messages()).toHaveLength(0);
  });
});

describe('mail helpers', () => {
  it('quotes display names that need it', () => {
    expect(formatAddress({ email: 'a@b.test' })).toBe('a@b.test');
    expect(formatAddress({ email: 'a@b.test', name: 'Jane Doe' })).toBe('Jane Doe <a@b.test>');
    expect(formatAddress({ email: 'a@b.test', name: 'Doe, Jane' })).toBe('"Doe, Jane" <a@b.test>');
    expect(formatAddress({ email: 'a@b.test', name: 'J. "JD" Doe' })).toBe('"J. \\"JD\\" Doe" <a@b.test>');
  });

  it('derives a stable Message-ID on the sender domain', () => {
    expect(messageIdFor('k1', 'sales@Acme.test')).toBe(messageIdFor('k1', 'other@acme.test'));
    expect(messageIdFor('k1', 'sales@acme.test')).not.toBe(messageIdFor('k2', 'sales@acme.test'));
    expect(messageIdFor('weird key <with> spaces', 'sales@acme.test')).toMatch(/^<[0-9a-f]{32}@acme\.test>$/);
  });

  it('treats non-upstream AppErrors as permanent and unknown errors as not', () => {
    expect(isPermanentSendFailure(new AppError('invalid_request', 'x'))).toBe(true);
    expect(isPermanentSendFailure(new AppError('upstream_error', 'x', { permanent: false }))).toBe(false);
    expect(isPermanentSendFailure(new Error('boom'))).toBe(false);
  });
});

import { type Server, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/kernel/errors.js';
import type { OutgoingEmail } from '../../../src/kernel/ports.js';
import { isPermanentSendFailure, messageIdFor } from '../../../src/adapters/mail/sender.js';
import { SmtpSender } from '../../../src/adapters/mail/smtp.js';
import { type SmtpSink, startSmtpSink } from '../../helpers/smtp-sink.js';
import { caught } from '../../helpers/errors.js';

// Characters that must survive percent-encoding in the URL and never show up in an error.
const CREDENTIALS = { user: 'mailer@acme.test', pass: 'p@ss:w/rd%Secret9' };

const email = (over: Partial<OutgoingEmail> = {}): OutgoingEmail => ({
  from: { email: 'sales@acme.test', name: 'Acme Sales, Inc.' },
  to: 'jane@example.com',
  replyTo: 'replies@acme.test',
  subject: 'Quick question about Zürich',
  text: 'Hi Jane,\n\nShort note.\n',
  html: '<p>Hi Jane,</p><p>Short note.</p>',
  headers: {
    'List-Unsubscribe': '<https://sb.example/u/tok123>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    'X-Switchboard-Draft': 'drf_123',
  },
  idempotencyKey: 'draft-drf_123',
  ...over,
});

describe('SmtpSender', () => {
  let sink: SmtpSink;
  let sender: SmtpSender;

  beforeEach(async () => {
    sink = await startSmtpSink({ credentials: CREDENTIALS });
    sender = new SmtpSender(sink.url(CREDENTIALS), { timeoutMs: 2000 });
  });
  afterEach(async () => {
    await sender.close();
    await sink.stop();
  });

  it('delivers the message with its headers, logged in with the URL credentials', async () => {
    const sent = await sender.send(email());

    expect(sink.received).toHaveLength(1);
    const got = sink.received[0]!;
    expect(got.auth).toEqual({ username: CREDENTIALS.user, password: CREDENTIALS.pass });
    expect(got.envelope).toEqual({ from: 'sales@acme.test', to: ['jane@example.com'] });
    expect(got.from).toBe('sales@acme.test');
    expect(got.fromName).toBe('Acme Sales, Inc.');
    expect(got.to).toEqual(['jane@example.com']);
    expect(got.replyTo).toBe('replies@acme.test');
    expect(got.subject).toBe('Quick question about Zürich');
    expect(got.text.trim()).toBe('Hi Jane,\n\nShort note.');
    expect(got.html).toBe('<p>Hi Jane,</p><p>Short note.</p>');
    expect(got.headers['list-unsubscribe']).toBe('<https://sb.example/u/tok123>');
    expect(got.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    expect(got.headers['x-switchboard-draft']).toBe('drf_123');

    expect(sent.provider).toBe('smtp');
    expect(sent.providerMessageId).toBe(messageIdFor('draft-drf_123', 'sales@acme.test'));
    expect(got.messageId).toBe(sent.providerMessageId);
    expect(got.headers['message-id']).toBe(sent.providerMessageId);
    expect(sent.providerMessageId).toMatch(/^<[0-9a-f]{32}@acme\.test>$/);
  });

  it('derives the Message-ID from the idempotency key: same key, same id; other key, other id', async () => {
    const a = await sender.send(email());
    const b = await sender.send(email());
    const c = await sender.send(email({ idempotencyKey: 'draft-drf_456' }));
    expect(sink.received.map((m) => m.messageId)).toEqual([
      a.providerMessageId,
      a.providerMessageId,
      c.providerMessageId,
    ]);
    expect(b.providerMessageId).toBe(a.providerMessageId);
    expect(c.providerMessageId).not.toBe(a.providerMessageId);
  });

  it('reports a 4xx deferral as a retryable upstream_error, and the retry goes through', async () => {
    // The server echoes the login name, which must not reach the error.
    sink.rejectNext(1, 450, { stage: 'data', message: `Greylisted ${CREDENTIALS.user}, try again later` });
    const err = await caught(sender.send(email()));
    expect(err.code).toBe('upstream_error');
    expect(err.details).toMatchObject({ provider: 'smtp', permanent: false, smtp_code: 450 });
    expect(err.message).toContain('450 Greylisted ***, try again later');
    expect(err.message).not.toContain(CREDENTIALS.user);
    expect(isPermanentSendFailure(err)).toBe(false);
    expect(sink.received).toHaveLength(0);

    await sender.send(email());
    expect(sink.received).toHaveLength(1);
  });

  it('reports 550 mailbox unavailable as a permanent upstream_error', async () => {
    sink.rejectNext(1, 550, { stage: 'rcpt', message: 'Mailbox unavailable' });
    const err = await caught(sender.send(email()));
    expect(err.code).toBe('upstream_error');
    expect(err.details).toMatchObject({ provider: 'smtp', permanent: true, smtp_code: 550 });
    expect(err.message).toContain('550');
    expect(err.message).toContain('Mailbox unavailable');
    expect(isPermanentSendFailure(err)).toBe(true);
    expect(sink.received).toHaveLength(0);
  });

  it('reports a server that is down as a retryable upstream_error without the credentials', async () => {
    await sink.stop();
    const err = await caught(sender.send(email()));
    expect(err.code).toBe('upstream_error');
    expect(err.details).toMatchObject({ provider: 'smtp', permanent: false });
    expect(err.message).toContain(`127.0.0.1:${sink.port}`);
    expect(err.message).toContain('ECONNREFUSED');
    for (const secret of [
      CREDENTIALS.pass,
      encodeURIComponent(CREDENTIALS.pass),
      CREDENTIALS.user,
      encodeURIComponent(CREDENTIALS.user),
    ]) {
      expect(err.message).not.toContain(secret);
      expect(JSON.stringify(err.details)).not.toContain(secret);
    }
  });

  it('reports a rejected login as upstream_error naming the cause, without the password', async () => {
    const wrong = new SmtpSender(sink.url({ user: CREDENTIALS.user, pass: 'wrong-Pa55' }), { timeoutMs: 2000 });
    const err = await caught(wrong.send(email()));
    await wrong.close();
    expect(err.code).toBe('upstream_error');
    expect(err.details).toMatchObject({ provider: 'smtp', smtp_code: 535, reason: 'auth', permanent: false });
    expect(err.message).toContain('refused the login');
    expect(err.message).not.toContain('wrong-Pa55');
    expect(sink.received).toHaveLength(0);
  });

  it('verifies the configuration by logging in without sending', async () => {
    await sender.verify();
    const wrong = new SmtpSender(sink.url({ user: CREDENTIALS.user, pass: 'nope' }), { timeoutMs: 2000 });
    const err = await caught(wrong.verify());
    await wrong.close();
    expect(err.details).toMatchObject({ reason: 'auth', smtp_code: 535 });
    expect(sink.received).toHaveLength(0);
  });

  it('refuses to log in without TLS when TLS is required, and sends nothing', async () => {
    const strict = new SmtpSender(sink.url(CREDENTIALS), { timeoutMs: 2000, requireTls: true });
    const err = await caught(strict.send(email()));
    await strict.close();
    expect(err.code).toBe('upstream_error');
    expect(err.details).toMatchObject({ provider: 'smtp', permanent: false, reason: 'tls' });
    expect(err.message).toContain('STARTTLS');
    expect(err.message).not.toContain(CREDENTIALS.pass);
    expect(sink.received).toHaveLength(0);
  });

  it('refuses header injection before connecting', async () => {
    const err = await caught(sender.send(email({ headers: { 'X-Note': 'a\r\nBcc: victim@example.com' } })));
    expect(err.code).toBe('invalid_request');
    expect(err.details?.param).toBe('headers.X-Note');
    const subject = await caught(sender.send(email({ subject: 'Hi\nBcc: victim@example.com' })));
    expect(subject.code).toBe('invalid_request');
    const reserved = await caught(sender.send(email({ headers: { 'Message-ID': '<x@y>' } })));
    expect(reserved.code).toBe('invalid_request');
    expect(sink.received).toHaveLength(0);
  });
});

describe('SmtpSender timeouts and configuration', () => {
  let silent: Server;
  afterEach(() => new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve())));

  it('reports a server that never greets as a retryable timeout', async () => {
    const sockets: import('node:net').Socket[] = [];
    silent = createServer((socket) => sockets.push(socket)); // accepts, says nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const sender = new SmtpSender(`smtp://u:topsecret@127.0.0.1:${port}`, { timeoutMs: 300 });
    const started = Date.now();
    const err = await caught(sender.send(email()));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err.code).toBe('upstream_error');
    expect(err.details).toMatchObject({ provider: 'smtp', permanent: false });
    expect(err.message).toContain('timed out');
    expect(err.message).not.toContain('topsecret');
    for (const s of sockets) s.destroy();
    await sender.close();
  });

  it('rejects a URL that is not smtp:// or smtps:// without echoing it', () => {
    let err: unknown;
    try {
      new SmtpSender('http://user:hunter2@mail.example.com:587');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('invalid_request');
    expect((err as AppError).message).not.toContain('hunter2');
  });

  it('uses implicit TLS and port 465 for smtps:// and names the endpoint without credentials', () => {
    const sender = new SmtpSender('smtps://user:hunter2@mail.example.com');
    expect(sender.endpoint).toBe('smtps://mail.example.com:465');
    expect(new SmtpSender('smtp://mail.example.com').endpoint).toBe('smtp://mail.example.com:587');
  });
});

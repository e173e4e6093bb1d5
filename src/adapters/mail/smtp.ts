import nodemailer, { type NodemailerError, type SMTPTransportOptions } from 'nodemailer';
import { AppError } from '../../kernel/errors.js';
import type { MailSender, OutgoingEmail, SentEmail } from '../../kernel/ports.js';
import { assertSendable, messageIdFor, sendFailure } from './sender.js';

export interface SmtpOptions {
  /** Upper bound for connecting, the greeting and each later reply, in ms. Nodemailer's defaults (2 and 10 minutes) would hold a send job far too long. */
  timeoutMs?: number;
  /**
   * Refuse to go on without STARTTLS. Defaults to true when the URL carries credentials and the
   * host is not loopback, so a password never crosses a network in clear text.
   */
  requireTls?: boolean;
  /** Name sent with EHLO; nodemailer's default is the machine's hostname. */
  ehloName?: string;
  /** Accept self-signed certificates (a local relay); never for a real provider. */
  allowSelfSignedCertificate?: boolean;
}

interface SmtpTarget {
  host: string;
  port: number;
  secure: boolean;
  user: string | undefined;
  pass: string | undefined;
}

/**
 * Sends through an SMTP server, from a URL `smtp://user:pass@host:587` (STARTTLS when offered) or
 * `smtps://user:pass@host:465` (implicit TLS). One connection per message: outreach volumes are
 * small and a fresh connection never inherits a broken one's state. It does not retry itself:
 * a message the server may have taken before the connection broke must not be sent twice in a loop,
 * so the caller's job decides, guided by `details.permanent`.
 */
export class SmtpSender implements MailSender {
  readonly name = 'smtp' as const;
  private readonly target: SmtpTarget;
  private readonly transport: ReturnType<typeof nodemailer.createTransport>;

  constructor(url: string, options: SmtpOptions = {}) {
    this.target = parseSmtpUrl(url);
    const { host, port, secure, user, pass } = this.target;
    const timeout = options.timeoutMs ?? 30_000;
    const config: SMTPTransportOptions = {
      host,
      port,
      secure,
      requireTLS: !secure && (options.requireTls ?? (user !== undefined && !isLoopback(host))),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout * 2,
      dnsTimeout: timeout,
      // Bodies come from drafts; nothing in them may make the process read files or fetch URLs.
      disableFileAccess: true,
      disableUrlAccess: true,
      logger: false,
      ...(user !== undefined ? { auth: { user, pass: pass ?? '' } } : {}),
      ...(options.ehloName ? { name: options.ehloName } : {}),
      ...(options.allowSelfSignedCertificate ? { tls: { rejectUnauthorized: false } } : {}),
    };
    this.transport = nodemailer.createTransport(config);
  }

  /** Where mail goes, without credentials: safe for messages and logs. */
  get endpoint(): string {
    return `${this.target.secure ? 'smtps' : 'smtp'}://${this.target.host}:${this.target.port}`;
  }

  async send(email: OutgoingEmail): Promise<SentEmail> {
    assertSendable(email);
    const messageId = messageIdFor(email.idempotencyKey, email.from.email);
    try {
      const info = await this.transport.sendMail({
        from: email.from.name ? { name: email.from.name, address: email.from.email } : email.from.email,
        to: email.to,
        ...(email.replyTo ? { replyTo: email.replyTo } : {}),
        subject: email.subject,
        text: email.text,
        ...(email.html !== undefined ? { html: email.html } : {}),
        headers: email.headers,
        messageId,
      });
      // With one recipient a refusal throws; this catches a server that accepts DATA yet lists it as rejected.
      if (info.rejected && info.rejected.length > 0) {
        throw sendFailure(`SMTP server ${this.endpoint} rejected the recipient`, { provider: 'smtp', permanent: true });
      }
      return {
        provider: 'smtp',
        providerMessageId: info.messageId || messageId,
        messageId: info.messageId || messageId,
      };
    } catch (err) {
      throw this.toSendFailure(err);
    }
  }

  /** Connects and logs in without sending, to check the configuration at start-up. */
  async verify(): Promise<void> {
    try {
      await this.transport.verify();
    } catch (err) {
      throw this.toSendFailure(err);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }

  /** Maps nodemailer's errors; every text taken from the server passes through `redact`, as a server may echo the user name. */
  private toSendFailure(err: unknown): AppError {
    if (err instanceof AppError) return err;
    const e = err as NodemailerError;
    const where = this.endpoint;
    const code = e.responseCode;
    if (e.code === 'ETLS') {
      // Comes with the server's reply to STARTTLS (often 500): a setup fault, not a verdict on the message.
      return sendFailure(
        `SMTP server ${where} could not start TLS (STARTTLS), which is required before logging in`,
        { provider: 'smtp', permanent: false, reason: 'tls' },
        err,
      );
    }
    if (typeof code === 'number' && code >= 400) {
      const reply = this.redact((e.response ?? '').slice(0, 300));
      if (e.code === 'EAUTH') {
        // The credentials, not the message, are wrong: worth retrying once an operator fixes them.
        return sendFailure(
          `SMTP server ${where} refused the login (${code}); check the user and password in the SMTP URL`,
          { provider: 'smtp', permanent: false, smtp_code: code, reason: 'auth' },
          err,
        );
      }
      // 5xx is a final no (RFC 5321 4.2.1); 503 "bad sequence" is the exception, a protocol hiccup rather than a verdict.
      const permanent = code >= 500 && code !== 503;
      const verb = permanent ? 'rejected the message' : 'deferred the message';
      return sendFailure(
        `SMTP server ${where} ${verb} (${code}): ${reply}`,
        { provider: 'smtp', permanent, smtp_code: code },
        err,
      );
    }
    if (e.code === 'ETIMEDOUT') {
      return sendFailure(
        `SMTP server ${where} timed out (${e.timeoutType ?? 'no reply'})`,
        { provider: 'smtp', permanent: false },
        err,
      );
    }
    if (e.code === 'EENVELOPE') {
      // No reply code: nodemailer itself found the envelope unusable (no valid recipient).
      return sendFailure(
        `SMTP refused the message before sending: ${this.redact(e.message ?? '')}`,
        { provider: 'smtp', permanent: true },
        err,
      );
    }
    const reason = e.originalCode ?? e.code ?? 'error';
    return sendFailure(`Could not reach SMTP server ${where} (${reason})`, { provider: 'smtp', permanent: false }, err);
  }

  private redact(text: string): string {
    let out = text;
    for (const secret of [this.target.user, this.target.pass]) {
      if (!secret) continue;
      for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join('***');
    }
    return out;
  }
}

function parseSmtpUrl(url: string): SmtpTarget {
  // The URL holds a password: no part of it goes into the error.
  const invalid = () =>
    new AppError(
      'invalid_request',
      'The SMTP URL must look like smtp://user:password@host:587 or smtps://user:password@host:465',
    );
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid();
  }
  const secure = parsed.protocol === 'smtps:';
  if (!secure && parsed.protocol !== 'smtp:') throw invalid();
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw invalid();
  const port = parsed.port ? Number(parsed.port) : secure ? 465 : 587;
  return {
    host,
    port,
    secure,
    user: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    pass: parsed.password ? decodeURIComponent(parsed.password) : undefined,
  };
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

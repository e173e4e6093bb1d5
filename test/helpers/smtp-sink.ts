import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** MAIL FROM / RCPT TO, as the server saw them. */
  envelope: { from: string; to: string[] };
  /** The login the client used, if any. */
  auth: { username: string; password: string } | null;
  /** The From header's address and display name. */
  from: string;
  fromName: string;
  to: string[];
  replyTo: string | null;
  subject: string;
  text: string;
  html: string | null;
  messageId: string | null;
  /** Header fields as they arrived on the wire: lower-case names, unfolded values, first occurrence. */
  headers: Record<string, string>;
}

export interface SmtpSink {
  port: number;
  /** `smtp://user:pass@127.0.0.1:port`, the credentials percent-encoded. */
  url(credentials?: { user: string; pass: string }): string;
  received: ReceivedMail[];
  /** The next `n` messages are refused with `code`, at RCPT TO (default) or after DATA. */
  rejectNext(n: number, code: number, options?: { stage?: 'rcpt' | 'data'; message?: string }): void;
  /** Stops listening: later connections are refused. */
  stop(): Promise<void>;
}

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

/**
 * A real SMTP server on loopback (the `smtp-server` package), messages parsed with `mailparser`.
 * With `credentials`, a login is required and checked (535 otherwise). No STARTTLS: the tests send
 * to loopback, where the sender does not require TLS.
 */
export async function startSmtpSink(options: { credentials?: { user: string; pass: string } } = {}): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  let rejections = { left: 0, code: 550, stage: 'rcpt' as 'rcpt' | 'data', message: '' };
  const logins = new WeakMap<object, { username: string; password: string }>();
  const takeRejection = (stage: 'rcpt' | 'data') => {
    if (rejections.left === 0 || rejections.stage !== stage) return null;
    rejections.left--;
    return smtpError(rejections.code, rejections.message);
  };

  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    authOptional: !options.credentials,
    allowInsecureAuth: true,
    closeTimeout: 200,
    onAuth(auth, session, callback) {
      const username = auth.username ?? '';
      const password = auth.password ?? '';
      if (options.credentials && (username !== options.credentials.user || password !== options.credentials.pass)) {
        return callback(smtpError(535, 'Authentication failed'));
      }
      logins.set(session, { username, password });
      callback(null, { user: username });
    },
    onRcptTo(_address, _session, callback) {
      callback(takeRejection('rcpt'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const rejection = takeRejection('data');
        if (rejection) return callback(rejection);
        simpleParser(Buffer.concat(chunks))
          .then((mail) => {
            const headers: Record<string, string> = {};
            for (const { key, line } of mail.headerLines) {
              if (key in headers) continue;
              headers[key] = line
                .slice(line.indexOf(':') + 1)
                .replace(/\r?\n(?=[ \t])/g, '')
                .trim();
            }
            const toValue = Array.isArray(mail.to) ? mail.to.flatMap((a) => a.value) : (mail.to?.value ?? []);
            received.push({
              envelope: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((r) => r.address),
              },
              auth: logins.get(session) ?? null,
              from: mail.from?.value[0]?.address ?? '',
              fromName: mail.from?.value[0]?.name ?? '',
              to: toValue.map((a) => a.address ?? ''),
              replyTo: mail.replyTo?.value[0]?.address ?? null,
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              html: typeof mail.html === 'string' ? mail.html : null,
              messageId: mail.messageId ?? null,
              headers,
            });
            callback(null, 'Queued');
          })
          .catch((err: Error) => callback(smtpError(451, `sink could not parse the message: ${err.message}`)));
      });
    },
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  let stopped = false;
  return {
    port,
    url: (credentials) =>
      credentials
        ? `smtp://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.pass)}@127.0.0.1:${port}`
        : `smtp://127.0.0.1:${port}`,
    received,
    rejectNext: (n, code, opts = {}) => {
      rejections = {
        left: n,
        code,
        stage: opts.stage ?? 'rcpt',
        message: opts.message ?? (code >= 500 ? 'Mailbox unavailable' : 'Try again later'),
      };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (stopped) return resolve();
        stopped = true;
        server.close(() => resolve());
      }),
  };
}

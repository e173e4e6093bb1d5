import { createHash } from 'node:crypto';
import { AppError } from '../../kernel/errors.js';
import type { OutgoingEmail, SendFailureDetails } from '../../kernel/ports.js';

export function sendFailure(message: string, details: SendFailureDetails, cause?: unknown): AppError {
  return new AppError('upstream_error', message, details, cause === undefined ? undefined : { cause });
}

/** Whether a send error means "do not try this message again". Non-upstream AppErrors are the caller's fault, so permanent too. */
export function isPermanentSendFailure(err: unknown): boolean {
  if (!(err instanceof AppError)) return false;
  return err.code !== 'upstream_error' || err.details?.permanent === true;
}

/**
 * The Message-ID a message is sent with: derived from the idempotency key, so a retry carries the
 * same id (receivers and threading see one message) and replies can be matched by In-Reply-To.
 * Hashed because a key may hold characters a msg-id cannot; the right side is the sender's domain,
 * since spam filters score ids without a real domain.
 */
export function messageIdFor(idempotencyKey: string, fromEmail: string): string {
  const hash = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32);
  const domain = fromEmail.slice(fromEmail.lastIndexOf('@') + 1).toLowerCase() || 'switchboard';
  return `<${hash}@${domain}>`;
}

/** `Name <email>` with the name quoted when RFC 5322 needs it (commas, quotes, dots...). */
export function formatAddress(from: OutgoingEmail['from']): string {
  if (!from.name) return from.email;
  const name = /^[\w !#$%&'*+\-/=?^`{|}~]+$/.test(from.name) ? from.name : `"${from.name.replace(/["\\]/g, '\\$&')}"`;
  return `${name} <${from.email}>`;
}

// Set by the adapters themselves; a caller's copy would duplicate or contradict them.
const RESERVED_HEADERS = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'subject',
  'date',
  'message-id',
  'sender',
  'return-path',
  'content-type',
  'content-transfer-encoding',
  'mime-version',
]);
const HEADER_NAME = /^[!-9;-~]+$/; // RFC 5322 field name: printable ASCII except colon

/**
 * Refuses what would let a field spill into the header block (CR/LF: header injection) or clash
 * with headers the adapter writes. Thrown as `invalid_request`: resending cannot help.
 */
export function assertSendable(email: OutgoingEmail): void {
  const bad = (param: string, why: string) => new AppError('invalid_request', `Email ${param} ${why}`, { param });
  const singleLine: [string, string | undefined][] = [
    ['to', email.to],
    ['from.email', email.from.email],
    ['from.name', email.from.name],
    ['reply_to', email.replyTo],
    ['subject', email.subject],
  ];
  for (const [param, value] of singleLine)
    if (value !== undefined && /[\r\n]/.test(value)) throw bad(param, 'must not contain line breaks');
  for (const param of ['to', 'from.email'] as const) {
    const value = param === 'to' ? email.to : email.from.email;
    if (!/^[^\s@<>,;]+@[^\s@<>,;]+$/.test(value)) throw bad(param, `is not a single email address`);
  }
  if (!email.idempotencyKey) throw bad('idempotency_key', 'must not be empty');
  for (const [name, value] of Object.entries(email.headers)) {
    if (!HEADER_NAME.test(name)) throw bad(`headers.${name}`, 'is not a valid header name');
    if (RESERVED_HEADERS.has(name.toLowerCase()))
      throw bad(`headers.${name}`, 'is set by the mail adapter and cannot be given as a header');
    if (/[\r\n]/.test(value)) throw bad(`headers.${name}`, 'must not contain line breaks');
  }
}

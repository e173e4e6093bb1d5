import type { AddressObject } from 'mailparser';
import { AppError } from '../../../kernel/errors.js';
import type { InboundEmail } from './inbound-email.js';

/** The largest raw message accepted, by the hook and from a mailbox: mail with big attachments is not a reply to triage. */
export const MAX_RAW_EMAIL_BYTES = 10 * 1024 * 1024;

// A header value longer than this is cut: nothing downstream reads past it (DKIM signatures, Received chains).
const MAX_HEADER_VALUE = 4000;
const MAX_HEADERS = 200;
// The first line of an RFC 5322 message is a header field: printable name, colon. (An mbox "From " line is tolerated.)
const FIRST_LINE = /^(?:[\x21-\x39\x3b-\x7e]+:|From )/;

const stripBrackets = (id: string) => id.trim().replace(/^<|>$/g, '').trim();

/** `<a@x> <b@y>` (or a list of them) → ids without brackets, in order. */
function messageIds(value: string | string[] | undefined): string[] {
  const all = Array.isArray(value) ? value.join(' ') : (value ?? '');
  const bracketed = all.match(/<[^<>\s]+>/g);
  const ids = bracketed ? bracketed.map(stripBrackets) : all.split(/\s+/).map(stripBrackets);
  return ids.filter((id) => id.length > 0 && id.length <= 998);
}

const addresses = (field: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(field) ? field : field ? [field] : [])
    .flatMap((a) => a.value)
    .flatMap((v) => (v.group ? v.group : [v]))
    .map((v) => v.address?.trim().toLowerCase())
    .filter((a): a is string => Boolean(a?.includes('@')));

/** Header fields as they arrived, unfolded: names lower-cased, repeated fields joined with ', '. */
function headerMap(lines: ReadonlyArray<{ key: string; line: string }>): Record<string, string> {
  const out: Record<string, string> = {};
  let count = 0;
  for (const { key, line } of lines) {
    const name = key.toLowerCase();
    const value = line
      .slice(line.indexOf(':') + 1)
      .replace(/\r?\n[ \t]+/g, ' ')
      .trim()
      .slice(0, MAX_HEADER_VALUE);
    if (name in out) out[name] = `${out[name]}, ${value}`.slice(0, MAX_HEADER_VALUE);
    else if (count++ < MAX_HEADERS) out[name] = value;
  }
  return out;
}

/**
 * Parses a raw RFC 5322 message (multipart, quoted-printable, base64, any charset mailparser knows)
 * into an InboundEmail. HTML-only mail gets its text from the HTML; attachments are counted, never
 * kept. Fails with `payload_too_large` above MAX_RAW_EMAIL_BYTES and `invalid_request` for input
 * that is not a message (no header block, no From address).
 */
export async function parseRawEmail(raw: Buffer): Promise<InboundEmail> {
  if (raw.length > MAX_RAW_EMAIL_BYTES)
    throw new AppError(
      'payload_too_large',
      `An email larger than ${MAX_RAW_EMAIL_BYTES / 1024 / 1024} MB is not accepted`,
    );
  const head = raw.subarray(0, 1000).toString('latin1');
  if (!FIRST_LINE.test(head) || head.includes('\0'))
    throw new AppError('invalid_request', 'The body is not an RFC 5322 email: it does not start with a header field');
  // Loaded on first use: most processes (stdio sessions, CLI commands) never parse an email.
  const { simpleParser } = await import('mailparser');
  const mail = await simpleParser(raw, {
    skipImageLinks: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    // keepDeliveryStatus stays off: mailparser then keeps a DSN's machine-readable part (Action,
    // Status) in the text, where it tells a hard bounce from a delay.
  });
  const from = mail.from?.value.flatMap((v) => (v.group ? v.group : [v])).find((v) => v.address?.includes('@'));
  if (!from?.address)
    throw new AppError('invalid_request', 'The email has no From address, so it cannot be a reply', { param: 'from' });
  const contentType = mail.headers.get('content-type') as { value?: string } | undefined;
  const date = mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date : null;
  let text = (mail.text ?? '').replace(/\r\n/g, '\n').trim();
  // A delivery report returns the headers of the email that bounced (or all of it): they say which
  // sent email it was, so they join the text, and nothing more of the returned message does.
  if (contentType?.value?.toLowerCase() === 'multipart/report') {
    for (const a of mail.attachments) {
      if (a.contentType !== 'text/rfc822-headers' && a.contentType !== 'message/rfc822') continue;
      const returned = a.content.subarray(0, 16_384).toString('utf8').replace(/\r\n/g, '\n');
      text += `\n\n${returned.split('\n\n')[0]!.trim()}`;
    }
  }
  return {
    messageId: messageIds(mail.messageId)[0] ?? null,
    inReplyTo: messageIds(mail.inReplyTo)[0] ?? null,
    references: messageIds(mail.references),
    from: { address: from.address.trim().toLowerCase(), name: from.name?.trim() || null },
    to: addresses(mail.to),
    subject: mail.subject ?? null,
    text,
    headers: headerMap(mail.headerLines),
    contentType: contentType?.value?.toLowerCase() ?? null,
    receivedAt: date,
    attachmentCount: mail.attachments.length,
  };
}

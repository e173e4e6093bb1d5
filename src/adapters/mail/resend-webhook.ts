import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../kernel/errors.js';
import type { DeliveryReport } from '../../kernel/ports.js';

/*
 * Resend signs webhooks the Svix way (https://resend.com/docs/webhooks/verify-webhooks-requests,
 * https://docs.svix.com/receiving/verifying-payloads/how-manual): headers `svix-id`, `svix-timestamp`
 * (Unix seconds) and `svix-signature` (space-separated `v1,<base64>` entries, several while a secret
 * is being rotated); the signature is HMAC-SHA256, keyed with the base64 part of the `whsec_...`
 * secret, over `${id}.${timestamp}.${rawBody}`. The `svix` package does the same, but it reads the
 * wall clock itself; doing it here lets the caller's clock decide what "too old" means.
 */

const TOLERANCE_S = 5 * 60;

/** Payload fields are Resend's (https://resend.com/docs/webhooks/event-types; bounce and click fields as in
 * https://resend.com/docs/webhooks/emails/bounced and .../clicked): `{ type, created_at, data: {...} }`. */
interface ResendEmailEventBase {
  known: true;
  /** The `svix-id` header: the same on every redelivery of one event. Resend delivers at least once, so dedupe on it. */
  id: string;
  /** Top-level `created_at`: when the event happened. Events can arrive out of order. */
  created_at: string;
  /** `data.email_id`: the id `POST /emails` answered, i.e. `SentEmail.providerMessageId`. */
  email_id: string;
  /** `data.message_id`: the Message-ID header Resend gave the email, when present. */
  message_id: string | null;
  /** `data.from`, as `Name <email>`. */
  from: string | null;
  /** `data.to`: the recipients the event is about. */
  to: string[];
  subject: string | null;
  /** `data.tags`, as sent with the email. */
  tags: Record<string, string>;
}

interface ResendBounce {
  /**
   * From `data.bounce.type`: `Permanent` → hard (never deliverable: suppress the address),
   * `Transient` → soft (mailbox full, message too large...; may succeed later), `Undetermined` → undetermined.
   */
  kind: 'hard' | 'soft' | 'undetermined';
  /** `data.bounce.type` as Resend sent it. */
  type: string;
  /** `data.bounce.subType`, e.g. `General`, `NoEmail`, `Suppressed`, `MailboxFull`. */
  sub_type: string | null;
  /** `data.bounce.message`: the receiving server's diagnostic. */
  message: string | null;
}

interface ResendClick {
  /** `data.click.link`: the URL that was clicked. */
  link: string;
  /** `data.click.timestamp`, `ipAddress`, `userAgent`. */
  timestamp: string | null;
  ip_address: string | null;
  user_agent: string | null;
}

type ResendEmailEvent =
  | (ResendEmailEventBase & { type: 'email.delivered' })
  | (ResendEmailEventBase & { type: 'email.bounced'; bounce: ResendBounce })
  | (ResendEmailEventBase & { type: 'email.complained' })
  | (ResendEmailEventBase & { type: 'email.opened' })
  | (ResendEmailEventBase & { type: 'email.clicked'; click: ResendClick });

/** Any other event (`email.sent`, `email.delivery_delayed`, `contact.created`, ...), passed through. */
interface ResendOtherEvent {
  /** `known` tells the two apart: TypeScript cannot narrow on `type` once one member's type is `string`. */
  known: false;
  id: string;
  type: string;
  created_at: string | null;
  data: Record<string, unknown>;
}

export type ResendEvent = ResendEmailEvent | ResendOtherEvent;

type HeaderBag = Headers | Record<string, string | string[] | undefined>;

/**
 * Checks a Resend webhook's signature and age, then parses it. Throws `unauthorized` when the
 * request is not provably from Resend (missing headers, no matching signature, timestamp more than
 * five minutes from `now`), `invalid_request` when a signed body is not a Resend event.
 * `rawBody` must be the exact bytes received, not re-serialised JSON.
 */
export function verifyResendWebhook(rawBody: string, headers: HeaderBag, secret: string, now: Date): ResendEvent {
  const id = header(headers, 'svix-id');
  const timestamp = header(headers, 'svix-timestamp');
  const signatures = header(headers, 'svix-signature');
  if (!id || !timestamp || !signatures) {
    throw new AppError('unauthorized', 'Webhook is missing the svix-id, svix-timestamp or svix-signature header');
  }
  if (!/^\d+$/.test(timestamp) || Math.abs(now.getTime() / 1000 - Number(timestamp)) > TOLERANCE_S) {
    throw new AppError('unauthorized', 'Webhook timestamp is more than 5 minutes from now (replayed or clock skew)');
  }
  // Compared as canonical base64 text, as the Svix libraries do: Buffer's lenient decoding would also take non-canonical spellings.
  const expected = Buffer.from(
    createHmac('sha256', secretKey(secret)).update(`${id}.${timestamp}.${rawBody}`).digest('base64'),
  );
  const matches = signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new AppError('unauthorized', 'Webhook signature does not match the configured secret');
  return parseEvent(id, rawBody);
}

function secretKey(secret: string): Buffer {
  const b64 = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    // A configuration fault, not the caller's: every webhook would fail, so say so plainly.
    throw new AppError('internal', 'The Resend webhook signing secret is not a whsec_<base64> secret');
  }
  return Buffer.from(b64, 'base64');
}

function header(headers: HeaderBag, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(' ') : value;
  }
  return undefined;
}

const EMAIL_EVENTS = new Set(['email.delivered', 'email.bounced', 'email.complained', 'email.opened', 'email.clicked']);

function parseEvent(id: string, rawBody: string): ResendEvent {
  const malformed = (why: string) => new AppError('invalid_request', `Webhook body is not a Resend event: ${why}`);
  let payload: unknown;
  try {
    payload = JSON.parse(rawBody);
  } catch {
    throw malformed('not JSON');
  }
  if (!isObject(payload) || typeof payload.type !== 'string') throw malformed('no type');
  const data = isObject(payload.data) ? payload.data : {};
  const createdAt = str(payload.created_at);
  if (!EMAIL_EVENTS.has(payload.type)) return { known: false, id, type: payload.type, created_at: createdAt, data };

  const emailId = str(data.email_id);
  if (!emailId) throw malformed(`${payload.type} without data.email_id`);
  const base: ResendEmailEventBase = {
    known: true,
    id,
    created_at: createdAt ?? str(data.created_at) ?? '',
    email_id: emailId,
    message_id: str(data.message_id),
    from: str(data.from),
    to: Array.isArray(data.to)
      ? data.to.filter((t): t is string => typeof t === 'string')
      : typeof data.to === 'string'
        ? [data.to]
        : [],
    subject: str(data.subject),
    tags: parseTags(data.tags),
  };
  switch (payload.type) {
    case 'email.bounced': {
      const bounce = isObject(data.bounce) ? data.bounce : {};
      const type = str(bounce.type) ?? 'Undetermined';
      const kind = type === 'Permanent' ? 'hard' : type === 'Transient' ? 'soft' : 'undetermined';
      return {
        ...base,
        type: 'email.bounced',
        bounce: { kind, type, sub_type: str(bounce.subType), message: str(bounce.message) },
      };
    }
    case 'email.clicked': {
      const click = isObject(data.click) ? data.click : {};
      const link = str(click.link);
      if (!link) throw malformed('email.clicked without data.click.link');
      return {
        ...base,
        type: 'email.clicked',
        click: {
          link,
          timestamp: str(click.timestamp),
          ip_address: str(click.ipAddress),
          user_agent: str(click.userAgent),
        },
      };
    }
    default:
      return { ...base, type: payload.type as 'email.delivered' | 'email.complained' | 'email.opened' };
  }
}

/** The event as a provider-neutral delivery report, or null for an event that is not about a sent email's delivery. */
export function toDeliveryReport(event: ResendEvent): DeliveryReport | null {
  if (!event.known) return null;
  const base = {
    provider: 'resend' as const,
    reportId: event.id,
    providerMessageId: event.email_id,
    messageId: event.message_id,
  };
  switch (event.type) {
    case 'email.bounced':
      return { ...base, type: event.type, bounce: { kind: event.bounce.kind, message: event.bounce.message } };
    case 'email.clicked':
      return { ...base, type: event.type, url: event.click.link };
    default:
      return { ...base, type: event.type };
  }
}

/** `data.tags` is an object in Resend's payloads; the `[{ name, value }]` form the send API takes is accepted too. */
function parseTags(tags: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(tags)) {
    for (const t of tags)
      if (isObject(t) && typeof t.name === 'string' && typeof t.value === 'string') out[t.name] = t.value;
  } else if (isObject(tags)) {
    for (const [k, v] of Object.entries(tags)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

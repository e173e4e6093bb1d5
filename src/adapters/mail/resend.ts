import type { AppError } from '../../kernel/errors.js';
import type { MailSender, OutgoingEmail, SentEmail } from '../../kernel/ports.js';
import { assertSendable, formatAddress, sendFailure } from './sender.js';

export interface ResendConfig {
  apiKey: string;
  /** Default https://api.resend.com; tests point it at a local fake. */
  baseUrl?: string;
  /** Per attempt, in ms. */
  timeoutMs?: number;
  tries?: number;
  /** First backoff between tries, doubled each time, in ms. */
  backoffMs?: number;
  /** A Retry-After longer than this is not waited out in-process: the error reports it instead. */
  maxRetryAfterMs?: number;
}

/** Resend's error body: https://resend.com/docs/api-reference/errors — `{ statusCode, name, message }`. */
interface ResendErrorBody {
  statusCode?: number;
  name?: string;
  message?: string;
}

type Attempt = { ok: true; id: string } | { ok: false; error: AppError; retry: boolean; waitMs?: number };

/**
 * Sends through Resend's HTTP API (POST {baseUrl}/emails, https://resend.com/docs/api-reference/emails/send-email).
 * Every try carries the same `Idempotency-Key`, so Resend sends a message once however often a
 * timed-out or failed request is repeated (keys are kept 24 hours). Retries 429, 5xx, timeouts,
 * network errors and 409 `concurrent_idempotent_requests`; anything else is a permanent rejection.
 */
export class ResendSender implements MailSender {
  readonly name = 'resend' as const;
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly tries: number;
  private readonly backoffMs: number;
  private readonly maxRetryAfterMs: number;

  constructor(private readonly config: ResendConfig) {
    this.url = `${(config.baseUrl ?? 'https://api.resend.com').replace(/\/+$/, '')}/emails`;
    this.timeoutMs = config.timeoutMs ?? 15_000;
    this.tries = Math.max(1, config.tries ?? 3);
    this.backoffMs = config.backoffMs ?? 500;
    this.maxRetryAfterMs = config.maxRetryAfterMs ?? 10_000;
  }

  async send(email: OutgoingEmail): Promise<SentEmail> {
    assertSendable(email);
    const body = JSON.stringify(toResendBody(email));
    let last: Attempt | undefined;
    for (let attempt = 1; attempt <= this.tries; attempt++) {
      last = await this.attempt(body, email.idempotencyKey);
      if (last.ok) return { provider: 'resend', providerMessageId: last.id };
      if (!last.retry || attempt === this.tries) break;
      await sleep(last.waitMs ?? this.backoffMs * 2 ** (attempt - 1));
    }
    throw (last as Extract<Attempt, { ok: false }>).error;
  }

  private async attempt(body: string, idempotencyKey: string): Promise<Attempt> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.config.apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': idempotencyKey,
          'user-agent': 'switchboard',
        },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError';
      const reason = timedOut ? `no answer within ${this.timeoutMs} ms` : networkReason(err);
      return {
        ok: false,
        retry: true,
        error: sendFailure(`Resend did not answer (${reason})`, { provider: 'resend', permanent: false }, err),
      };
    }
    const text = await res.text().catch(() => '');
    if (res.ok) {
      const id = parseJson<{ id?: unknown }>(text)?.id;
      if (typeof id === 'string' && id) return { ok: true, id };
      // It may well have been sent: not permanent, and a retry with the same key returns the same id.
      return {
        ok: false,
        retry: true,
        error: sendFailure('Resend answered without an email id', {
          provider: 'resend',
          permanent: false,
          status: res.status,
        }),
      };
    }
    return this.failure(res, parseJson<ResendErrorBody>(text) ?? {});
  }

  private failure(res: Response, body: ResendErrorBody): Attempt {
    const status = res.status;
    const name = typeof body.name === 'string' ? body.name : undefined;
    const said = [name, typeof body.message === 'string' ? body.message.slice(0, 500) : undefined]
      .filter(Boolean)
      .join(': ');
    const describe = (what: string) => `Resend ${what} (HTTP ${status}${said ? `, ${said}` : ''})`;
    const base = { provider: 'resend' as const, status, ...(name ? { name } : {}) };
    if (status === 429 && (name === 'daily_quota_exceeded' || name === 'monthly_quota_exceeded')) {
      // Seconds of waiting will not lift a quota; the job retries later.
      return {
        ok: false,
        retry: false,
        error: sendFailure(describe('sending quota is used up'), { ...base, permanent: false }),
      };
    }
    if (status === 429 || status >= 500 || (status === 409 && name === 'concurrent_idempotent_requests')) {
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
      const retry_after_s = retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000);
      const error = sendFailure(describe(status === 429 ? 'rate-limited the request' : 'failed'), {
        ...base,
        permanent: false,
        ...(retry_after_s !== undefined ? { retry_after_s } : {}),
      });
      if (retryAfterMs !== undefined && retryAfterMs > this.maxRetryAfterMs) return { ok: false, retry: false, error };
      return { ok: false, retry: true, error, ...(retryAfterMs !== undefined ? { waitMs: retryAfterMs } : {}) };
    }
    if (status === 401 || status === 403) {
      // The key or the sending domain is wrong, not the message: not retried here, but not the message's fault either.
      return {
        ok: false,
        retry: false,
        error: sendFailure(describe('refused the API key or sender'), { ...base, permanent: false, reason: 'auth' }),
      };
    }
    // 400 validation_error / invalid_idempotency_key, 409 invalid_idempotent_request, 422 ...
    return {
      ok: false,
      retry: false,
      error: sendFailure(describe('rejected the email'), { ...base, permanent: true }),
    };
  }
}

/** The documented request body; `to` is an array, tags are `[{ name, value }]`. */
function toResendBody(email: OutgoingEmail): Record<string, unknown> {
  const tags = Object.entries(email.tags ?? {}).map(([name, value]) => ({
    name: tagSafe(name),
    value: tagSafe(value),
  }));
  return {
    from: formatAddress(email.from),
    to: [email.to],
    subject: email.subject,
    text: email.text,
    ...(email.html !== undefined ? { html: email.html } : {}),
    ...(email.replyTo ? { reply_to: email.replyTo } : {}),
    ...(Object.keys(email.headers).length > 0 ? { headers: email.headers } : {}),
    ...(tags.length > 0 ? { tags } : {}),
  };
}

// Resend accepts only ASCII letters, digits, `_` and `-` in tag names and values, at most 256 characters;
// anything else would fail the whole send with a 422, so it is folded to `_`.
const tagSafe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256);

/** Retry-After in seconds or as an HTTP date, in ms from now. */
function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string } }).cause;
  return cause?.code ?? (err as Error).message ?? 'network error';
}

function parseJson<T>(text: string): T | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

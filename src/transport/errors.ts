import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { AppError, type ErrorCode } from '../kernel/errors.js';
import type { RateLimitWindow } from '../kernel/ports.js';

export const HTTP_STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  session_expired: 410,
  payload_too_large: 413,
  file_too_large: 413,
  unsupported_media_type: 415,
  suppressed: 422,
  rate_limited: 429,
  quota_exceeded: 429,
  upstream_error: 502,
  unavailable: 503,
  not_configured: 501,
  internal: 500,
};

const errorType = (code: ErrorCode): string =>
  code === 'internal' || code === 'upstream_error' || code === 'unavailable' || code === 'not_configured'
    ? 'api_error'
    : code === 'unauthorized' || code === 'forbidden'
      ? 'authentication_error'
      : code === 'rate_limited' || code === 'quota_exceeded'
        ? 'rate_limit_error'
        : 'invalid_request_error';

/** Every error leaving a transport goes through here: known ones pass, the rest are logged and hidden. */
export function toAppError(err: unknown, log: Logger, requestId: string): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError) {
    const first = err.issues[0];
    const describe = (i: (typeof err.issues)[number]) => {
      const path = i.path.join('.');
      if (i.code === 'unrecognized_keys')
        return `unknown field(s) ${i.keys.map((k) => (path ? `${path}.${k}` : k)).join(', ')}`;
      return `${path || 'input'}: ${i.message}`;
    };
    // An unknown field is named with its path (llm_config.top_k), like every other field at fault.
    const param =
      first?.code === 'unrecognized_keys' ? [...first.path, first.keys[0]].join('.') : first?.path.join('.');
    return new AppError(
      'invalid_request',
      `Invalid input: ${err.issues.map(describe).join('; ')}`,
      param ? { param } : undefined,
    );
  }
  // PostgreSQL refusing text (22021: NUL or bad bytes; 22P05: an escape jsonb cannot hold) means the
  // input checks missed a field: still the caller's mistake, but worth a warning to fix the check.
  const sqlState = (err as { code?: unknown } | null)?.code;
  if (sqlState === '22021' || sqlState === '22P05') {
    log.warn({ err, requestId }, 'the database refused input text that the input checks let through');
    return new AppError(
      'invalid_request',
      'Invalid input: text must not contain the NUL character (\\u0000) or invalid Unicode',
    );
  }
  log.error({ err, requestId }, 'unhandled error');
  return new AppError('internal', `Internal error (request ${requestId}); it has been logged`);
}

export const toToolResult = (e: AppError): CallToolResult => ({
  isError: true,
  content: [{ type: 'text', text: `${e.code}: ${e.message}` }],
});

/** How long a client is asked to wait before retrying while the database is unavailable. */
export const RETRY_AFTER_SECONDS = 5;

/** The `X-RateLimit-*` headers of one window (reset in epoch seconds). */
export const rateLimitHeaders = (w: RateLimitWindow): Record<string, string> => ({
  'x-ratelimit-limit': String(w.limit),
  'x-ratelimit-remaining': String(w.remaining),
  'x-ratelimit-reset': String(Math.ceil(w.resetAt / 1000)),
});

/** Retry-After from `details.retry_after_s` (rate limits, queues) or for an unavailable database; the limit's headers on a 429. */
function errorHeaders(e: AppError): Record<string, string> {
  const retryAfter = e.details?.retry_after_s;
  const window = e.details?.rate_limit as RateLimitWindow | null | undefined;
  return {
    ...(window ? rateLimitHeaders(window) : {}),
    ...(typeof retryAfter === 'number'
      ? { 'retry-after': String(retryAfter) }
      : e.code === 'unavailable'
        ? { 'retry-after': String(RETRY_AFTER_SECONDS) }
        : {}),
  };
}

export const toHttp = (e: AppError) => ({
  status: HTTP_STATUS[e.code],
  headers: errorHeaders(e),
  body: {
    error: {
      code: e.code,
      message: e.message,
      ...(e.details?.param ? { param: e.details.param } : {}),
      type: errorType(e.code),
    },
  },
});

import { createHash, randomUUID } from 'node:crypto';
import { type Server, type ServerResponse, createServer } from 'node:http';
import { listenOnLoopback, readBody } from './loopback.js';

export interface FakeResendRequest {
  authorization: string | undefined;
  idempotencyKey: string | undefined;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

export interface FakeResendEmail {
  id: string;
  idempotencyKey: string | undefined;
  body: Record<string, unknown>;
}

export interface FakeResend {
  /** Base URL, as given to `ResendSender`'s `baseUrl`. */
  url: string;
  apiKey: string;
  /** Every POST /emails that arrived, in order, failures included. */
  requests: FakeResendRequest[];
  /** The emails "sent": one per distinct idempotency key. */
  emails: FakeResendEmail[];
  /** The next `n` requests answer `status` with Resend's error body, optionally a Retry-After header. */
  failNext(n: number, status: number, options?: { name?: string; retryAfter?: string }): void;
  /**
   * The next `n` requests never get an answer (the client times out). With `process`, the email is
   * sent all the same, like a response lost on the way back.
   */
  hangNext(n: number, options?: { process?: boolean }): void;
  close(): Promise<void>;
}

// "email@example.com" or "Name <email@example.com>", the two `from` forms Resend documents.
const FROM = /^(?:[^<>]*<[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)$/;

/**
 * Speaks Resend's send API (https://resend.com/docs/api-reference/emails/send-email): POST /emails
 * with a Bearer key, JSON body, answers `{ id }`; errors as `{ statusCode, name, message }`
 * (https://resend.com/docs/api-reference/errors). Dedupes on Idempotency-Key like Resend: the same
 * key and body answer the same id and send nothing; the same key with another body is a 409.
 */
export async function startFakeResend(apiKey = 're_test_key'): Promise<FakeResend> {
  const requests: FakeResendRequest[] = [];
  const emails: FakeResendEmail[] = [];
  const byKey = new Map<string, { id: string; bodyHash: string }>();
  let failures = { left: 0, status: 500, name: 'internal_server_error', retryAfter: undefined as string | undefined };
  let hangs = { left: 0, process: false };
  const hung: ServerResponse[] = [];

  const error = (
    res: ServerResponse,
    status: number,
    name: string,
    message: string,
    headers: Record<string, string> = {},
  ) =>
    res
      .writeHead(status, { 'content-type': 'application/json', ...headers })
      .end(JSON.stringify({ statusCode: status, name, message }));

  const accept = (
    body: Record<string, unknown>,
    raw: string,
    key: string | undefined,
  ): { id: string } | { conflict: true } => {
    const bodyHash = createHash('sha256').update(raw).digest('hex');
    const seen = key ? byKey.get(key) : undefined;
    if (seen) return seen.bodyHash === bodyHash ? { id: seen.id } : { conflict: true };
    const id = randomUUID();
    if (key) byKey.set(key, { id, bodyHash });
    emails.push({ id, idempotencyKey: key, body });
    return { id };
  };

  const server: Server = createServer(async (req, res) => {
    if (req.method !== 'POST' || req.url !== '/emails') return error(res, 404, 'not_found', 'Route not found');
    const raw = await readBody(req);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw);
    } catch {
      return error(res, 422, 'validation_error', 'Invalid JSON');
    }
    const key = req.headers['idempotency-key'] as string | undefined;
    requests.push({
      authorization: req.headers.authorization,
      idempotencyKey: key,
      contentType: req.headers['content-type'],
      body,
    });

    if (hangs.left > 0) {
      hangs.left--;
      if (hangs.process) accept(body, raw, key);
      hung.push(res);
      return;
    }
    if (failures.left > 0) {
      failures.left--;
      return error(
        res,
        failures.status,
        failures.name,
        'Fake failure',
        failures.retryAfter ? { 'retry-after': failures.retryAfter } : {},
      );
    }
    if (!req.headers.authorization)
      return error(res, 401, 'missing_api_key', 'Missing API key in the authorization header.');
    if (req.headers.authorization !== `Bearer ${apiKey}`)
      return error(res, 403, 'invalid_api_key', 'API key is invalid.');
    if (key !== undefined && (key.length < 1 || key.length > 256))
      return error(res, 400, 'invalid_idempotency_key', 'The key must be between 1-256 chars.');
    for (const field of ['from', 'to', 'subject']) {
      if (body[field] === undefined) return error(res, 422, 'missing_required_field', `Missing \`${field}\` field.`);
    }
    if (typeof body.from !== 'string' || !FROM.test(body.from)) {
      return error(
        res,
        422,
        'validation_error',
        'Invalid `from` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.',
      );
    }
    const result = accept(body, raw, key);
    if ('conflict' in result)
      return error(
        res,
        409,
        'invalid_idempotent_request',
        'This idempotency key has been used on a request with a different payload.',
      );
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: result.id }));
  });

  const base = await listenOnLoopback(server);
  return {
    url: base,
    apiKey,
    requests,
    emails,
    failNext: (n, status, options = {}) => {
      failures = {
        left: n,
        status,
        name:
          options.name ??
          (status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'internal_server_error' : 'validation_error'),
        retryAfter: options.retryAfter,
      };
    },
    hangNext: (n, options = {}) => {
      hangs = { left: n, process: options.process ?? false };
    },
    close: () =>
      new Promise((resolve) => {
        for (const res of hung) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { AppError } from '../../kernel/errors.js';
import type { HostResolver } from '../../kernel/ports.js';
import { bareHost, resolveAllowed } from './ssrf.js';

/** The most of a receiver's answer kept in the delivery log. */
export const SNIPPET_BYTES = 1024;

export interface PostResult {
  statusCode: number | null;
  /** Null on a 2xx. */
  error: string | null;
  /** Whether another attempt may succeed: timeouts, connection errors, 408, 429, 5xx. */
  retryable: boolean;
  snippet: string | null;
  latencyMs: number;
  /** A 429's or 503's `Retry-After`, in ms from now; null when absent or unreadable. */
  retryAfterMs?: number | null;
}

export interface PostOptions {
  timeoutMs: number;
  resolve: HostResolver;
  allowPrivate: boolean;
  agents: { http: http.Agent; https: https.Agent };
  /** The attempt's time (ms since the epoch), against which an HTTP-date `Retry-After` is read. */
  now: number;
}

/** Keep-alive agents shared by one process's attempts: a socket is only reused for the host it was checked for. */
export const newAgents = (maxSockets: number) => ({
  http: new http.Agent({ keepAlive: true, maxSockets }),
  https: new https.Agent({ keepAlive: true, maxSockets }),
});

/**
 * The connection's DNS step, checked: Node connects to the address this returns, so the address
 * that passed the SSRF rule is the one connected to (no second lookup an attacker's DNS could answer
 * differently). An IP literal skips lookup in Node, so it is checked before the request instead.
 */
const guardedLookup =
  (resolve: HostResolver, allowPrivate: boolean): LookupFunction =>
  (hostname, options, callback) => {
    resolveAllowed(hostname, resolve, allowPrivate).then(
      (answers) => {
        const wanted =
          options.family === 4 || options.family === 6 ? answers.filter((a) => a.family === options.family) : answers;
        if (!wanted.length)
          return callback(Object.assign(new Error(`no IPv${options.family} address`), { code: 'ENOTFOUND' }), '', 4);
        if (options.all) return (callback as (e: null, a: typeof wanted) => void)(null, wanted);
        callback(null, wanted[0]!.address, wanted[0]!.family);
      },
      (err: Error) => callback(err as NodeJS.ErrnoException, '', 4),
    );
  };

const retryableStatus = (s: number) => s === 408 || s === 429 || s >= 500;

/** `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms from `now`; null if neither. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | null {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return null;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * POSTs one webhook: no redirect is followed (a 3xx is a failure), the whole exchange is bounded by
 * `timeoutMs`, and at most 1 kB of the answer is read. Never throws: the result says what happened.
 */
export async function postWebhook(
  rawUrl: string,
  body: string,
  headers: Record<string, string>,
  opts: PostOptions,
): Promise<PostResult> {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  const url = new URL(rawUrl);
  try {
    // An IP literal never reaches the lookup: check it here.
    await resolveAllowed(bareHost(url), opts.resolve, opts.allowPrivate);
  } catch (err) {
    return {
      statusCode: null,
      error: errorText(err),
      retryable: !(err instanceof AppError),
      snippet: null,
      latencyMs: latency(),
    };
  }
  const secure = url.protocol === 'https:';
  return new Promise<PostResult>((done) => {
    let settled = false;
    const finish = (r: Omit<PostResult, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done({ ...r, latencyMs: latency() });
    };
    const req = (secure ? https : http).request(url, {
      method: 'POST',
      agent: secure ? opts.agents.https : opts.agents.http,
      lookup: guardedLookup(opts.resolve, opts.allowPrivate),
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': 'Switchboard-Webhooks/1',
      },
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish({ statusCode: null, error: `timeout after ${opts.timeoutMs} ms`, retryable: true, snippet: null });
    }, opts.timeoutMs);
    req.on('error', (err) =>
      finish({ statusCode: null, error: errorText(err), retryable: !(err instanceof AppError), snippet: null }),
    );
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      const conclude = () => {
        const snippet = Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8') || null;
        const ok = status >= 200 && status < 300;
        finish({
          statusCode: status,
          error: ok
            ? null
            : status >= 300 && status < 400
              ? `HTTP ${status} (redirects are not followed)`
              : `HTTP ${status}`,
          retryable: !ok && retryableStatus(status),
          snippet,
          retryAfterMs: status === 429 || status === 503 ? parseRetryAfter(res.headers['retry-after'], opts.now) : null,
        });
      };
      res.on('data', (chunk: Buffer) => {
        if (size < SNIPPET_BYTES) chunks.push(chunk);
        size += chunk.length;
        // The rest is not read: the receiver has answered, and its socket is not reused.
        if (size > SNIPPET_BYTES) {
          conclude();
          res.destroy();
        }
      });
      res.on('end', conclude);
      res.on('error', conclude);
    });
    req.end(body);
  });
}

function errorText(err: unknown): string {
  if (err instanceof AppError) return `refused: ${err.message}`;
  const e = err as NodeJS.ErrnoException;
  return (e.code ? `${e.code}: ${e.message}` : (e.message ?? String(err))).slice(0, 500);
}

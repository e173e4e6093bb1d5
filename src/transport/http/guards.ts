import { randomUUID } from 'node:crypto';
import type { App } from '../../app.js';
import type { Principal } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import type { ToolFilter } from '../../operations/catalog.js';
import type { KeyResolver } from '../../kernel/ports.js';
import { DEFAULT_RATE_LIMITS } from '../../domains/tenancy/index.js';
import { rateLimitHeaders } from '../errors.js';

/**
 * What every HTTP request passes through before it reaches MCP or REST. Both the hono application
 * and the MCP endpoint (which runs on node:http directly, see ../mcp/streamable-http.ts) call these, so the two
 * cannot drift apart.
 */

/** Reads one request header (lower-case name) or query parameter. */
export interface RequestParts {
  header(name: string): string | undefined;
  query(name: string): string | undefined;
}

/** The caller's X-Request-Id when it is a sane token, else a fresh one. */
export function requestIdOf(given: string | undefined): string {
  return given && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
}

const csv = (v: string | undefined) =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;

function hostname(hostHeader: string): string {
  const h = hostHeader.toLowerCase();
  return h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.split(':')[0]!;
}

/** `scheme://host[:port]` as browsers send it in Origin, or undefined for what is not a web origin. */
function webOrigin(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a browser page at `origin` may call this server: one listed in SWITCHBOARD_ALLOWED_ORIGINS
 * (scheme, host and port, as browsers compare them), or one of the server's own: http(s), a host
 * in the Host allow-list, the server's scheme, and the port the request was sent to. A bare host-name match would let
 * any port on localhost, or a `chrome-extension://localhost` page, through.
 */
function originAllowed(app: App, origin: string, hostHeader: string | undefined): boolean {
  const { allowedHosts, allowedOrigins } = app.config;
  if (allowedOrigins.includes('*')) return true;
  const url = webOrigin(origin);
  if (!url) return false;
  if (allowedOrigins.some((o) => webOrigin(o)?.origin === url.origin)) return true;
  if (!hostHeader || !allowedHosts?.includes(url.hostname)) return false;
  // The server's own scheme: https only behind a proxy that SWITCHBOARD_PUBLIC_URL names.
  if (url.protocol !== (app.config.publicUrl ? new URL(app.config.publicUrl).protocol : 'http:')) return false;
  // The port the request was sent to: a page on another port of an accepted host is another site.
  const defaultPort = url.protocol === 'https:' ? '443' : '80';
  const requestPort = hostHeader.match(/:(\d+)$/)?.[1] ?? defaultPort;
  return (url.port || defaultPort) === requestPort;
}

/**
 * DNS-rebinding and cross-site protection: Host and Origin must be ones this server expects.
 * Returns the Origin when there is one (allowed), for CORS.
 */
export function checkHostAndOrigin(app: App, req: RequestParts): string | undefined {
  const { allowedHosts } = app.config;
  const host = req.header('host');
  if (allowedHosts && (!host || !allowedHosts.includes(hostname(host)))) {
    throw new AppError('forbidden', `Host "${host ?? ''}" is not allowed; set SWITCHBOARD_ALLOWED_HOSTS to accept it`);
  }
  const origin = req.header('origin');
  if (origin !== undefined && !originAllowed(app, origin, host)) {
    throw new AppError('forbidden', `Origin "${origin}" is not allowed; set SWITCHBOARD_ALLOWED_ORIGINS to accept it`);
  }
  return origin;
}

const ALLOWED_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
const ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Accept',
  'X-API-Key',
  'Idempotency-Key',
  'Mcp-Session-Id',
  'Mcp-Protocol-Version',
  'Last-Event-ID',
  'X-Request-Id',
  'X-Switchboard-Toolsets',
  'X-Switchboard-Tools',
  'X-Switchboard-Exclude-Tools',
  'X-Switchboard-Read-Only',
].join(', ');
const EXPOSED_HEADERS =
  'Mcp-Session-Id, X-Request-Id, Idempotent-Replayed, WWW-Authenticate, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset';

/**
 * CORS for browser-based clients (the MCP Inspector, web apps). Only for an origin that
 * checkHostAndOrigin returned: a refused one gets no CORS headers, even on its 403.
 * `preflight` answers an OPTIONS request.
 */
export function corsHeaders(origin: string | undefined, preflight: boolean): Record<string, string> {
  if (!origin) return {};
  const headers: Record<string, string> = { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
  if (preflight) {
    headers['Access-Control-Allow-Methods'] = ALLOWED_METHODS;
    headers['Access-Control-Allow-Headers'] = ALLOWED_HEADERS;
    headers['Access-Control-Max-Age'] = '600';
  } else {
    headers['Access-Control-Expose-Headers'] = EXPOSED_HEADERS;
  }
  return headers;
}

/** The key from `Authorization: Bearer` or `X-API-Key`, resolved; throws `unauthorized` otherwise. */
export async function authenticate(keys: KeyResolver, req: RequestParts): Promise<Principal> {
  const bearer = req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1];
  const presented = (bearer ?? req.header('x-api-key'))?.trim();
  if (!presented)
    throw new AppError(
      'unauthorized',
      'Missing API key: send it as "Authorization: Bearer <key>" or in the X-API-Key header',
    );
  const principal = await keys.authenticate(presented);
  if (!principal) throw new AppError('unauthorized', 'The API key is invalid, revoked or expired', { presented: true });
  return principal;
}

/**
 * Counts an authenticated request against its key's rate limits, right after authentication, for
 * REST and /mcp alike. Returns the `X-RateLimit-*` headers for the answer (none when limits are
 * off) and the in-flight slot to release when the answer is complete; throws `rate_limited` over a
 * limit (its details carry Retry-After and the headers).
 */
export async function admit(
  app: App,
  principal: Principal,
): Promise<{ headers: Record<string, string>; release(): void }> {
  if (!app.rateLimiter) return { headers: {}, release: () => {} };
  const { window, release } = await app.rateLimiter.admit(principal.keyId, principal.rateLimits ?? DEFAULT_RATE_LIMITS);
  return { headers: window ? rateLimitHeaders(window) : {}, release };
}

/** The challenge a 401 carries (RFC 6750): `invalid_token` when a key was presented but refused. */
// The description is what an OAuth-capable client can show instead of starting a discovery that leads nowhere.
export const wwwAuthenticate = (err: AppError): string =>
  err.details?.presented
    ? 'Bearer realm="switchboard", error="invalid_token", error_description="The API key is invalid, revoked or expired"'
    : 'Bearer realm="switchboard", error_description="Missing API key: send it as Authorization: Bearer <key>"';

/** Toolset filters, from the URL query or `X-Switchboard-*` headers, with the same names as `switchboard stdio`. */
export function toolFilter(app: App, req: RequestParts): ToolFilter {
  const pick = (query: string, header: string) => req.query(query) ?? req.header(header);
  const readOnly = pick('read_only', 'x-switchboard-read-only');
  if (readOnly !== undefined && !['', '0', '1', 'true', 'false'].includes(readOnly)) {
    throw new AppError('invalid_request', 'read_only must be 1, true, 0 or false', { param: 'read_only' });
  }
  const filter: ToolFilter = {
    toolsets: csv(pick('toolsets', 'x-switchboard-toolsets')),
    tools: csv(pick('tools', 'x-switchboard-tools')),
    excludeTools: csv(pick('exclude_tools', 'x-switchboard-exclude-tools')),
    readOnly: readOnly === '1' || readOnly === 'true',
  };
  app.registry.validateFilter(filter);
  return filter;
}

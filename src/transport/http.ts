import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import type { Logger } from 'pino';
import { type App, VERSION } from '../app.js';
import type { Principal } from '../core/context.js';
import { AppError } from '../core/errors.js';
import type { ToolFilter } from '../tools/registry.js';
import { toAppError, toHttp } from './errors.js';
import { KeyCache } from './key-cache.js';
import { McpHttpHandler } from './mcp-http.js';
import { buildOpenApi } from './openapi.js';
import { REST_PREFIX, mountRest } from './rest.js';
import { mountResendHook, mountTracking } from './tracking.js';

export type HttpEnv = { Variables: { requestId: string; log: Logger; principal: Principal } };

const csv = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);

function hostname(hostHeader: string): string {
  const h = hostHeader.toLowerCase();
  return h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.split(':')[0]!;
}

/** DNS-rebinding and cross-site protection: Host and Origin must be ones this server expects. */
function checkHostAndOrigin(c: Context, app: App): void {
  const { allowedHosts, allowedOrigins } = app.config;
  const host = c.req.header('host');
  if (allowedHosts && (!host || !allowedHosts.includes(hostname(host)))) {
    throw new AppError('forbidden', `Host "${host ?? ''}" is not allowed; set SWITCHBOARD_ALLOWED_HOSTS to accept it`);
  }
  const origin = c.req.header('origin');
  if (!origin || allowedOrigins.includes('*') || allowedOrigins.includes(origin)) return;
  let originHost: string | undefined;
  try {
    originHost = new URL(origin).hostname;
  } catch {
    originHost = undefined;
  }
  if (!allowedHosts || !originHost || !allowedHosts.includes(originHost)) {
    throw new AppError('forbidden', `Origin "${origin}" is not allowed; set SWITCHBOARD_ALLOWED_ORIGINS to accept it`);
  }
}

async function authenticate(c: Context<HttpEnv>, keys: KeyCache): Promise<Principal> {
  const bearer = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1];
  const presented = (bearer ?? c.req.header('x-api-key'))?.trim();
  if (!presented) throw new AppError('unauthorized', 'Missing API key: send it as "Authorization: Bearer <key>" or in the X-API-Key header');
  const principal = await keys.authenticate(presented);
  if (!principal) throw new AppError('unauthorized', 'The API key is invalid, revoked or expired', { presented: true });
  c.set('principal', principal);
  c.set('log', c.get('log').child({ keyId: principal.keyId }));
  return principal;
}

/** Toolset filters, from the URL query or `X-Switchboard-*` headers, with the same names as `switchboard stdio`. */
function toolFilter(c: Context, app: App): ToolFilter {
  const pick = (query: string, header: string) => c.req.query(query) ?? c.req.header(header);
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

function errorResponse(c: Context<HttpEnv>, err: unknown): Response {
  const appError = toAppError(err, c.get('log'), c.get('requestId'));
  const { status, body } = toHttp(appError);
  if (appError.code === 'unauthorized') {
    c.header('WWW-Authenticate', appError.details?.presented ? 'Bearer realm="switchboard", error="invalid_token"' : 'Bearer realm="switchboard"');
  }
  return c.json(body, status as 400);
}

/** The hono application: /mcp, /api/v1 (generated from the registry), health and OpenAPI. */
export function createHttpApp(app: App): { hono: Hono<HttpEnv>; mcp: McpHttpHandler } {
  const hono = new Hono<HttpEnv>();
  const mcp = new McpHttpHandler(app);
  const keys = new KeyCache(app);
  const openApi = buildOpenApi(app.registry);
  const tooLarge = () => {
    throw new AppError('payload_too_large', `The request body is larger than ${app.config.maxBodyBytes} bytes`);
  };

  hono.use('*', async (c, next) => {
    const given = c.req.header('x-request-id');
    const requestId = given && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
    c.set('requestId', requestId);
    c.set('log', app.log.child({ requestId }));
    const started = performance.now();
    await next();
    c.header('X-Request-Id', requestId);
    c.get('log').info({ method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) }, 'request');
  });
  hono.onError((err, c) => errorResponse(c, err));
  hono.notFound((c) => errorResponse(c, new AppError('not_found', `No route ${c.req.method} ${c.req.path}; see /api/openapi.json`)));
  hono.use('*', async (c, next) => {
    checkHostAndOrigin(c, app);
    await next();
  });
  // Browser-based clients (the MCP Inspector, web apps) need CORS; the check above already refused
  // origins that are not allowed, so whatever reaches here may be echoed back.
  hono.use(
    '*',
    cors({
      origin: (origin) => origin,
      allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      allowHeaders: [
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
      ],
      exposeHeaders: ['Mcp-Session-Id', 'X-Request-Id', 'Idempotent-Replayed', 'WWW-Authenticate'],
      maxAge: 600,
    }),
  );

  hono.get(`${REST_PREFIX}/health`, async (c) => {
    try {
      await app.db.selectNoFrom((eb) => eb.lit(1).as('ok')).execute();
      return c.json({ status: 'ok', version: VERSION, database: app.dbKind });
    } catch {
      return c.json({ error: { code: 'upstream_error', message: 'The database does not answer', type: 'api_error' } }, 503);
    }
  });
  hono.get('/api/openapi.json', (c) => c.json(openApi));
  mountTracking(hono, app);
  mountResendHook(hono, app);

  hono.all('/mcp', bodyLimit({ maxSize: app.config.maxBodyBytes, onError: tooLarge }), async (c) => {
    const principal = await authenticate(c, keys);
    const filter = toolFilter(c, app);
    let body: unknown;
    if (c.req.method === 'POST') {
      try {
        body = JSON.parse(await c.req.text());
      } catch {
        return c.json({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error: the body is not valid JSON' }, id: null }, 400);
      }
    }
    return mcp.handle(c.req.raw, principal, filter, body);
  });

  const api = new Hono<HttpEnv>();
  api.use('*', async (c, next) => {
    await authenticate(c, keys);
    await next();
  });
  mountRest(api, app);
  hono.route(REST_PREFIX, api);
  return { hono, mcp };
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Listens on HOST:PORT; close() stops accepting, lets requests in flight finish, then closes sessions. */
export async function startHttpServer(app: App, opts: { host?: string; port?: number } = {}): Promise<RunningServer> {
  const { hono, mcp } = createHttpApp(app);
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: hono.fetch, hostname: opts.host ?? app.config.host, port: opts.port ?? app.config.port }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  // A wildcard bind is reachable locally as localhost; that is the address worth printing.
  const host = ['0.0.0.0', '::'].includes(address.address) ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: async () => {
      await mcp.close();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => (server as import('node:http').Server).closeAllConnections?.(), 10_000).unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        (server as import('node:http').Server).closeIdleConnections?.();
      });
    },
  };
}

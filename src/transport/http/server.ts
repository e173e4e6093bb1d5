import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import { type App, VERSION } from '../../app.js';
import type { HttpEnv } from './env.js';
import { AppError } from '../../kernel/errors.js';
import { toAppError, toHttp } from '../errors.js';
import {
  type RequestParts,
  admit,
  authenticate,
  checkHostAndOrigin,
  corsHeaders,
  requestIdOf,
  wwwAuthenticate,
} from './guards.js';
import type { EndpointOptions, McpEndpoint } from '../mcp/endpoint.js';
import { SdkMcpHttpHandler } from '../mcp/sdk-http.js';
import { McpHttpHandler } from '../mcp/streamable-http.js';
import { buildOpenApi } from './openapi.js';
import { REST_PREFIX, mountRest } from './rest.js';
import { mountInboundHook, mountResendHook, mountTracking } from './hooks.js';
import { mountOAuthRefusal } from './oauth.js';
import { createConsole } from '../console/console.js';
import { mountChatStream } from './chat-stream.js';

const partsOf = (c: Context): RequestParts => ({
  header: (name) => c.req.header(name),
  query: (name) => c.req.query(name),
});

function errorResponse(c: Context<HttpEnv>, err: unknown): Response {
  const appError = toAppError(err, c.get('log'), c.get('requestId'));
  const { status, body, headers } = toHttp(appError);
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
  if (appError.code === 'unauthorized') c.header('WWW-Authenticate', wwwAuthenticate(appError));
  return c.json(body, status as 400);
}

/** The hono application: /api/v1 (generated from the registry), health, OpenAPI, tracking links and hooks. */
function createHonoApp(app: App): Hono<HttpEnv> {
  const hono = new Hono<HttpEnv>();
  // Built on first request: every operation's JSON Schemas, kept for good, would otherwise enlarge the
  // heap that each of V8's major collections marks, for a document few servers are ever asked for.
  let openApi: Record<string, unknown> | undefined;

  hono.use('*', async (c, next) => {
    const requestId = requestIdOf(c.req.header('x-request-id'));
    c.set('requestId', requestId);
    c.set('log', app.log.child({ requestId }));
    const started = performance.now();
    await next();
    c.header('X-Request-Id', requestId);
    c.get('log').info(
      { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) },
      'request',
    );
  });
  hono.onError((err, c) => errorResponse(c, err));
  hono.notFound((c) =>
    errorResponse(c, new AppError('not_found', `No route ${c.req.method} ${c.req.path}; see /api/openapi.json`)),
  );
  hono.use('*', async (c, next) => {
    const origin = checkHostAndOrigin(app, partsOf(c));
    if (c.req.method === 'OPTIONS' && origin) return c.body(null, 204, corsHeaders(origin, true));
    await next();
    for (const [name, value] of Object.entries(corsHeaders(origin, false))) c.header(name, value);
  });

  hono.get(`${REST_PREFIX}/health`, async (c) => {
    try {
      await app.db.selectNoFrom((eb) => eb.lit(1).as('ok')).execute();
      return c.json({ status: 'ok', version: VERSION, database: app.dbKind });
    } catch (err) {
      // Whatever the reason, a database that does not answer makes this node unfit for traffic.
      return errorResponse(
        c,
        err instanceof AppError && err.code === 'unavailable'
          ? err
          : new AppError('unavailable', 'The database does not answer', undefined, { cause: err }),
      );
    }
  });
  hono.get('/api/openapi.json', (c) => {
    openApi ??= buildOpenApi(app.registry);
    return c.json(openApi);
  });
  mountTracking(hono, app);
  mountResendHook(hono, app);
  mountInboundHook(hono, app);
  mountOAuthRefusal(hono);
  hono.route('/console', createConsole(app) as unknown as Hono<HttpEnv>);

  const api = new Hono<HttpEnv>();
  api.use('*', async (c, next) => {
    const principal = await authenticate(app.keyCache, partsOf(c));
    c.set('principal', principal);
    c.set('log', c.get('log').child({ keyId: principal.keyId }));
    const admitted = await admit(app, principal);
    // Set before the route runs, so an error answer carries them too.
    for (const [name, value] of Object.entries(admitted.headers)) c.header(name, value);
    let kept = false;
    c.set('keepAdmission', () => {
      kept = true;
      return admitted.release;
    });
    try {
      await next();
    } finally {
      if (!kept) admitted.release();
    }
  });
  mountChatStream(api, app);
  mountRest(api, app);
  hono.route(REST_PREFIX, api);
  return hono;
}

const isMcpPath = (url: string | undefined) => url === '/mcp' || url?.startsWith('/mcp?') === true;

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Listens on HOST:PORT; close() stops accepting, lets requests in flight finish, then closes sessions. */
export async function startHttpServer(
  app: App,
  opts: { host?: string; port?: number; mcp?: EndpointOptions } = {},
): Promise<RunningServer> {
  const mcp: McpEndpoint =
    app.config.mcp.transport === 'sdk' ? new SdkMcpHttpHandler(app, opts.mcp) : new McpHttpHandler(app, opts.mcp);
  const rest = getRequestListener(createHonoApp(app).fetch);
  // /mcp is served on node:http directly (see ../mcp/endpoint.ts); everything else goes through hono.
  const server = createServer((req, res) => void (isMcpPath(req.url) ? mcp.handle(req, res) : rest(req, res)));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? app.config.port, opts.host ?? app.config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  // A wildcard bind is reachable locally as localhost; that is the address worth printing.
  const host = ['0.0.0.0', '::'].includes(address.address)
    ? 'localhost'
    : address.family === 'IPv6'
      ? `[${address.address}]`
      : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: async () => {
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), 10_000).unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
        mcp.drain();
      });
      // Only once the calls in flight have been answered: closing a session cuts its running calls short.
      await mcp.close();
    },
  };
}

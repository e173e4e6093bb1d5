import { randomUUID } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type JSONRPCMessage, JSONRPCMessageSchema, type MessageExtraInfo, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import type { App } from '../../app.js';
import type { Principal } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import type { ToolFilter } from '../../operations/catalog.js';
import { toAppError, toHttp } from '../errors.js';
import { type RequestParts, authenticate, checkHostAndOrigin, corsHeaders, requestIdOf, toolFilter, wwwAuthenticate } from '../http/guards.js';
import { type Caller, ToolCatalog, callerFromAuthInfo, createMcpServer } from './server.js';

/*
 * MCP's streamable HTTP transport (spec 2025-11-25, and the 2025-03-26 and 2025-06-18 revisions
 * today's clients speak), served on node:http directly. The SDK's `Server` still does the
 * protocol — initialize, request validation, tools/list, tools/call, result validation — through
 * the small `Transport` below; only the HTTP framing is ours. The SDK's own HTTP transport wraps
 * each request in web-standard Request/Response objects and streams, which cost more CPU per call
 * than the whole of a `list_prospects` call here (bench/README.md).
 *
 * What a client sees: POST carries JSON-RPC messages; requests are answered with one JSON body,
 * or with an SSE stream when a request asked for progress (`_meta.progressToken`), so progress
 * notifications reach the client while the call runs. Notifications and responses alone get 202.
 * In session mode, initialize opens a session (`Mcp-Session-Id`), bound to the key that opened it;
 * DELETE closes it. There is no GET stream (405, as the spec allows): the server never speaks
 * unless asked.
 */

type RequestId = string | number;

const MAX_BATCH = 100;
const JSON_HEADERS = { 'content-type': 'application/json' };
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' };

const isRequest = (m: JSONRPCMessage): m is JSONRPCMessage & { id: RequestId; method: string } => 'method' in m && 'id' in m;
const isResponse = (m: JSONRPCMessage): m is JSONRPCMessage & { id: RequestId } => 'id' in m && !('method' in m);
const wantsProgress = (m: JSONRPCMessage): boolean => isRequest(m) && (m as { params?: { _meta?: { progressToken?: unknown } } }).params?._meta?.progressToken !== undefined;

/** A failure answered with a JSON-RPC error body (the client speaks JSON-RPC here). */
class RpcHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * The answer to one POST. Holds the ids of the requests it carried and writes their responses in
 * that order, as one JSON value once all are in, or as SSE events as they come.
 */
class Exchange {
  private readonly answers = new Map<RequestId, JSONRPCMessage>();
  private finished = false;
  readonly done: Promise<void>;
  private resolve!: () => void;

  constructor(
    private readonly res: ServerResponse,
    private readonly headers: OutgoingHttpHeaders,
    readonly ids: readonly RequestId[],
    private readonly batch: boolean,
    private readonly stream: boolean,
  ) {
    this.done = new Promise((r) => (this.resolve = r));
    if (stream) res.writeHead(200, { ...headers, ...SSE_HEADERS }).flushHeaders();
  }

  deliver(message: JSONRPCMessage): void {
    if (this.finished) return;
    if (this.stream) this.res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
    if (!isResponse(message)) return;
    this.answers.set(message.id, message);
    if (this.answers.size < this.ids.length) return;
    if (this.stream) this.res.end();
    else {
      const body = this.batch ? JSON.stringify(this.ids.map((id) => this.answers.get(id))) : JSON.stringify(this.answers.get(this.ids[0]!));
      this.res.writeHead(200, { ...this.headers, ...JSON_HEADERS }).end(body);
    }
    this.finish();
  }

  /** The client went away: nothing more is written. */
  finish(): void {
    this.finished = true;
    this.resolve();
  }

  /** The session closed under a running call: every request still unanswered gets an error, so no client hangs. */
  abandon(): void {
    for (const id of this.ids) {
      if (!this.answers.has(id)) {
        this.deliver({ jsonrpc: '2.0', id, error: { code: -32001, message: 'Session closed (expired, evicted, deleted or server shutting down) before this call finished; start a new session' } });
      }
    }
  }
}

/** The SDK transport between one `Server` and the HTTP requests of its session (or of one stateless request). */
class HttpServerTransport implements Transport {
  sessionId?: string;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  private readonly waiting = new Map<RequestId, Exchange>();
  private closed = false;

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const response = isResponse(message);
    const id = response ? message.id : options?.relatedRequestId;
    // Nobody waits when the client went away, or for a message unrelated to any request (there is no GET stream to carry it).
    const exchange = id === undefined ? undefined : this.waiting.get(id);
    if (!exchange) return;
    if (response) this.waiting.delete(id!);
    exchange.deliver(message);
  }

  isWaitingFor(id: RequestId): boolean {
    return this.waiting.has(id);
  }

  /** Hands the messages of one POST to the server; the answers to its requests go to `exchange`. */
  receive(messages: JSONRPCMessage[], exchange: Exchange | undefined, extra: MessageExtraInfo): void {
    if (exchange) for (const id of exchange.ids) this.waiting.set(id, exchange);
    for (const message of messages) this.onmessage?.(message, extra);
  }

  forget(exchange: Exchange): void {
    for (const id of exchange.ids) if (this.waiting.get(id) === exchange) this.waiting.delete(id);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const running = new Set(this.waiting.values());
    this.waiting.clear();
    for (const exchange of running) exchange.abandon();
    this.onclose?.();
  }
}

interface Session {
  id: string;
  server: Server;
  transport: HttpServerTransport;
  keyId: string;
  lastSeen: number;
}

function partsOf(req: IncomingMessage): RequestParts {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  let query: URLSearchParams | undefined;
  return {
    header: (name) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(', ') : v;
    },
    query: (name) => {
      if (q < 0) return undefined;
      query ??= new URLSearchParams(url.slice(q + 1));
      return query.get(name) ?? undefined;
    },
  };
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const tooLarge = () => new AppError('payload_too_large', `The request body is larger than ${maxBytes} bytes`);
  if (Number(req.headers['content-length']) > maxBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        reject(tooLarge());
      } else chunks.push(chunk);
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

const isJsonContentType = (ct: string | undefined) => ct?.split(';', 1)[0]?.trim().toLowerCase() === 'application/json';

/** Parses a POST body into JSON-RPC messages, or says in JSON-RPC terms what is wrong with it. */
function parseMessages(text: string): { messages: JSONRPCMessage[]; batch: boolean } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new RpcHttpError(400, -32700, 'Parse error: the body is not valid JSON');
  }
  const batch = Array.isArray(raw);
  const list = batch ? (raw as unknown[]) : [raw];
  if (list.length === 0 || list.length > MAX_BATCH) throw new RpcHttpError(400, -32600, `Invalid Request: a batch holds 1 to ${MAX_BATCH} messages`);
  const messages = list.map((m) => {
    const parsed = JSONRPCMessageSchema.safeParse(m);
    if (!parsed.success) throw new RpcHttpError(400, -32600, 'Invalid Request: not a JSON-RPC 2.0 request, notification or response');
    return parsed.data;
  });
  return { messages, batch };
}

/**
 * Serves `/mcp`. Every request is authenticated (a session does not replace the key); in session
 * mode a session presented with another key is answered as unknown. In stateless mode each POST
 * gets its own short-lived server.
 */
export class McpHttpHandler {
  private readonly sessions = new Map<string, Session>();
  private readonly catalog: ToolCatalog;
  private readonly sweeper: NodeJS.Timeout | undefined;
  private readonly stateless: boolean;

  constructor(private readonly app: App) {
    this.catalog = new ToolCatalog(app);
    this.stateless = app.config.mcp.stateless;
    if (!this.stateless) this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, app.config.mcp.sessionTtlMs)).unref();
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const parts = partsOf(req);
    const requestId = requestIdOf(parts.header('x-request-id'));
    const origin = parts.header('origin');
    const headers: OutgoingHttpHeaders = { 'x-request-id': requestId, ...corsHeaders(origin, false) };
    let keyId: string | undefined;
    try {
      checkHostAndOrigin(this.app, parts);
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { 'x-request-id': requestId, ...corsHeaders(origin, true) }).end();
        return;
      }
      const principal = await authenticate(this.app.keyCache, parts);
      keyId = principal.keyId;
      const filter = toolFilter(this.app, parts);
      if (req.method === 'POST') await this.post(req, res, parts, headers, { principal, requestId }, filter);
      else if (req.method === 'DELETE' && !this.stateless) this.delete(res, parts, headers, principal);
      else throw new RpcHttpError(405, -32000, `Method not allowed: use POST${this.stateless ? '' : ' (DELETE closes a session)'}`, { allow: this.stateless ? 'POST' : 'POST, DELETE' });
    } catch (err) {
      this.fail(res, headers, err, requestId, keyId);
    } finally {
      // A child logger per request would cost more than the line itself at the default level.
      this.app.log.info({ requestId, keyId, method: req.method, path: '/mcp', status: res.statusCode, ms: Math.round(performance.now() - started) }, 'request');
    }
  }

  private fail(res: ServerResponse, headers: OutgoingHttpHeaders, err: unknown, requestId: string, keyId: string | undefined): void {
    if (err instanceof RpcHttpError && !res.headersSent) {
      res.writeHead(err.status, { ...headers, ...JSON_HEADERS, ...err.headers }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: err.code, message: err.message }, id: null }));
      return;
    }
    const appError = toAppError(err, this.app.log.child({ requestId, keyId }), requestId);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const { status, body } = toHttp(appError);
    const extra: Record<string, string> = appError.code === 'unauthorized' ? { 'www-authenticate': wwwAuthenticate(appError) } : {};
    // An oversized body is left unread: closing the connection is cheaper than draining it.
    if (appError.code === 'payload_too_large') extra.connection = 'close';
    res.writeHead(status, { ...headers, ...JSON_HEADERS, ...extra }).end(JSON.stringify(body));
  }

  private async post(req: IncomingMessage, res: ServerResponse, parts: RequestParts, headers: OutgoingHttpHeaders, caller: Caller, filter: ToolFilter): Promise<void> {
    const accept = parts.header('accept') ?? '';
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
      throw new RpcHttpError(406, -32000, 'Not Acceptable: the Accept header must list both application/json and text/event-stream');
    }
    if (!isJsonContentType(parts.header('content-type'))) throw new RpcHttpError(415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
    const { messages, batch } = parseMessages(await readBody(req, this.app.config.maxBodyBytes));

    const initializing = messages.some((m) => 'method' in m && m.method === 'initialize');
    if (initializing && messages.length > 1) throw new RpcHttpError(400, -32600, 'Invalid Request: initialize must be sent alone');
    if (!initializing) {
      const version = parts.header('mcp-protocol-version');
      if (version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
        throw new RpcHttpError(400, -32000, `Bad Request: unsupported MCP-Protocol-Version ${version} (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`);
      }
    }

    let session: Session | undefined;
    let transport: HttpServerTransport;
    let server: Server | undefined;
    if (this.stateless) {
      transport = new HttpServerTransport();
      server = createMcpServer(this.app, this.catalog, filter, callerFromAuthInfo);
      await server.connect(transport);
    } else {
      session = initializing ? await this.open(caller.principal, filter, parts) : this.find(parts, caller.principal);
      session.lastSeen = Date.now();
      headers['mcp-session-id'] = session.id;
      transport = session.transport;
    }

    try {
      const requestIds = messages.filter(isRequest).map((m) => m.id);
      const extra: MessageExtraInfo = { authInfo: { token: '', clientId: caller.principal.keyId, scopes: [...caller.principal.scopes], extra: { ...caller } } };
      if (requestIds.length === 0) {
        transport.receive(messages, undefined, extra);
        res.writeHead(202, headers).end();
        return;
      }
      if (new Set(requestIds).size < requestIds.length || requestIds.some((id) => transport.isWaitingFor(id))) {
        throw new RpcHttpError(400, -32600, 'Invalid Request: a request id is already in use by a request still running in this session');
      }
      const exchange = new Exchange(res, headers, requestIds, batch, messages.some(wantsProgress));
      res.once('close', () => {
        transport.forget(exchange);
        exchange.finish();
      });
      transport.receive(messages, exchange, extra);
      await exchange.done;
    } finally {
      if (server) void server.close();
    }
  }

  private async open(principal: Principal, filter: ToolFilter, parts: RequestParts): Promise<Session> {
    if (parts.header('mcp-session-id')) throw new RpcHttpError(400, -32600, 'Invalid Request: initialize opens a new session; send it without an Mcp-Session-Id header');
    if (this.sessions.size >= this.app.config.mcp.maxSessions) this.evictOldest();
    const transport = new HttpServerTransport();
    const server = createMcpServer(this.app, this.catalog, filter, callerFromAuthInfo);
    const session: Session = { id: randomUUID(), server, transport, keyId: principal.keyId, lastSeen: Date.now() };
    transport.sessionId = session.id;
    await server.connect(transport);
    this.sessions.set(session.id, session);
    return session;
  }

  private find(parts: RequestParts, principal: Principal): Session {
    const id = parts.header('mcp-session-id');
    if (!id) throw new RpcHttpError(400, -32000, 'Bad Request: send initialize first, then pass the Mcp-Session-Id header it returns');
    const session = this.sessions.get(id);
    if (!session || session.keyId !== principal.keyId) {
      throw new RpcHttpError(404, -32001, 'Session not found: it expired or was closed. Start a new session with initialize.');
    }
    return session;
  }

  private delete(res: ServerResponse, parts: RequestParts, headers: OutgoingHttpHeaders, principal: Principal): void {
    const session = this.find(parts, principal);
    this.closeSession(session);
    res.writeHead(200, headers).end();
  }

  private sweep(): void {
    const cutoff = Date.now() - this.app.config.mcp.sessionTtlMs;
    for (const s of this.sessions.values()) if (s.lastSeen < cutoff) this.closeSession(s);
  }

  private evictOldest(): void {
    let oldest: Session | undefined;
    for (const s of this.sessions.values()) if (!oldest || s.lastSeen < oldest.lastSeen) oldest = s;
    if (oldest) this.closeSession(oldest);
  }

  private closeSession(s: Session): void {
    this.sessions.delete(s.id);
    void s.server.close();
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    await Promise.allSettled([...this.sessions.values()].map((s) => s.server.close()));
    this.sessions.clear();
  }
}

import { randomUUID } from 'node:crypto';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  type JSONRPCMessage,
  JSONRPCMessageSchema,
  type MessageExtraInfo,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/sdk/types.js';
import type { App } from '../../app.js';
import type { RequestParts } from '../http/guards.js';
import {
  type EndpointOptions,
  McpEndpoint,
  type McpRequest,
  type RequestId,
  RpcHttpError,
  checkPostHeaders,
} from './endpoint.js';
import { InFlight } from './in-flight.js';
import { Exchange, HttpServerTransport, isRequest } from './http-exchange.js';
import { type SessionEntry, SessionRegistry } from './sessions.js';

/*
 * MCP's streamable HTTP transport (spec 2025-11-25, and the 2025-03-26 and 2025-06-18 revisions
 * today's clients speak), served on node:http directly. The SDK's `Server` still does the
 * protocol — initialize, request validation, tools/list, tools/call, result validation — through
 * the small `Transport` below; only the HTTP framing is ours. The SDK's own HTTP transport (still
 * selectable, sdk-http.ts) wraps each request in web-standard Request/Response objects and streams,
 * which cost more CPU per call than the whole of a `list_prospects` call here (bench/README.md).
 *
 * What a client sees: POST carries JSON-RPC messages; requests are answered with one JSON body. The
 * answer turns into an SSE stream when the request asked for progress (`_meta.progressToken`), as
 * soon as the server sends anything else for that request (a notification, an elicitation or
 * sampling request), and when the call is still running after one keep-alive interval; a stream
 * carries keep-alive comments and ends with the result. Notifications and responses alone get 202.
 * In session mode, a successful initialize opens a session (`Mcp-Session-Id`), bound to the key
 * that opened it; DELETE closes it. There is no GET stream (405, as the spec allows), so a message
 * the server sends outside any request is dropped.
 */

const MAX_BATCH = 100;
/** The one revision with JSON-RPC batches (removed in 2025-06-18), and the one to assume when a stateless client names none. */
const BATCH_VERSION = '2025-03-26';
interface Session extends SessionEntry {
  transport: HttpServerTransport;
  /** What initialize negotiated; later requests must name it (or nothing) in MCP-Protocol-Version. */
  protocolVersion: string;
}

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
  if (list.length === 0 || list.length > MAX_BATCH)
    throw new RpcHttpError(400, -32600, `Invalid Request: a batch holds 1 to ${MAX_BATCH} messages`);
  const messages = list.map((m) => {
    const parsed = JSONRPCMessageSchema.safeParse(m);
    if (!parsed.success)
      throw new RpcHttpError(400, -32600, 'Invalid Request: not a JSON-RPC 2.0 request, notification or response');
    return parsed.data;
  });
  return { messages, batch };
}

/**
 * The revision a request after initialize is served under. The spec: a client SHOULD name the
 * negotiated revision in MCP-Protocol-Version, and a server MUST refuse an invalid or unsupported one
 * with 400; the official conformance suite sends another supported revision on purpose and expects
 * it served. So an unsupported revision is refused, and in a session the negotiated revision rules
 * whatever a supported header says: a header cannot unlock what the session did not negotiate
 * (batches). Without a session or a header, 2025-03-26, as the spec says.
 */
function protocolVersion(header: string | undefined, negotiated: string | undefined, id: RequestId | null): string {
  if (header === undefined) return negotiated ?? BATCH_VERSION;
  if (!SUPPORTED_PROTOCOL_VERSIONS.includes(header)) {
    throw new RpcHttpError(
      400,
      -32000,
      `Bad Request: unsupported MCP-Protocol-Version ${header} (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`,
      id,
    );
  }
  return negotiated ?? header;
}

/**
 * Serves `/mcp`. Every request is authenticated (a session does not replace the key); in session
 * mode a session presented with another key is answered as unknown. In stateless mode each POST
 * gets its own short-lived server.
 */
export class McpHttpHandler extends McpEndpoint {
  private readonly sessions: SessionRegistry<Session> | undefined;
  /** Calls in flight, for the keep-alive ticker (only tracked when keep-alives are on). */
  private readonly inFlight = new InFlight<Exchange>();
  private readonly ticker: NodeJS.Timeout | undefined;

  constructor(app: App, options: EndpointOptions = {}) {
    super(app, options);
    if (!this.stateless) this.sessions = new SessionRegistry(app.config.mcp);
    const every = app.config.mcp.sseKeepAliveMs;
    if (every > 0)
      this.ticker = setInterval(() => {
        for (const exchange of this.inFlight.values()) exchange.tick();
      }, every).unref();
  }

  get sessionCount(): number {
    return this.sessions?.size ?? 0;
  }

  protected async serve(r: McpRequest): Promise<void> {
    if (r.req.method === 'POST') await this.post(r);
    else if (r.req.method === 'DELETE' && this.sessions) this.delete(r, this.sessions);
    else
      throw new RpcHttpError(
        405,
        -32000,
        `Method not allowed: use POST${this.stateless ? '' : ' (DELETE closes a session)'}`,
        null,
        { allow: this.stateless ? 'POST' : 'POST, DELETE' },
      );
  }

  private async post(r: McpRequest): Promise<void> {
    checkPostHeaders(r.parts);
    const { messages, batch } = parseMessages(await this.readText(r));
    const first = messages[0]!;
    const id = !batch && isRequest(first) ? first.id : null;
    const initializing = messages.some((m) => 'method' in m && m.method === 'initialize');
    if (initializing && batch)
      throw new RpcHttpError(400, -32600, 'Invalid Request: initialize must be sent alone, not in a batch');
    if (initializing && this.sessions) return this.open(r, first, this.sessions);

    const header = r.parts.header('mcp-protocol-version');
    let server: Server | undefined;
    let transport: HttpServerTransport;
    let version: string | undefined;
    if (this.sessions) {
      const session = this.find(r.parts, r.caller.principal.keyId, id, this.sessions);
      version = protocolVersion(header, session.protocolVersion, id);
      r.headers['mcp-session-id'] = session.id;
      transport = session.transport;
    } else {
      if (!initializing) version = protocolVersion(header, undefined, id);
      transport = new HttpServerTransport();
      server = this.newServer(r.filter);
      await server.connect(transport);
    }
    if (batch && version !== BATCH_VERSION) {
      void server?.close();
      throw new RpcHttpError(
        400,
        -32600,
        `Invalid Request: JSON-RPC batches exist only in protocol version ${BATCH_VERSION}, not in ${version}; send one message per POST`,
      );
    }
    let answered = false;
    try {
      answered = await this.dispatch(r, transport, messages, batch, true);
    } finally {
      // A stateless server whose requests are all answered has nothing left to stop, and closing it
      // costs an error object with its stack trace (the SDK's "Connection closed"), a few percent of
      // a call's CPU. One whose client went away mid-call is closed: that aborts the running handler.
      if (server && !answered) void server.close();
    }
  }

  /** initialize in session mode: the session is registered, and its id sent, only if the server accepted it. */
  private async open(r: McpRequest, init: JSONRPCMessage, sessions: SessionRegistry<Session>): Promise<void> {
    if (r.parts.header('mcp-session-id'))
      throw new RpcHttpError(
        400,
        -32600,
        'Invalid Request: initialize opens a new session; send it without an Mcp-Session-Id header',
      );
    const server = this.newServer(r.filter);
    const transport = new HttpServerTransport();
    const { principal } = r.caller;
    const session: Session = {
      id: randomUUID(),
      keyId: principal.keyId,
      organizationId: principal.organizationId,
      lastSeen: Date.now(),
      transport,
      protocolVersion: '',
      close: () => void server.close(),
    };
    transport.sessionId = session.id;
    await server.connect(transport);
    let opened = false;
    try {
      await this.dispatch(r, transport, [init], false, false, (answer) => {
        if (!('result' in answer)) return;
        session.protocolVersion = (answer.result as { protocolVersion: string }).protocolVersion;
        sessions.add(session);
        r.headers['mcp-session-id'] = session.id;
        opened = true;
      });
    } finally {
      if (!opened) void server.close();
    }
  }

  private async dispatch(
    r: McpRequest,
    transport: HttpServerTransport,
    messages: JSONRPCMessage[],
    batch: boolean,
    canStream: boolean,
    beforeAnswer?: (answer: JSONRPCMessage) => void,
  ): Promise<boolean> {
    const { principal } = r.caller;
    const extra: MessageExtraInfo = {
      authInfo: { token: '', clientId: principal.keyId, scopes: [...principal.scopes], extra: { ...r.caller } },
    };
    const requestIds = messages.filter(isRequest).map((m) => m.id);
    if (requestIds.length === 0) {
      transport.receive(messages, undefined, extra);
      r.res.writeHead(202, r.headers).end();
      return true;
    }
    if (new Set(requestIds).size < requestIds.length || requestIds.some((id) => transport.isWaitingFor(id))) {
      throw new RpcHttpError(
        400,
        -32600,
        'Invalid Request: a request id is already in use by a request still running in this session',
      );
    }
    const exchange = new Exchange(r.res, r.headers, requestIds, batch, canStream, beforeAnswer);
    r.res.once('close', () => {
      transport.forget(exchange);
      exchange.finish();
    });
    const untrack = this.ticker ? this.inFlight.add(exchange) : undefined;
    try {
      if (messages.some((m) => isRequest(m) && m.params?._meta?.progressToken !== undefined)) exchange.stream();
      transport.receive(messages, exchange, extra);
      await exchange.done;
      return exchange.answered;
    } finally {
      untrack?.();
    }
  }

  private find(parts: RequestParts, keyId: string, id: RequestId | null, sessions: SessionRegistry<Session>): Session {
    const sessionId = parts.header('mcp-session-id');
    if (!sessionId)
      throw new RpcHttpError(
        400,
        -32000,
        'Bad Request: send initialize first, then pass the Mcp-Session-Id header it returns',
        id,
      );
    const session = sessions.find(sessionId, keyId);
    if (!session)
      throw new RpcHttpError(
        404,
        -32001,
        'Session not found: it expired or was closed. Start a new session with initialize.',
        id,
      );
    return session;
  }

  private delete(r: McpRequest, sessions: SessionRegistry<Session>): void {
    const session = this.find(r.parts, r.caller.principal.keyId, null, sessions);
    protocolVersion(r.parts.header('mcp-protocol-version'), session.protocolVersion, null);
    sessions.close(session);
    r.res.writeHead(200, r.headers).end();
  }

  async close(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.sessions?.closeAll();
  }
}

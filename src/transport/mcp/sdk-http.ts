import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { App } from '../../app.js';
import { type EndpointOptions, McpEndpoint, type McpRequest, RpcHttpError, checkPostHeaders } from './endpoint.js';
import { type SessionEntry, SessionRegistry } from './sessions.js';

/*
 * `/mcp` through the SDK's own StreamableHTTPServerTransport (SWITCHBOARD_MCP_TRANSPORT=sdk): the
 * reference the native transport is measured and tested against. The SDK does the framing (SSE
 * answers, the GET stream, DELETE, its header checks); around it stay what is Switchboard's: the
 * guards and error body of McpEndpoint, our body limit, sessions bound to the key that opened them
 * and capped per key and organization, and a session registered only once initialize succeeded.
 */

interface SdkSession extends SessionEntry {
  transport: StreamableHTTPServerTransport;
}

type Incoming = IncomingMessage & { auth?: AuthInfo };

export class SdkMcpHttpHandler extends McpEndpoint {
  private readonly sessions: SessionRegistry<SdkSession> | undefined;

  constructor(app: App, options: EndpointOptions = {}) {
    super(app, options);
    if (!this.stateless) this.sessions = new SessionRegistry(app.config.mcp);
  }

  get sessionCount(): number {
    return this.sessions?.size ?? 0;
  }

  protected async serve(r: McpRequest): Promise<void> {
    const req = r.req as Incoming;
    const { principal } = r.caller;
    // What the SDK hands the server as `extra.authInfo`; callerFromAuthInfo reads the caller back from it.
    req.auth = { token: '', clientId: principal.keyId, scopes: [...principal.scopes], extra: { ...r.caller } };
    for (const [name, value] of Object.entries(r.headers)) r.res.setHeader(name, value as string);
    const post = req.method === 'POST';
    const body = post ? await this.body(r) : undefined;

    if (!this.sessions) {
      if (!post) throw new RpcHttpError(405, -32000, 'Method not allowed: use POST', null, { allow: 'POST' });
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        keepAliveMs: this.keepAlive,
      });
      const server = this.newServer(r.filter);
      await server.connect(transport);
      r.res.once('close', () => void server.close());
      return transport.handleRequest(req, r.res, body);
    }

    const sessionId = r.parts.header('mcp-session-id');
    if (sessionId) {
      const session = this.sessions.find(sessionId, principal.keyId);
      if (!session)
        throw new RpcHttpError(
          404,
          -32001,
          'Session not found: it expired or was closed. Start a new session with initialize.',
        );
      return session.transport.handleRequest(req, r.res, body);
    }
    if (!['GET', 'POST', 'DELETE'].includes(req.method ?? '')) {
      throw new RpcHttpError(405, -32000, 'Method not allowed.', null, { allow: 'GET, POST, DELETE' });
    }
    const initId = (body as { id?: string | number } | undefined)?.id;
    if (!isInitializeRequest(body) || initId === undefined)
      throw new RpcHttpError(
        400,
        -32000,
        'Bad Request: Mcp-Session-Id header is required (send a valid initialize first)',
      );
    return this.open(r, body, initId, this.sessions);
  }

  private get keepAlive(): number {
    return this.app.config.mcp.sseKeepAliveMs || Number.POSITIVE_INFINITY;
  }

  /** Read here rather than by the SDK, so the body limit and its 413 are Switchboard's. */
  private async body(r: McpRequest): Promise<unknown> {
    checkPostHeaders(r.parts);
    const text = await this.readText(r);
    try {
      return JSON.parse(text);
    } catch {
      throw new RpcHttpError(400, -32700, 'Parse error: the body is not valid JSON');
    }
  }

  private async open(
    r: McpRequest,
    body: unknown,
    initId: string | number,
    sessions: SessionRegistry<SdkSession>,
  ): Promise<void> {
    const { principal } = r.caller;
    const server: Server = this.newServer(r.filter);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      keepAliveMs: this.keepAlive,
    });
    let session: SdkSession | undefined;
    // The SDK announces the session id before the server has answered; it becomes usable only
    // once the server accepts the initialize, by registering it before that answer is written.
    const send = transport.send.bind(transport);
    transport.send = async (message, options) => {
      if (!session && 'result' in message && message.id === initId && transport.sessionId) {
        session = {
          id: transport.sessionId,
          keyId: principal.keyId,
          organizationId: principal.organizationId,
          lastSeen: Date.now(),
          transport,
          close: () => void server.close(),
        };
        sessions.add(session);
      }
      return send(message, options);
    };
    transport.onclose = () => {
      if (session) sessions.remove(session);
    };
    // A refused initialize leaves nothing behind.
    r.res.once('close', () => session ?? void server.close());
    await server.connect(transport);
    await transport.handleRequest(r.req, r.res, body);
  }

  override drain(): void {
    for (const s of this.sessions?.values() ?? []) s.transport.closeStandaloneSSEStream();
  }

  async close(): Promise<void> {
    this.sessions?.closeAll();
  }
}

import { randomUUID } from 'node:crypto';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { App } from '../app.js';
import type { Principal } from '../core/context.js';
import type { ToolFilter } from '../tools/registry.js';
import { ToolCatalog, createMcpServer, principalFromAuthInfo } from './mcp.js';

interface Session {
  server: Server;
  transport: WebStandardStreamableHTTPServerTransport;
  keyId: string;
  lastSeen: number;
}

const jsonRpcError = (status: number, code: number, message: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

const wantsProgress = (body: unknown): boolean =>
  (Array.isArray(body) ? body : [body]).some((m) => (m as { params?: { _meta?: { progressToken?: unknown } } })?.params?._meta?.progressToken !== undefined);

/**
 * Streamable HTTP for MCP. In session mode each session keeps its server and transport, bound to
 * the key that opened it; every request is still authenticated, and a session presented with
 * another key is answered as unknown. In stateless mode each request gets a fresh pair.
 */
export class McpHttpHandler {
  private readonly sessions = new Map<string, Session>();
  private readonly catalog: ToolCatalog;
  private readonly sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly app: App) {
    this.catalog = new ToolCatalog(app);
    if (!app.config.mcp.stateless) {
      this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, app.config.mcp.sessionTtlMs)).unref();
    }
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  async handle(req: Request, principal: Principal, filter: ToolFilter, body: unknown): Promise<Response> {
    const authInfo = { token: '', clientId: principal.keyId, scopes: [...principal.scopes], extra: { principal } };
    if (this.app.config.mcp.stateless) return this.handleStateless(req, filter, body, authInfo);

    const sessionId = req.headers.get('mcp-session-id');
    if (sessionId) {
      const session = this.sessions.get(sessionId);
      if (!session || session.keyId !== principal.keyId) {
        return jsonRpcError(404, -32001, 'Session not found: it expired or was closed. Start a new session with initialize.');
      }
      session.lastSeen = Date.now();
      return session.transport.handleRequest(req, { parsedBody: body, authInfo });
    }
    if (req.method !== 'POST' || !isInitializeRequest(body)) {
      return jsonRpcError(400, -32000, 'Bad Request: send initialize first, then pass the Mcp-Session-Id header it returns');
    }
    if (this.sessions.size >= this.app.config.mcp.maxSessions) this.evictOldest();

    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      // Answers stream as SSE so progress notifications reach the client during a long call.
      enableJsonResponse: false,
      onsessioninitialized: (id) => {
        this.sessions.set(id, { server, transport, keyId: principal.keyId, lastSeen: Date.now() });
      },
      onsessionclosed: (id) => {
        this.sessions.delete(id);
      },
    });
    const server = createMcpServer(this.app, this.catalog, filter, principalFromAuthInfo);
    await server.connect(transport);
    return transport.handleRequest(req, { parsedBody: body, authInfo });
  }

  private async handleStateless(req: Request, filter: ToolFilter, body: unknown, authInfo: Record<string, unknown>): Promise<Response> {
    if (req.method !== 'POST') {
      return jsonRpcError(405, -32000, 'Method not allowed: this server is stateless (SWITCHBOARD_MCP_STATELESS=1); use POST', { allow: 'POST' });
    }
    // A plain JSON answer is cheapest; a call that asked for progress gets an SSE stream to carry it.
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: !wantsProgress(body) });
    const server = createMcpServer(this.app, this.catalog, filter, principalFromAuthInfo);
    await server.connect(transport);
    try {
      return await transport.handleRequest(req, { parsedBody: body, authInfo: authInfo as never });
    } finally {
      // Closing after the answer: a JSON body is complete; an SSE stream closes itself after its last event.
      if (!wantsProgress(body)) void server.close();
    }
  }

  private sweep(): void {
    const cutoff = Date.now() - this.app.config.mcp.sessionTtlMs;
    for (const [id, s] of this.sessions) if (s.lastSeen < cutoff) this.closeSession(id, s);
  }

  private evictOldest(): void {
    let oldest: [string, Session] | undefined;
    for (const entry of this.sessions) if (!oldest || entry[1].lastSeen < oldest[1].lastSeen) oldest = entry;
    if (oldest) this.closeSession(...oldest);
  }

  private closeSession(id: string, s: Session): void {
    this.sessions.delete(id);
    void s.server.close();
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    await Promise.allSettled([...this.sessions.values()].map((s) => s.server.close()));
    this.sessions.clear();
  }
}

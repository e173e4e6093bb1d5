import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { App } from '../../app.js';
import { AppError, type ErrorCode } from '../../kernel/errors.js';
import type { ToolFilter } from '../../operations/catalog.js';
import { toAppError, toHttp } from '../errors.js';
import {
  type RequestParts,
  admit,
  authenticate,
  checkHostAndOrigin,
  corsHeaders,
  requestIdOf,
  toolFilter,
  wwwAuthenticate,
} from '../http/guards.js';
import { type Caller, type McpServerFactory, ToolCatalog, createMcpServer } from './server.js';

/*
 * What both `/mcp` transports (ours and the SDK's) share: the checks every request passes before
 * it reaches MCP (Host and Origin, CORS preflight, the API key, tool filters), the request log line,
 * and one error body. Every error answered on /mcp, authentication included, is a JSON-RPC error
 * object with the HTTP status, because the client at the other end speaks JSON-RPC; the REST error
 * body (`code`, `type`, `param`) travels in `error.data`.
 */

export type RequestId = string | number;

export const JSON_HEADERS = { 'content-type': 'application/json' };

/** A failure answered with a JSON-RPC error body and an HTTP status. */
export class RpcHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly id: RequestId | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const RPC_CODE: Partial<Record<ErrorCode, number>> = { invalid_request: -32600, internal: -32603 };

export function rpcErrorBody(id: RequestId | null, code: number, message: string, data?: unknown): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    error: data === undefined ? { code, message } : { code, message, data },
  });
}

/** One request to /mcp once it passed the guards. */
export interface McpRequest {
  req: IncomingMessage;
  res: ServerResponse;
  parts: RequestParts;
  /** Headers every answer carries (request id, CORS); a session adds its id. */
  headers: OutgoingHttpHeaders;
  caller: Caller;
  filter: ToolFilter;
}

export function partsOf(req: IncomingMessage): RequestParts {
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

/**
 * The body as text. A body the client stops sending (it closed the connection, possibly before this
 * was even called, while the key was being checked) is its own doing: `onUnread` hears why (the
 * endpoint logs it at debug level, as REST does) and the request fails as a 400, never as an
 * unhandled error or a promise that never settles.
 */
export function readBody(req: IncomingMessage, maxBytes: number, onUnread?: (reason: string) => void): Promise<string> {
  const tooLarge = () => new AppError('payload_too_large', `The request body is larger than ${maxBytes} bytes`);
  if (Number(req.headers['content-length']) > maxBytes) return Promise.reject(tooLarge());
  const unread = (reason: string) => {
    onUnread?.(reason);
    return new AppError(
      'invalid_request',
      'The request body could not be read in full: the connection closed before it ended',
    );
  };
  if (req.readableAborted || (req.destroyed && !req.complete)) return Promise.reject(unread('aborted'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (err: () => AppError) => {
      if (settled) return;
      settled = true;
      reject(err());
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        fail(tooLarge);
      } else chunks.push(chunk);
    });
    req.once('end', () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    });
    req.once('error', (err) => fail(() => unread(err.message)));
    req.once('close', () => {
      if (!req.complete) fail(() => unread('connection closed'));
    });
  });
}

const isJsonContentType = (ct: string | undefined) => ct?.split(';', 1)[0]?.trim().toLowerCase() === 'application/json';

/** The spec's POST preconditions, checked the same way (and worded as the SDK words them) in both transports. */
export function checkPostHeaders(parts: RequestParts): void {
  const accept = parts.header('accept') ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
    throw new RpcHttpError(
      406,
      -32000,
      'Not Acceptable: the Accept header must list both application/json and text/event-stream',
    );
  }
  if (!isJsonContentType(parts.header('content-type')))
    throw new RpcHttpError(415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
}

export interface EndpointOptions {
  /** Builds the MCP server of a session (or of one stateless request); tests add tools through it. */
  createServer?: McpServerFactory;
}

/** `/mcp` on node:http: the guards, the log line and the error body; `serve` does the transport's part. */
export abstract class McpEndpoint {
  protected readonly catalog: ToolCatalog;
  protected readonly stateless: boolean;
  private readonly factory: McpServerFactory;

  constructor(
    protected readonly app: App,
    options: EndpointOptions = {},
  ) {
    this.catalog = new ToolCatalog(app);
    this.stateless = app.config.mcp.stateless;
    this.factory = options.createServer ?? createMcpServer;
  }

  abstract get sessionCount(): number;
  protected abstract serve(r: McpRequest): Promise<void>;
  /** Ends what never finishes by itself (standalone SSE streams), so that shutdown can wait for the rest. */
  drain(): void {}
  abstract close(): Promise<void>;

  /** The request's body as text, bounded; a body the client stops sending is a debug line and a 400. */
  protected readText(r: McpRequest): Promise<string> {
    return readBody(r.req, this.app.config.maxBodyBytes, (reason) =>
      this.app.log.debug({ requestId: r.caller.requestId, reason }, 'request body not received in full'),
    );
  }

  protected newServer(filter: ToolFilter) {
    return this.factory(this.app, this.catalog, filter);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const parts = partsOf(req);
    const requestId = requestIdOf(parts.header('x-request-id'));
    const headers: OutgoingHttpHeaders = { 'x-request-id': requestId };
    let keyId: string | undefined;
    try {
      const origin = checkHostAndOrigin(this.app, parts);
      Object.assign(headers, corsHeaders(origin, false));
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { 'x-request-id': requestId, ...corsHeaders(origin, true) }).end();
        return;
      }
      const principal = await authenticate(this.app.keyCache, parts);
      keyId = principal.keyId;
      const admitted = await admit(this.app, principal);
      Object.assign(headers, admitted.headers);
      // The slot is held until the answer is complete (a streamed answer included). A GET is the
      // SDK transport's standing SSE stream, not a call: it is counted against the windows, not in flight.
      if (req.method === 'GET') admitted.release();
      else res.once('close', admitted.release);
      await this.serve({
        req,
        res,
        parts,
        headers,
        caller: { principal, requestId },
        filter: toolFilter(this.app, parts),
      });
    } catch (err) {
      this.fail(res, headers, err, requestId, keyId);
    } finally {
      // A child logger per request would cost more than the line itself at the default level.
      this.app.log.info(
        {
          requestId,
          keyId,
          method: req.method,
          path: '/mcp',
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        },
        'request',
      );
    }
  }

  private fail(
    res: ServerResponse,
    headers: OutgoingHttpHeaders,
    err: unknown,
    requestId: string,
    keyId: string | undefined,
  ): void {
    if (err instanceof RpcHttpError && !res.headersSent) {
      res
        .writeHead(err.status, { ...headers, ...JSON_HEADERS, ...err.headers })
        .end(rpcErrorBody(err.id, err.code, err.message));
      return;
    }
    const appError = toAppError(err, this.app.log.child({ requestId, keyId }), requestId);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const { status, body, headers: errorHeaders } = toHttp(appError);
    const extra: Record<string, string> = { ...errorHeaders };
    if (appError.code === 'unauthorized') extra['www-authenticate'] = wwwAuthenticate(appError);
    // An oversized body is left unread: closing the connection is cheaper than draining it.
    if (appError.code === 'payload_too_large') extra.connection = 'close';
    const { message, ...data } = body.error;
    res
      .writeHead(status, { ...headers, ...JSON_HEADERS, ...extra })
      .end(rpcErrorBody(null, RPC_CODE[appError.code] ?? -32000, message, data));
  }
}

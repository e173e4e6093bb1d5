import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { App } from '../../app.js';
import { VERSION } from '../../app.js';
import type { Principal } from '../../kernel/context.js';
import type { CompiledOperation, ToolFilter } from '../../operations/catalog.js';
import { toAppError, toToolResult } from '../errors.js';
import { instructions } from '../../operations/docs.js';

// Each Server would otherwise build its own Ajv instance, a large share of a stateless request's cost.
const SHARED_VALIDATOR = new AjvJsonSchemaValidator();

/** Who sent the current MCP request, and the id of the HTTP request that carried it. */
export interface Caller {
  principal: Principal;
  requestId?: string;
}

/** Where a server finds its caller: the HTTP transport passes one per request (in authInfo.extra), stdio checks its key again. */
export type CallerSource = (authInfo: { extra?: Record<string, unknown> } | undefined) => Caller | Promise<Caller>;

export const callerFromAuthInfo: CallerSource = (authInfo) => {
  const caller = authInfo?.extra as Caller | undefined;
  if (!caller?.principal) throw new McpError(ErrorCode.InvalidRequest, 'unauthenticated request');
  return caller;
};

function toTool(c: CompiledOperation): Tool {
  const { op } = c;
  return {
    name: op.name,
    title: op.title,
    description: op.description,
    inputSchema: c.inputJsonSchema as Tool['inputSchema'],
    outputSchema: c.outputJsonSchema as Tool['outputSchema'],
    annotations: { title: op.title, ...op.annotations },
  };
}

/** What a (scopes, filter) pair may call, and its tools/list answer, made on first use. */
interface CatalogEntry {
  byName: Map<string, CompiledOperation>;
  readonly tools: Tool[];
}

/**
 * The tools/list answers, built once per (scopes, filter): the list only changes with those, and
 * building it (JSON Schemas included) per request would dominate the cost of a call. A client that
 * only calls tools never makes it.
 */
export class ToolCatalog {
  private readonly cache = new Map<string, CatalogEntry>();

  /** Written from the catalog once: the same text for every server of this process. */
  readonly instructions: string;

  constructor(private readonly app: App) {
    this.instructions = instructions(app.registry);
  }

  get(principal: Principal, filter: ToolFilter): CatalogEntry {
    const cacheKey = `${[...principal.scopes].sort().join(' ')}|${JSON.stringify(filter)}`;
    let entry = this.cache.get(cacheKey);
    if (!entry) {
      const ops = this.app.registry.select(principal, filter, 'mcp');
      let tools: Tool[] | undefined;
      entry = {
        byName: new Map(ops.map((c) => [c.op.name, c])),
        get tools() {
          tools ??= ops.map(toTool);
          return tools;
        },
      };
      if (this.cache.size > 1000) this.cache.clear();
      this.cache.set(cacheKey, entry);
    }
    return entry;
  }
}

/** Builds the MCP server of an HTTP session (or of one stateless request). */
export type McpServerFactory = (app: App, catalog: ToolCatalog, filter: ToolFilter) => Server;

/** What differs between the HTTP transport's servers and stdio's. */
export interface McpServerOptions {
  /** Where the caller comes from: the HTTP request's auth info by default. */
  callerOf?: CallerSource;
  /** Awaited before each tool call, not before tools/list (stdio: until its job queue is up). */
  beforeCall?: () => Promise<unknown>;
  /** Told once a tools/list answer is ready to send (stdio starts its job queue then). */
  onListed?: () => void;
  /** Counts each tool call against the key's rate limits (stdio; over HTTP the endpoint counts requests); returns the in-flight release. */
  limit?: (principal: Principal) => Promise<() => void>;
}

/** An MCP server exposing the operations a principal may use under a filter. */
export function createMcpServer(
  app: App,
  catalog: ToolCatalog,
  filter: ToolFilter,
  { callerOf = callerFromAuthInfo, beforeCall, onListed, limit }: McpServerOptions = {},
): Server {
  const server = new Server(
    { name: 'switchboard', title: 'Switchboard', version: VERSION },
    {
      capabilities: { tools: { listChanged: false } },
      instructions: catalog.instructions,
      jsonSchemaValidator: SHARED_VALIDATOR,
    },
  );

  server.setRequestHandler(ListToolsRequestSchema, async (_req, extra) => {
    const { tools } = catalog.get((await callerOf(extra.authInfo)).principal, filter);
    onListed?.();
    return { tools };
  });

  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    await beforeCall?.();
    const caller = await callerOf(extra.authInfo);
    const { principal } = caller;
    const compiled = catalog.get(principal, filter).byName.get(req.params.name);
    if (!compiled) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `Unknown tool: ${req.params.name}. Call tools/list for the tools this key and filter allow.`,
      );
    }
    const requestId = caller.requestId ?? randomUUID();
    const log = app.log.child({ requestId, keyId: principal.keyId, tool: compiled.op.name });
    const started = performance.now();
    let release: (() => void) | undefined;
    try {
      release = await limit?.(principal);
      const token = req.params._meta?.progressToken;
      const progress =
        token === undefined
          ? undefined
          : (done: number, total: number, message: string) =>
              extra.sendNotification({
                method: 'notifications/progress',
                params: { progressToken: token, progress: done, total, message },
              });
      const { output } = await app.registry.invoke(compiled, principal, req.params.arguments, {
        requestId,
        log,
        progress,
        signal: extra.signal,
      });
      log.debug({ ms: Math.round(performance.now() - started) }, 'tool call');
      return {
        structuredContent: output as Record<string, unknown>,
        content: [{ type: 'text', text: JSON.stringify(output) }],
      };
    } catch (err) {
      const appError = toAppError(err, log, requestId);
      log.info({ ms: Math.round(performance.now() - started), code: appError.code }, 'tool call failed');
      return toToolResult(appError);
    } finally {
      release?.();
    }
  });
  return server;
}

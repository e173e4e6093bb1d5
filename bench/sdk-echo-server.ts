/**
 * The baseline: a bare @modelcontextprotocol/sdk server with one `echo` tool, written the way the
 * SDK's own examples (simpleStreamableHttp, jsonResponseStreamableHttp) write one: Express from
 * createMcpExpressApp, McpServer, and one StreamableHTTPServerTransport per session, kept in a map.
 * No auth, no database, no logging: it is the floor the SDK's HTTP path costs.
 *
 * Env: PORT (required); SDK_JSON_RESPONSE=1 answers with application/json instead of the default
 * one-event SSE stream.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

// Express's types are not installed; this is the part of them the handler uses.
type Req = IncomingMessage & { body: unknown };
type Res = ServerResponse & { status(code: number): Res; json(body: unknown): void };

const enableJsonResponse = process.env.SDK_JSON_RESPONSE === '1';
const transports = new Map<string, StreamableHTTPServerTransport>();

function echoServer(): McpServer {
  const server = new McpServer({ name: 'sdk-echo', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Echoes its input', inputSchema: { text: z.string() } },
    async ({ text }) => ({
      content: [{ type: 'text', text }],
    }),
  );
  return server;
}

const app = createMcpExpressApp();
app.post('/mcp', async (req: Req, res: Res) => {
  const sessionId = req.headers['mcp-session-id'] as string | undefined;
  const existing = sessionId ? transports.get(sessionId) : undefined;
  if (existing) return existing.handleRequest(req, res, req.body);
  if (sessionId || !isInitializeRequest(req.body)) {
    res
      .status(sessionId ? 404 : 400)
      .json({ jsonrpc: '2.0', error: { code: -32000, message: 'No valid session' }, id: null });
    return;
  }
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    enableJsonResponse,
    onsessioninitialized: (id) => void transports.set(id, transport),
  });
  transport.onclose = () => void (transport.sessionId && transports.delete(transport.sessionId));
  await echoServer().connect(transport);
  await transport.handleRequest(req, res, req.body);
});

const port = Number(process.env.PORT);
app.listen(port, '127.0.0.1', () => process.stdout.write(`listening on ${port}\n`));
process.once('SIGTERM', () => process.exit(0));

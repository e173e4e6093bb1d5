import http from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolRequestSchema, ElicitRequestSchema, ElicitResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startHttpServer } from '../../../src/transport/http/server.js';
import { type McpServerFactory, createMcpServer } from '../../../src/transport/mcp/server.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp } from '../../helpers/app.js';
import { ACCEPT, call, sseMessages, wireClient } from '../../helpers/mcp-wire.js';

/**
 * What a handler sends the client while a call runs (a log message, an elicitation request)
 * reaches it: the call's answer turns into an SSE stream that carries them and ends with the
 * result. Long streams get keep-alive comments. Both transports, through test-only tools.
 */

let release: () => void = () => {};
const createServer: McpServerFactory = (app, catalog, filter) => {
  const server = createMcpServer(app, catalog, filter);
  server.registerCapabilities({ logging: {} });
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    if (req.params.name === 'test_log') {
      await extra.sendNotification({
        method: 'notifications/message',
        params: { level: 'info', data: 'halfway there' },
      });
      return { content: [{ type: 'text', text: 'logged' }] };
    }
    if (req.params.name === 'test_elicit') {
      const answer = await extra.sendRequest(
        {
          method: 'elicitation/create',
          params: {
            message: 'Your name?',
            requestedSchema: { type: 'object', properties: { name: { type: 'string' } } },
          },
        },
        ElicitResultSchema,
      );
      return { content: [{ type: 'text', text: `hello ${answer.content?.name}` }] };
    }
    await new Promise<void>((resolve) => (release = resolve));
    return { content: [{ type: 'text', text: 'waited' }] };
  });
  return server;
};

let t: TestApp;
let key: string;
beforeAll(async () => {
  t = await createTestApp();
  const org = await createOrg(t.app);
  key = await addKey(t.app, org, ['*'], [await addWorkspace(t.app, org, 'main')]);
});
afterAll(() => t?.close());

/** POSTs a call and resolves once the body so far matches `until`, with the response still open. */
function postUntil(url: string, headers: Record<string, string>, body: unknown, until: RegExp) {
  const target = new URL(`${url}/mcp`);
  let text = '';
  let contentType = '';
  const ended = new Promise<string>((resolveEnd, reject) => {
    const req = http.request(
      { host: target.hostname, port: target.port, path: '/mcp', method: 'POST', headers },
      (res) => {
        contentType = res.headers['content-type'] ?? '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolveEnd(text));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
  const seen = (async () => {
    while (!until.test(text)) await Promise.race([ended, new Promise((r) => setTimeout(r, 10))]);
    return contentType;
  })();
  return { seen, ended };
}

describe.each(['native', 'sdk'] as const)('server-to-client messages during a call (%s transport)', (transport) => {
  let server: RunningServer;
  const { post, open } = wireClient(
    () => server.url,
    () => key,
  );

  beforeAll(async () => {
    const app = { ...t.app, config: { ...t.app.config, mcp: { ...t.app.config.mcp, transport, sseKeepAliveMs: 50 } } };
    server = await startHttpServer(app, { port: 0, mcp: { createServer } });
  });
  afterAll(() => server?.close());

  it('streams a notification sent during a call, then the result as the last event', async () => {
    const session = await open();
    const res = await post(call(3, 'test_log'), { 'mcp-session-id': session });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(sseMessages(res.text)).toEqual([
      { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'halfway there' } },
      { jsonrpc: '2.0', id: 3, result: { content: [{ type: 'text', text: 'logged' }] } },
    ]);
  });

  it('carries an elicitation request to the SDK client and the answer back to the call', async () => {
    const client = new Client({ name: 'elicit-test', version: '1' }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      expect(req.params.message).toBe('Your name?');
      return { action: 'accept', content: { name: 'Ada' } };
    });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${key}` } },
      }),
    );
    try {
      const result = await client.callTool({ name: 'test_elicit', arguments: {} }, undefined, { timeout: 5000 });
      expect(result.content).toEqual([{ type: 'text', text: 'hello Ada' }]);
    } finally {
      await client.close();
    }
  });

  it('sends keep-alive comments on a long call, which still ends with its result', async () => {
    const session = await open();
    const headers = {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      accept: ACCEPT,
      'mcp-session-id': session,
    };
    const { seen, ended } = postUntil(server.url, headers, call(4, 'test_wait'), /^: ?keep-?alive$/m);
    expect(await seen).toBe('text/event-stream');
    release();
    expect(sseMessages(await ended).at(-1)).toEqual({
      jsonrpc: '2.0',
      id: 4,
      result: { content: [{ type: 'text', text: 'waited' }] },
    });
  });
});

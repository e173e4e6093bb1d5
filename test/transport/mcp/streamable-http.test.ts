import http from 'node:http';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startHttpServer } from '../../../src/transport/http/server.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp, testConfig } from '../../helpers/app.js';
import {
  ACCEPT,
  type Reply,
  call,
  initialize,
  send as sendTo,
  sseMessages,
  wireClient,
} from '../../helpers/mcp-wire.js';

/**
 * The streamable HTTP transport on the wire: what a client that is not the SDK's sees, every
 * refusal included. test/e2e/http.test.ts drives the same endpoint with the SDK's own client.
 */

const MAX_BODY = 64 * 1024;
const send = (server: RunningServer, method: string, headers: Record<string, string>, body?: string) =>
  sendTo(server.url, method, headers, body);

let t: TestApp;
let key: string;
let otherKey: string;

beforeAll(async () => {
  t = await createTestApp({
    maxBodyBytes: MAX_BODY,
    mcp: { ...testConfig().mcp, stateless: false, sessionTtlMs: 60_000, maxSessions: 3 },
  });
  const org = await createOrg(t.app);
  const ws = await addWorkspace(t.app, org, 'main');
  key = await addKey(t.app, org, ['*'], [ws]);
  otherKey = await addKey(t.app, org, ['*'], [ws]);
});
afterAll(() => t?.close());

describe('MCP over HTTP in session mode, on the wire', () => {
  let server: RunningServer;
  const { post, open } = wireClient(
    () => server.url,
    () => key,
  );

  beforeAll(async () => {
    server = await startHttpServer(t.app, { port: 0 });
  });
  afterAll(() => server?.close());

  it('opens a session, answers calls as JSON with the session id, and closes it on DELETE', async () => {
    const init = await post(initialize());
    expect(init.headers['content-type']).toBe('application/json');
    expect(init.json.result).toMatchObject({
      protocolVersion: LATEST_PROTOCOL_VERSION,
      serverInfo: { name: 'switchboard' },
    });
    expect(init.json.result.instructions).toMatch(/Switchboard/);
    const session = init.headers['mcp-session-id'] as string;

    const res = await post(call(2, 'get_workspace_config'), {
      'mcp-session-id': session,
      'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
    });
    expect(res.status).toBe(200);
    expect(res.headers['mcp-session-id']).toBe(session);
    expect(res.headers['x-request-id']).toBeTruthy();
    expect(res.json).toMatchObject({
      jsonrpc: '2.0',
      id: 2,
      result: { structuredContent: { workspace: { slug: 'main' } } },
    });

    const closed = await send(server, 'DELETE', { authorization: `Bearer ${key}`, 'mcp-session-id': session });
    expect(closed.status).toBe(200);
    const after = await post(call(3, 'get_workspace_config'), { 'mcp-session-id': session });
    expect(after.status).toBe(404);
    expect(after.json.error).toMatchObject({ code: -32001 });
  });

  it('answers a batch in request order in protocol 2025-03-26, and notifications alone with 202', async () => {
    const session = await open(key, '2025-03-26');
    const res = await post(
      [
        call('b', 'list_workspaces'),
        { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'zzz' } },
        call('a', 'get_workspace_config'),
      ],
      {
        'mcp-session-id': session,
      },
    );
    expect(res.status).toBe(200);
    expect(res.json.map((m: { id: string }) => m.id)).toEqual(['b', 'a']);
  });

  it('streams a call that asks for progress as SSE, ending with its answer', async () => {
    const session = await open();
    const res = await post(call(7, 'list_prospects', {}, { progressToken: 'p1' }), { 'mcp-session-id': session });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    const messages = sseMessages(res.text);
    expect(messages.at(-1)).toMatchObject({ id: 7, result: { structuredContent: { prospects: [] } } });
  });

  it('refuses what the transport cannot take, with a JSON-RPC error and the right status', async () => {
    const session = await open();
    const s = { 'mcp-session-id': session };
    const old = { ...s, 'mcp-protocol-version': '2025-03-26' };
    const session2025 = { 'mcp-session-id': await open(key, '2025-03-26'), 'mcp-protocol-version': '2025-03-26' };
    // The id is echoed when the body was one request the transport could read.
    const cases: [Promise<Reply>, number, number, RegExp, (number | null)?][] = [
      [post(call(1, 'list_workspaces'), { ...s, accept: 'application/json' }), 406, -32000, /Accept/],
      [post(call(1, 'list_workspaces'), { ...s, 'content-type': 'text/plain' }), 415, -32000, /Content-Type/],
      [post('{"jsonrpc":', s), 400, -32700, /not valid JSON/],
      [post({ hello: 'world' }, s), 400, -32600, /JSON-RPC/],
      [post([], session2025), 400, -32600, /batch/],
      [post([initialize(1), call(2, 'list_workspaces')]), 400, -32600, /initialize must be sent alone/],
      [post([initialize(1)]), 400, -32600, /not in a batch/],
      [post(initialize(), s), 400, -32600, /without an Mcp-Session-Id/],
      [post(call(1, 'list_workspaces')), 400, -32000, /send initialize first/, 1],
      [post(call(1, 'list_workspaces'), { 'mcp-session-id': 'no-such-session' }), 404, -32001, /Session not found/, 1],
      [
        post(call(1, 'list_workspaces'), { ...s, 'mcp-protocol-version': '1999-01-01' }),
        400,
        -32000,
        /unsupported MCP-Protocol-Version/,
        1,
      ],
      [
        post([call(1, 'list_workspaces')], s),
        400,
        -32600,
        /batches exist only in protocol version 2025-03-26, not in 2025-11-25/,
      ],
      // Another supported revision in the header is served, but cannot unlock batches the session did not negotiate.
      [
        post([call(1, 'list_workspaces')], old),
        400,
        -32600,
        /batches exist only in protocol version 2025-03-26, not in 2025-11-25/,
      ],
      [
        post([call(1, 'list_workspaces'), call(1, 'get_workspace_config')], session2025),
        400,
        -32600,
        /request id is already in use/,
      ],
      [
        send(server, 'GET', { authorization: `Bearer ${key}`, accept: 'text/event-stream', ...s }),
        405,
        -32000,
        /Method not allowed/,
      ],
      [send(server, 'PUT', { authorization: `Bearer ${key}`, ...s }, '{}'), 405, -32000, /Method not allowed/],
      [send(server, 'DELETE', { authorization: `Bearer ${key}` }), 400, -32000, /Mcp-Session-Id/],
      [
        send(server, 'DELETE', { authorization: `Bearer ${key}`, ...s, 'mcp-protocol-version': '1999-01-01' }),
        400,
        -32000,
        /unsupported MCP-Protocol-Version/,
      ],
    ];
    for (const [reply, status, code, message, id = null] of cases) {
      const res = await reply;
      expect(res.status, res.text).toBe(status);
      expect(res.json).toMatchObject({ jsonrpc: '2.0', id, error: { code } });
      expect(res.json.error.message).toMatch(message);
    }
    expect((await send(server, 'GET', { authorization: `Bearer ${key}`, ...s })).headers.allow).toBe('POST, DELETE');
    // None of those closed or broke the session.
    expect((await post(call(9, 'list_workspaces'), s)).status).toBe(200);
    // A supported revision other than the negotiated one is served (the spec refuses only unsupported ones).
    expect((await post(call(10, 'list_workspaces'), old)).status).toBe(200);
  });

  it('answers a call still running when its session closes with an error, instead of leaving it hanging', async () => {
    const session = await open();
    const s = { 'mcp-session-id': session };
    const kb = (await post(call(1, 'create_knowledge_base', { name: 'Slow' }), s)).json.result.structuredContent
      .knowledge_base;
    // No ingestion worker runs in this app, so waiting for the document lasts until the session is gone.
    const running = post(
      call(2, 'add_document', { knowledge_base_id: kb.id, name: 'a.md', content: '# A', wait: true }),
      s,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect((await send(server, 'DELETE', { authorization: `Bearer ${key}`, ...s })).status).toBe(200);
    const res = await running;
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      jsonrpc: '2.0',
      id: 2,
      error: { code: -32001, message: expect.stringMatching(/Session closed/) },
    });
  });

  it('binds a session to the key that opened it', async () => {
    const session = await open(key);
    const res = await post(call(1, 'list_workspaces'), { 'mcp-session-id': session }, otherKey);
    expect(res.status).toBe(404);
    expect(
      (await send(server, 'DELETE', { authorization: `Bearer ${otherKey}`, 'mcp-session-id': session })).status,
    ).toBe(404);
    expect((await post(call(2, 'list_workspaces'), { 'mcp-session-id': session })).status).toBe(200);
  });

  it('keeps at most maxSessions sessions, closing the least recently used', async () => {
    const sessions = [await open(), await open(), await open()];
    await post(call(1, 'list_workspaces'), { 'mcp-session-id': sessions[0]! });
    await open();
    const alive = await Promise.all(
      sessions.map(async (id) => (await post(call(2, 'list_workspaces'), { 'mcp-session-id': id })).status),
    );
    expect(alive).toEqual([200, 404, 200]);
  });

  it('answers a missing or wrong key with 401, a challenge and a JSON-RPC error carrying the REST error code', async () => {
    const missing = await post(initialize(), {}, null);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe(
      'Bearer realm="switchboard", error_description="Missing API key: send it as Authorization: Bearer <key>"',
    );
    expect(missing.json).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: {
        code: -32000,
        message: expect.stringMatching(/Missing API key/),
        data: { code: 'unauthorized', type: 'authentication_error' },
      },
    });
    const wrong = await post(initialize(), {}, 'sb_not_a_key');
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    expect((await post(initialize(), { 'x-api-key': key }, null)).status).toBe(200);
  });

  it('refuses a foreign Host or Origin with 403, and answers CORS for an allowed origin', async () => {
    const port = new URL(server.url).port;
    expect((await post(initialize(), { host: 'evil.example' })).status).toBe(403);
    const foreign = await post(initialize(), { origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    // Only the host name used to be compared: another port of localhost, or another scheme, passed.
    for (const near of [
      `http://localhost:${Number(port) + 1}`,
      'chrome-extension://localhost',
      `https://localhost:${port}`,
      'null',
    ]) {
      const refused = await post(initialize(), { origin: near });
      expect(refused.status, near).toBe(403);
      expect(refused.headers['access-control-allow-origin'], near).toBeUndefined();
    }
    expect(foreign.json).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32000, data: { code: 'forbidden' } },
    });

    const origin = `http://localhost:${port}`;
    const preflight = await send(server, 'OPTIONS', { origin, 'access-control-request-method': 'POST' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(origin);
    expect(preflight.headers['access-control-allow-headers']).toMatch(/Mcp-Session-Id/);
    const res = await post(initialize(), { origin });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(origin);
    expect(res.headers['access-control-expose-headers']).toMatch(/Mcp-Session-Id/);
  });

  it('refuses a body over maxBodyBytes with 413, declared or not', async () => {
    const session = await open();
    const big = JSON.stringify(
      call(1, 'upsert_prospect', { email: 'big@example.com', custom_fields: { blob: 'x'.repeat(MAX_BODY) } }),
    );
    const declared = await post(big, { 'mcp-session-id': session });
    expect(declared.status).toBe(413);
    expect(declared.json).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32000, data: { code: 'payload_too_large' } },
    });
    const url = new URL(server.url);
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: '/mcp',
          method: 'POST',
          headers: {
            authorization: `Bearer ${key}`,
            'content-type': 'application/json',
            accept: ACCEPT,
            'mcp-session-id': session,
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', reject);
      req.write(big.slice(0, MAX_BODY / 2));
      req.end(big.slice(MAX_BODY / 2));
    });
    expect(chunked).toBe(413);
    const count = await t.app.db.selectFrom('prospects').select('id').where('email', '=', 'big@example.com').execute();
    expect(count).toEqual([]);
  });
});

describe('MCP over HTTP in stateless mode, on the wire', () => {
  let stateless: TestApp;
  let server: RunningServer;
  let k: string;
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    send(
      server,
      'POST',
      { 'content-type': 'application/json', accept: ACCEPT, authorization: `Bearer ${k}`, ...headers },
      JSON.stringify(body),
    );

  beforeAll(async () => {
    stateless = await createTestApp({ mcp: { ...testConfig().mcp, stateless: true } });
    const org = await createOrg(stateless.app);
    k = await addKey(stateless.app, org, ['*'], [await addWorkspace(stateless.app, org, 'solo')]);
    server = await startHttpServer(stateless.app, { port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await stateless?.close();
  });

  it('answers initialize and calls without any session, and refuses GET and DELETE', async () => {
    const init = await post(initialize());
    expect(init.status).toBe(200);
    expect(init.headers['mcp-session-id']).toBeUndefined();
    const res = await post(call(1, 'get_workspace_config'));
    expect(res.json).toMatchObject({ id: 1, result: { structuredContent: { workspace: { slug: 'solo' } } } });
    // Two clients may use the same request id at once: each POST has its own server.
    const [a, b] = await Promise.all([post(call(5, 'list_workspaces')), post(call(5, 'get_workspace_config'))]);
    expect(a.json.result.structuredContent.workspaces).toHaveLength(1);
    expect(b.json.result.structuredContent.workspace.slug).toBe('solo');
    for (const method of ['GET', 'DELETE']) {
      const refused = await send(server, method, { authorization: `Bearer ${k}` });
      expect(refused.status).toBe(405);
      expect(refused.headers.allow).toBe('POST');
    }
  });

  it('streams progress as SSE when asked, even without a session', async () => {
    const res = await post(call(3, 'list_workspaces', {}, { progressToken: 7 }));
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(sseMessages(res.text).at(-1)).toMatchObject({
      id: 3,
      result: { structuredContent: { workspaces: [{ slug: 'solo' }] } },
    });
  });

  it('checks MCP-Protocol-Version against the supported ones, and takes batches only from 2025-03-26 (the version assumed without the header)', async () => {
    const unsupported = await post(call(1, 'list_workspaces'), { 'mcp-protocol-version': '2024-01-01' });
    expect(unsupported.status).toBe(400);
    expect(unsupported.json).toMatchObject({
      jsonrpc: '2.0',
      id: 1,
      error: { code: -32000, message: expect.stringMatching(/unsupported MCP-Protocol-Version 2024-01-01/) },
    });
    const batch = [call('x', 'list_workspaces'), call('y', 'get_workspace_config')];
    const refused = await post(batch, { 'mcp-protocol-version': '2025-06-18' });
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: expect.stringMatching(/not in 2025-06-18/) },
    });
    for (const headers of [{}, { 'mcp-protocol-version': '2025-03-26' }] as Record<string, string>[]) {
      const ok = await post(batch, headers);
      expect(ok.status).toBe(200);
      expect(ok.json.map((m: { id: string }) => m.id)).toEqual(['x', 'y']);
    }
  });
});

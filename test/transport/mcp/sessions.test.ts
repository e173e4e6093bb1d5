import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import type { McpConfig } from '../../../src/config.js';
import { type RunningServer, startHttpServer } from '../../../src/transport/http/server.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp } from '../../helpers/app.js';
import { call, sseMessages, wireClient } from '../../helpers/mcp-wire.js';

/**
 * Session limits and registration on the wire, for both transports: one tenant opening sessions
 * in a loop must not push anyone else's out, and a refused initialize must leave no session behind.
 */

let t: TestApp;
const keys: Record<'a' | 'b' | 'rival' | 'third', string> = { a: '', b: '', rival: '', third: '' };

beforeAll(async () => {
  t = await createTestApp();
  const acme = await createOrg(t.app, 'Acme');
  const rival = await createOrg(t.app, 'Rival');
  const third = await createOrg(t.app, 'Third');
  const ws = await addWorkspace(t.app, acme, 'main');
  keys.a = await addKey(t.app, acme, ['*'], [ws]);
  keys.b = await addKey(t.app, acme, ['*'], [ws]);
  keys.rival = await addKey(t.app, rival, ['*'], [await addWorkspace(t.app, rival, 'theirs')]);
  keys.third = await addKey(t.app, third, ['*'], [await addWorkspace(t.app, third, 'small')]);
});
afterAll(() => t?.close());

const withMcp = (app: App, mcp: Partial<McpConfig>): App => ({
  ...app,
  config: { ...app.config, mcp: { ...app.config.mcp, ...mcp } },
});

describe.each(['native', 'sdk'] as const)('MCP sessions (%s transport)', (transport) => {
  let server: RunningServer;
  const { post, open } = wireClient(
    () => server.url,
    () => keys.a,
  );
  /** HTTP status of a call in each session, with the key that opened it (200 alive, 404 gone). */
  const statuses = (sessions: [string, string][]) =>
    Promise.all(
      sessions.map(async ([key, id]) => (await post(call(9, 'list_workspaces'), { 'mcp-session-id': id }, key)).status),
    );

  beforeEach(async () => {
    server = await startHttpServer(
      withMcp(t.app, { transport, maxSessionsPerKey: 3, maxSessionsPerOrg: 4, maxSessions: 6 }),
      { port: 0 },
    );
  });
  afterEach(() => server?.close());

  it("lets a key flooding sessions evict only its own oldest, never another key's or organization's", async () => {
    const b = await open(keys.b);
    const rival = await open(keys.rival);
    const flood: string[] = [];
    for (let i = 0; i < 12; i++) flood.push(await open(keys.a));
    expect(
      await statuses([
        [keys.b, b],
        [keys.rival, rival],
      ]),
    ).toEqual([200, 200]);
    expect(await statuses(flood.map((id) => [keys.a, id]))).toEqual([...Array(9).fill(404), 200, 200, 200]);
  });

  it('makes room in a full organization from the opening key first, then from the organization', async () => {
    const a = [await open(keys.a), await open(keys.a), await open(keys.a)];
    const b1 = await open(keys.b);
    // Acme holds 4, its cap: B's next session replaces B's own, A keeps all three.
    const b2 = await open(keys.b);
    expect(await statuses([...a.map((id) => [keys.a, id] as [string, string]), [keys.b, b1], [keys.b, b2]])).toEqual([
      200, 200, 200, 404, 200,
    ]);
  });

  it('makes room in a full server from the largest organization, not from a small one', async () => {
    const a = [await open(keys.a), await open(keys.a), await open(keys.a)];
    const b = await open(keys.b);
    const rival = [await open(keys.rival), await open(keys.rival)];
    // 6 sessions, the server's cap: a third organization's first session costs Acme (the largest) its least recently used.
    await post(call(1, 'list_workspaces'), { 'mcp-session-id': a[0]! });
    const third = await open(keys.third);
    const all: [string, string][] = [
      ...a.map((id) => [keys.a, id] as [string, string]),
      [keys.b, b],
      ...rival.map((id) => [keys.rival, id] as [string, string]),
      [keys.third, third],
    ];
    expect(await statuses(all)).toEqual([200, 404, 200, 200, 200, 200, 200]);
  });

  it('registers a session only once initialize succeeded: a malformed one gets an error and no usable session id', async () => {
    const malformed = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { capabilities: {} } });
    const answer = malformed.json ?? sseMessages(malformed.text).at(-1);
    expect(answer).toMatchObject({ jsonrpc: '2.0', error: { code: expect.any(Number) } });
    const sessionId = malformed.headers['mcp-session-id'] as string | undefined;
    if (sessionId) expect((await post(call(2, 'list_workspaces'), { 'mcp-session-id': sessionId })).status).toBe(404);
    expect(await statuses([[keys.a, await open()]])).toEqual([200]);
  });
});

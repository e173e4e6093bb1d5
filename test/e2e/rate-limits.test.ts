import { CallToolRequestSchema, LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { openDatabase } from '../../src/adapters/db/connect.js';
import { migrateToLatest } from '../../src/adapters/db/migrate.js';
import { type RunningServer, startHttpServer } from '../../src/transport/http/server.js';
import { type McpServerFactory, createMcpServer } from '../../src/transport/mcp/server.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp, silentLog, testConfig } from '../helpers/app.js';
import { TEST_DB_KIND, createPgDatabase } from '../helpers/db.js';
import { call, initialize, wireClient } from '../helpers/mcp-wire.js';

/**
 * Rate limits through the real transports: the X-RateLimit-* headers on every authenticated answer,
 * 429 with Retry-After on REST and on /mcp (both transports), the in-flight cap, organization
 * settings over REST, two apps on one PostgreSQL database sharing one budget, and the off switch.
 * The CLI and stdio are covered in rate-limits-cli.test.ts.
 */

// A test tool that holds its call until `openGate` runs, to keep requests in flight.
let entered = 0;
let gate: Promise<void> = Promise.resolve();
let openGate: () => void = () => {};
const closeGate = () => {
  entered = 0;
  gate = new Promise<void>((r) => (openGate = r));
};
const withWaitTool: McpServerFactory = (app, catalog, filter) => {
  const server = createMcpServer(app, catalog, filter);
  server.setRequestHandler(CallToolRequestSchema, async () => {
    entered++;
    await gate;
    return { content: [{ type: 'text', text: 'waited' }] };
  });
  return server;
};

async function rest(url: string, key: string | null, path: string, init: RequestInit = {}) {
  const res = await fetch(`${url}/api/v1${path}`, {
    ...init,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(init.body ? { 'content-type': 'application/json' } : {}),
    },
  });
  return { res, body: (await res.json()) as any };
}

const put = (url: string, key: string, setting: Record<string, unknown>) =>
  rest(url, key, '/organization/rate-limits', { method: 'PUT', body: JSON.stringify(setting) });

const limitHeaders = (h: Headers) => ({
  limit: h.get('x-ratelimit-limit'),
  remaining: h.get('x-ratelimit-remaining'),
  reset: h.get('x-ratelimit-reset'),
});

describe('rate limits over HTTP', () => {
  let t: TestApp;
  let server: RunningServer;
  let sdkServer: RunningServer;
  let waitServer: RunningServer;
  let org: string;
  let ws: Awaited<ReturnType<typeof addWorkspace>>;
  /** Keys of their own per test: each starts with a fresh budget (the admin's own requests count too). */
  const freshKey = () => addKey(t.app, org, ['*'], [ws]);
  let admin: string;
  beforeEach(async () => {
    admin = await addKey(t.app, org, ['*'], 'all');
  });

  beforeAll(async () => {
    t = await createTestApp({ rateLimits: true });
    org = await createOrg(t.app);
    ws = await addWorkspace(t.app, org, 'main', true);
    server = await startHttpServer(t.app, { port: 0 });
    // The SDK transport on the same app: same counters, other framing.
    const sdkApp: App = { ...t.app, config: { ...t.app.config, mcp: { ...t.app.config.mcp, transport: 'sdk' } } };
    sdkServer = await startHttpServer(sdkApp, { port: 0 });
    // Its only tool waits for the test to open the gate: requests that stay in flight.
    waitServer = await startHttpServer(t.app, { port: 0, mcp: { createServer: withWaitTool } });
  });
  afterAll(async () => {
    await server?.close();
    await sdkServer?.close();
    await waitServer?.close();
    await t?.close();
  });

  it('reports the tightest window on every authenticated answer, errors included, and counts down', async () => {
    const key = await freshKey();
    const before = Math.floor(Date.now() / 1000);
    const first = await rest(server.url, key, '/workspaces');
    expect(first.res.status).toBe(200);
    const h1 = limitHeaders(first.res.headers);
    // The standard preset: 100 per minute is the tightest of 100/min, 3,000/h and 50,000/day.
    expect(h1).toMatchObject({ limit: '100', remaining: '99' });
    expect(Number(h1.reset)).toBeGreaterThanOrEqual(before + 59);
    expect(Number(h1.reset)).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 60);

    const missing = await rest(server.url, key, '/prospects/prs_missing');
    expect(missing.res.status).toBe(404);
    expect(limitHeaders(missing.res.headers)).toEqual({ ...h1, remaining: '98' });

    const noRoute = await rest(server.url, key, '/no-such-thing');
    expect(noRoute.res.status).toBe(404);
    expect(noRoute.res.headers.get('x-ratelimit-remaining')).toBe('97');

    // Not authenticated: no key, no budget, no headers.
    const anonymous = await rest(server.url, null, '/workspaces');
    expect(anonymous.res.status).toBe(401);
    expect(anonymous.res.headers.get('x-ratelimit-limit')).toBeNull();

    for (const url of [server.url, sdkServer.url]) {
      const wire = wireClient(
        () => url,
        () => key,
      );
      const init = await wire.post(initialize());
      expect(init.status).toBe(200);
      expect(init.headers['x-ratelimit-limit']).toBe('100');
      const session = init.headers['mcp-session-id'] as string;
      const headers = { 'mcp-session-id': session, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION };
      const notified = await wire.post({ jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
      expect(notified.status).toBe(202);
      expect(notified.headers['x-ratelimit-remaining']).toMatch(/^\d+$/);
      const called = await wire.post(call(2, 'list_prospects'), headers);
      expect(called.status).toBe(200);
      expect(Number(called.headers['x-ratelimit-remaining'])).toBe(
        Number(notified.headers['x-ratelimit-remaining']) - 1,
      );
    }
  });

  it('answers 429 with Retry-After and the standard error body on REST once a window is used up', async () => {
    const key = await freshKey();
    expect((await put(server.url, admin, { per_minute: 3 })).res.status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await rest(server.url, key, '/workspaces')).res.status).toBe(200);
    const over = await rest(server.url, key, '/workspaces');
    expect(over.res.status).toBe(429);
    expect(over.body).toEqual({
      error: {
        code: 'rate_limited',
        type: 'rate_limit_error',
        message: expect.stringMatching(
          /^Rate limit reached: this API key may make 3 requests per minute\. Retry in \d+ s$/,
        ),
      },
    });
    const retryAfter = Number(over.res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limitHeaders(over.res.headers)).toMatchObject({ limit: '3', remaining: '0' });
    // Another key of the same organization has a budget of its own.
    expect((await rest(server.url, await freshKey(), '/workspaces')).res.status).toBe(200);
    await put(server.url, admin, {});
  });

  it.each(['native', 'sdk'] as const)('answers 429 with Retry-After on /mcp (%s transport)', async (transport) => {
    const url = transport === 'native' ? server.url : sdkServer.url;
    const key = await freshKey();
    expect((await put(server.url, admin, { per_minute: 4 })).res.status).toBe(200);
    const wire = wireClient(
      () => url,
      () => key,
    );
    const session = await wire.open(); // initialize and notifications/initialized: 2 requests
    const headers = { 'mcp-session-id': session, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION };
    expect((await wire.post(call(2, 'list_prospects'), headers)).status).toBe(200);
    expect((await wire.post(call(3, 'list_prospects'), headers)).status).toBe(200);
    const over = await wire.post(call(4, 'list_prospects'), headers);
    expect(over.status).toBe(429);
    expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(over.headers['x-ratelimit-remaining']).toBe('0');
    expect(over.json.error.data).toMatchObject({ code: 'rate_limited', type: 'rate_limit_error' });
    expect(over.json.error.message).toMatch(/Retry in \d+ s/);
    await put(server.url, admin, {});
  });

  it('caps the requests of one key in flight', async () => {
    const key = await freshKey();
    expect((await put(server.url, admin, { in_flight: 2 })).res.status).toBe(200);
    closeGate();
    const wire = wireClient(
      () => waitServer.url,
      () => key,
    );
    const session = await wire.open();
    const headers = { 'mcp-session-id': session, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION };
    const held = [wire.post(call(10, 'test_wait'), headers), wire.post(call(11, 'test_wait'), headers)];
    while (entered < 2) await new Promise((r) => setTimeout(r, 5));
    const refused = await wire.post(call(12, 'test_wait'), headers);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json.error.message).toMatch(/this API key may have 2 in flight/);
    expect(entered).toBe(2);
    // REST on the same process shares the cap.
    const rested = await rest(server.url, key, '/workspaces');
    expect(rested.res.status).toBe(429);
    expect(rested.body.error.code).toBe('rate_limited');
    // Another key is not held up.
    expect((await rest(server.url, await freshKey(), '/workspaces')).res.status).toBe(200);
    openGate();
    for (const r of await Promise.all(held)) expect(r.status).toBe(200);
    expect((await wire.post(call(13, 'test_wait'), headers)).status).toBe(200);
    expect((await rest(server.url, key, '/workspaces')).res.status).toBe(200);
    await put(server.url, admin, {});
  });

  it('sets and reads the organization preset over REST, and the keys carry it at once', async () => {
    const key = await freshKey();
    expect(limitHeaders((await rest(server.url, key, '/workspaces')).res.headers).limit).toBe('100');
    const set = await put(server.url, admin, { preset: 'pro' });
    expect(set.res.status).toBe(200);
    expect(set.body.rate_limits).toEqual({
      preset: 'pro',
      per_minute: 1000,
      per_hour: null,
      per_day: 250000,
      in_flight: 20,
      enforced: true,
    });
    const read = await rest(server.url, admin, '/organization/rate-limits');
    expect(read.body.rate_limits).toEqual(set.body.rate_limits);
    expect(limitHeaders((await rest(server.url, key, '/workspaces')).res.headers).limit).toBe('1000');

    const custom = await put(server.url, admin, { preset: 'free', per_minute: 10, per_day: null });
    expect(custom.body.rate_limits).toMatchObject({ preset: 'free', per_minute: 10, per_hour: null, per_day: null });
    expect(limitHeaders((await rest(server.url, key, '/workspaces')).res.headers).limit).toBe('10');

    // Admin only, and refused for a key that is not granted every workspace.
    const reader = await addKey(t.app, org, ['prospects:read'], [ws]);
    expect((await put(server.url, reader, { preset: 'pro' })).res.status).toBe(403);
    const partial = await put(server.url, key, { preset: 'pro' });
    expect(partial.res.status).toBe(403);
    expect(partial.body.error.message).toMatch(/granted all workspaces/);
    const bad = await put(server.url, admin, { preset: 'gold' });
    expect(bad.res.status).toBe(400);
    expect(bad.body.error.param).toBe('preset');
    await put(server.url, admin, {});
    expect((await rest(server.url, admin, '/organization/rate-limits')).body.rate_limits.preset).toBe('standard');
  });
});

describe('SWITCHBOARD_RATE_LIMITS=off', () => {
  let t: TestApp;
  let server: RunningServer;
  let key: string;
  beforeAll(async () => {
    t = await createTestApp({ rateLimits: false });
    const org = await createOrg(t.app);
    key = await addKey(t.app, org, ['*'], 'all');
    server = await startHttpServer(t.app, { port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  it('sends no headers and refuses nothing, whatever the organization set', async () => {
    const set = await put(server.url, key, { per_minute: 1, in_flight: 1 });
    expect(set.body.rate_limits).toMatchObject({ per_minute: 1, enforced: false });
    for (let i = 0; i < 3; i++) {
      const { res } = await rest(server.url, key, '/workspaces');
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toBeNull();
      expect(res.headers.get('x-ratelimit-remaining')).toBeNull();
    }
    const wire = wireClient(
      () => server.url,
      () => key,
    );
    const init = await wire.post(initialize());
    expect(init.status).toBe(200);
    expect(init.headers['x-ratelimit-limit']).toBeUndefined();
  });
});

describe.skipIf(TEST_DB_KIND !== 'postgres')('two apps on one PostgreSQL database', () => {
  const apps: App[] = [];
  const servers: RunningServer[] = [];
  let drop: () => Promise<void>;
  let key: string;

  beforeAll(async () => {
    const db = await createPgDatabase();
    drop = db.drop;
    for (let i = 0; i < 2; i++) {
      const handle = await openDatabase({ kind: 'postgres', url: db.url, poolSize: 4 });
      if (i === 0) await migrateToLatest(handle.db);
      const app = await createApp(testConfig({ rateLimits: true }), silentLog, { database: handle, startJobs: false });
      apps.push(app);
      servers.push(await startHttpServer(app, { port: 0 }));
    }
    const org = await createOrg(apps[0]!);
    await apps[0]!.db
      .updateTable('organizations')
      .set({ rate_limits: JSON.stringify({ per_minute: 10 }) })
      .where('id', '=', org)
      .execute();
    key = await addKey(apps[0]!, org, ['*'], 'all');
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    for (const a of apps) await a.close();
    await drop?.();
  });

  it('shares one budget: the key gets 10 requests a minute in all, then 429 from whichever process it reaches', async () => {
    const statuses: number[][] = [[], []];
    for (let i = 0; i < 14; i++) {
      const which = i % 2;
      statuses[which]!.push((await rest(servers[which]!.url, key, '/workspaces')).res.status);
    }
    const ok = statuses.flat().filter((s) => s === 200).length;
    expect(ok).toBe(10);
    // Each process answered some and refused the rest.
    for (const s of statuses) expect(s.slice(-2)).toEqual([429, 429]);
    const concurrent = await Promise.all(servers.map((s) => rest(s.url, key, '/workspaces')));
    for (const { res } of concurrent) {
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
  });

  it('admits no more than the limit when both processes are hit at once', async () => {
    const org = await createOrg(apps[0]!, 'Burst');
    await apps[0]!.db
      .updateTable('organizations')
      .set({ rate_limits: JSON.stringify({ per_minute: 25, in_flight: null }) })
      .where('id', '=', org)
      .execute();
    const burstKey = await addKey(apps[0]!, org, ['*'], 'all');
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => rest(servers[i % 2]!.url, burstKey, '/workspaces')),
    );
    expect(answers.filter((a) => a.res.status === 200)).toHaveLength(25);
    expect(answers.filter((a) => a.res.status === 429)).toHaveLength(35);
  });
});

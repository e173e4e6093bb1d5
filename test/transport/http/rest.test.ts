import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../../../src/kernel/context.js';
import { insertKey } from '../../../src/domains/tenancy/keys.service.js';
import { authenticateKey } from '../../../src/domains/tenancy/auth.js';
import { type RunningServer, startHttpServer } from '../../../src/transport/http/server.js';
import { REST_PREFIX, pathParams } from '../../../src/transport/http/rest.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp } from '../../helpers/app.js';

/** The REST facade through a real listening server, with fetch: status codes, error bodies, headers. */

const MAX_BODY = 2048;

let t: TestApp;
let server: RunningServer;
let org: string;
let main: Workspace;
/** Every scope, only `main`: the key for data routes (no workspace_id needed). */
let key: string;
/** Every scope, every workspace. */
let adminKey: string;

interface Res {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

async function api(
  method: string,
  path: string,
  opts: {
    key?: string | null;
    query?: Record<string, unknown>;
    body?: unknown;
    raw?: BodyInit;
    headers?: Record<string, string>;
  } = {},
): Promise<Res> {
  const url = new URL(path.startsWith('/api/') ? `${server.url}${path}` : `${server.url}${REST_PREFIX}${path}`);
  for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, String(v));
  const secret = opts.key === undefined ? key : opts.key;
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const res = await fetch(url, {
    method,
    headers: {
      ...(secret ? { authorization: `Bearer ${secret}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...opts.headers,
    },
    body,
    ...(opts.raw instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

const ERROR_TYPE: Record<string, string> = {
  unauthorized: 'authentication_error',
  forbidden: 'authentication_error',
  invalid_request: 'invalid_request_error',
  not_found: 'invalid_request_error',
  conflict: 'invalid_request_error',
  payload_too_large: 'invalid_request_error',
  method_not_allowed: 'invalid_request_error',
  unsupported_media_type: 'invalid_request_error',
};

/** Asserts the one error shape: `{ error: { code, message, param?, type } }` with the right status. */
function expectError(res: Res, status: number, code: string, param?: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(Object.keys(res.body)).toEqual(['error']);
  const { error } = res.body;
  expect(Object.keys(error).filter((k) => !['code', 'message', 'param', 'type'].includes(k))).toEqual([]);
  expect(error.code).toBe(code);
  expect(error.type).toBe(ERROR_TYPE[code]);
  expect(typeof error.message).toBe('string');
  expect(error.message.length).toBeGreaterThan(10);
  if (param === undefined) expect(error).not.toHaveProperty('param');
  else expect(error.param).toBe(param);
}

const keyId = async (secret: string) => (await authenticateKey(t.app.db, t.app.clock, secret))!.keyId;

const prospectCount = async (email: string) =>
  (
    await t.app.db
      .selectFrom('prospects')
      .select('id')
      .where('workspace_id', '=', main.id)
      .where('email', '=', email)
      .execute()
  ).length;

/** A request over node:http, which (unlike fetch) lets the test choose the Host header. */
function rawGet(path: string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path, method: 'GET', headers }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (data += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(data) }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  t = await createTestApp({ maxBodyBytes: MAX_BODY });
  org = await createOrg(t.app);
  main = await addWorkspace(t.app, org, 'main');
  key = await addKey(t.app, org, ['*'], [main]);
  adminKey = await addKey(t.app, org, ['*'], 'all');
  server = await startHttpServer(t.app, { port: 0 });
});

afterAll(async () => {
  await server?.close();
  await t?.close();
});

describe('authentication', () => {
  it('answers a request without a key with 401 and a WWW-Authenticate challenge', async () => {
    const res = await api('GET', '/prospects', { key: null });
    expectError(res, 401, 'unauthorized');
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="switchboard", error_description="Missing API key: send it as Authorization: Bearer <key>"',
    );
  });

  it('answers a wrong key with 401 and error="invalid_token"', async () => {
    for (const wrong of ['sb_thisisnotakeythisisnotakeyatall0', 'not-even-the-prefix']) {
      const res = await api('GET', '/prospects', { key: wrong });
      expectError(res, 401, 'unauthorized');
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
  });

  it('refuses a key revoked in the database with 401', async () => {
    const revoked = await addKey(t.app, org, ['*'], [main]);
    // Revoked before its first use: a key already in the cache would take SWITCHBOARD_CACHE_MS to notice a change made outside this process.
    await t.app.db
      .updateTable('api_keys')
      .set({ revoked_at: new Date() })
      .where('id', '=', await keyId(revoked))
      .execute();
    const res = await api('GET', '/prospects', { key: revoked });
    expectError(res, 401, 'unauthorized');
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('refuses an expired key with 401', async () => {
    const { secret } = await insertKey(t.app.db, org, new Date(Date.now() - 3_600_000), {
      name: 'expired',
      scopes: ['*'],
      allWorkspaces: false,
      workspaceIds: [main.id],
      expiresAt: new Date(Date.now() - 1000),
    });
    const res = await api('GET', '/prospects', { key: secret });
    expectError(res, 401, 'unauthorized');
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('accepts the key in the X-API-Key header', async () => {
    const res = await api('GET', '/workspaces', { key: null, headers: { 'x-api-key': key } });
    expect(res.status).toBe(200);
    expect(res.body.workspaces.map((w: { slug: string }) => w.slug)).toEqual(['main']);
  });

  it('answers 403 when the key lacks the scope, and writes nothing', async () => {
    const readOnly = await addKey(t.app, org, ['prospects:read'], [main]);
    const res = await api('POST', '/prospects', { key: readOnly, body: { email: 'scope@example.com' } });
    expectError(res, 403, 'forbidden');
    expect(res.body.error.message).toContain('prospects:write');
    expect(await prospectCount('scope@example.com')).toBe(0);
  });

  it('serves GET /api/v1/health without a key', async () => {
    const res = await api('GET', '/health', { key: null });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok' });
  });
});

describe('request errors', () => {
  it('answers an unknown route with 404 not_found', async () => {
    expectError(await api('GET', '/nothing-here'), 404, 'not_found');
    expectError(await api('PATCH', '/prospects'), 405, 'method_not_allowed');
  });

  it('answers a malformed JSON body with 400', async () => {
    expectError(await api('POST', '/prospects', { raw: '{"email": "a@example.com",' }), 400, 'invalid_request');
  });

  it('answers a JSON array body with 400', async () => {
    expectError(await api('POST', '/prospects', { raw: '[{"email": "a@example.com"}]' }), 400, 'invalid_request');
  });

  it('answers an unknown field with 400 naming it in param', async () => {
    const res = await api('POST', '/prospects', { body: { email: 'unknown-field@example.com', bogus: 1 } });
    expectError(res, 400, 'invalid_request', 'bogus');
    expect(await prospectCount('unknown-field@example.com')).toBe(0);
  });

  it('answers a body over maxBodyBytes with 413 and writes nothing', async () => {
    // Valid input in every field (custom values may be 2000 characters): only its size is wrong.
    const body = { email: 'big@example.com', custom_fields: { a: 'x'.repeat(1500), b: 'y'.repeat(1500) } };
    expect(JSON.stringify(body).length).toBeGreaterThan(MAX_BODY);
    expectError(await api('POST', '/prospects', { body }), 413, 'payload_too_large');
    expect(await prospectCount('big@example.com')).toBe(0);
  });

  it('answers a chunked body (no Content-Length) over maxBodyBytes with 413 and writes nothing', async () => {
    const json = JSON.stringify({
      email: 'chunked@example.com',
      custom_fields: { a: 'x'.repeat(1500), b: 'y'.repeat(1500) },
    });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const bytes = new TextEncoder().encode(json);
        for (let i = 0; i < bytes.length; i += 500) controller.enqueue(bytes.slice(i, i + 500));
        controller.close();
      },
    });
    expectError(await api('POST', '/prospects', { raw: stream }), 413, 'payload_too_large');
    expect(await prospectCount('chunked@example.com')).toBe(0);
  });

  it('answers a cursor that is not one with 400 param cursor', async () => {
    expectError(await api('GET', '/prospects', { query: { cursor: 'garbage' } }), 400, 'invalid_request', 'cursor');
  });

  it('answers a cursor reused with different filters with 400 param cursor', async () => {
    for (const email of ['filter-a@example.com', 'filter-b@example.com']) {
      expect((await api('POST', '/prospects', { body: { email, tags: ['filtered'] } })).status).toBe(201);
    }
    const first = await api('GET', '/prospects', { query: { tag: 'filtered', limit: 1 } });
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const res = await api('GET', '/prospects', {
      query: { tag: 'other-tag', limit: 1, cursor: first.body.next_cursor },
    });
    expectError(res, 400, 'invalid_request', 'cursor');
  });

  it('coerces limit from the query string, and rejects a non-number', async () => {
    for (const email of ['limit-1@example.com', 'limit-2@example.com', 'limit-3@example.com']) {
      await api('POST', '/prospects', { body: { email, tags: ['limit'] } });
    }
    const res = await api('GET', '/prospects?tag=limit&limit=2');
    expect(res.status).toBe(200);
    expect(res.body.prospects).toHaveLength(2);
    expect(res.body.has_more).toBe(true);
    expectError(await api('GET', '/prospects?limit=two'), 400, 'invalid_request', 'limit');
  });
});

describe('pagination', () => {
  it('walks to the last page: 5 prospects, limit 2, three pages, each seen once', async () => {
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await api('POST', '/prospects', { body: { email: `page-${i}@example.com`, tags: ['paged'] } });
      created.push(res.body.prospect.id);
    }
    const pages: { prospects: { id: string }[]; has_more: boolean; next_cursor: string | null }[] = [];
    let cursor: string | undefined;
    do {
      const res = await api('GET', '/prospects', { query: { tag: 'paged', limit: 2, ...(cursor ? { cursor } : {}) } });
      expect(res.status).toBe(200);
      pages.push(res.body);
      cursor = res.body.next_cursor ?? undefined;
    } while (cursor && pages.length < 10);

    expect(pages.map((p) => p.prospects.length)).toEqual([2, 2, 1]);
    expect(pages.map((p) => p.has_more)).toEqual([true, true, false]);
    expect(pages.at(-1)!.next_cursor).toBeNull();
    const seen = pages.flatMap((p) => p.prospects.map((x) => x.id));
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...created].sort());
  });
});

describe('idempotency', () => {
  const suppression = { email: 'idem@example.com', reason: 'asked to stop' };

  it('replays a POST with the same Idempotency-Key and body, writing once', async () => {
    const headers = { 'idempotency-key': 'rest-idem-1' };
    const first = await api('POST', '/suppressions', { body: suppression, headers });
    const second = await api('POST', '/suppressions', { body: suppression, headers });
    expect(first.status).toBe(201);
    expect(first.body.created).toBe(true);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body).toEqual(first.body);

    const rows = await t.app.db
      .selectFrom('suppressions')
      .select('id')
      .where('workspace_id', '=', main.id)
      .where('value', '=', 'idem@example.com')
      .execute();
    expect(rows).toHaveLength(1);
    const events = await t.app.db
      .selectFrom('events')
      .select('data')
      .where('workspace_id', '=', main.id)
      .where('type', '=', 'suppression.added')
      .execute();
    expect(events.filter((e) => e.data.value === 'idem@example.com')).toHaveLength(1);
  });

  it('answers the same Idempotency-Key with another body with 409 conflict', async () => {
    const headers = { 'idempotency-key': 'rest-idem-2' };
    expect(
      (await api('POST', '/suppressions', { body: { email: 'idem2@example.com', reason: 'one' }, headers })).status,
    ).toBe(201);
    const res = await api('POST', '/suppressions', { body: { email: 'idem2@example.com', reason: 'two' }, headers });
    expectError(res, 409, 'conflict', 'idempotency_key');
  });

  it('answers an Idempotency-Key on a read-only route with 400', async () => {
    const res = await api('GET', '/prospects', { headers: { 'idempotency-key': 'rest-idem-3' } });
    expectError(res, 400, 'invalid_request', 'idempotency_key');
  });

  it('answers an Idempotency-Key on the routes that return a secret with 400, creating nothing', async () => {
    // A stored result would keep the plaintext secret that is otherwise never stored.
    const headers = { 'idempotency-key': 'rest-idem-secret' };
    const create = await api('POST', '/keys', {
      key: adminKey,
      body: { name: 'idem-secret', scopes: ['prospects:read'], workspaces: ['main'] },
      headers,
    });
    expectError(create, 400, 'invalid_request', 'idempotency_key');
    expect(await t.app.db.selectFrom('api_keys').select('id').where('name', '=', 'idem-secret').execute()).toEqual([]);

    const victim = await addKey(t.app, org, ['prospects:read'], [main]);
    const rotate = await api('POST', `/keys/${await keyId(victim)}/rotate`, { key: adminKey, body: {}, headers });
    expectError(rotate, 400, 'invalid_request', 'idempotency_key');
    expect((await api('GET', '/prospects', { key: victim })).status).toBe(200);
  });
});

describe('success statuses', () => {
  it('POST /prospects answers 201 when it creates and 200 when the prospect exists', async () => {
    const created = await api('POST', '/prospects', { body: { email: 'status@example.com' } });
    expect(created.status).toBe(201);
    expect(created.body.created).toBe(true);
    const updated = await api('POST', '/prospects', { body: { email: 'status@example.com', first_name: 'Stat' } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ created: false, changed_fields: ['first_name'] });
  });

  it('POST /suppressions answers 201 when it adds and 200 when the entry exists', async () => {
    const body = { email: 'status-sup@example.com', reason: 'test' };
    expect((await api('POST', '/suppressions', { body })).status).toBe(201);
    const again = await api('POST', '/suppressions', { body });
    expect(again.status).toBe(200);
    expect(again.body.created).toBe(false);
  });
});

describe('Host and Origin checks', () => {
  it('answers a Host that is not allowed with 403', async () => {
    const port = new URL(server.url).port;
    const evil = await rawGet(`${REST_PREFIX}/workspaces`, { host: 'evil.example', authorization: `Bearer ${key}` });
    expect(evil.status).toBe(403);
    expect(evil.body.error).toMatchObject({ code: 'forbidden', type: 'authentication_error' });
    // The control: the same request with a loopback Host passes.
    expect(
      (await rawGet(`${REST_PREFIX}/workspaces`, { host: `localhost:${port}`, authorization: `Bearer ${key}` })).status,
    ).toBe(200);
  });

  it('answers a foreign Origin with 403 and no CORS headers, comparing scheme, host and port', async () => {
    const port = Number(new URL(server.url).port);
    for (const origin of [
      'http://evil.example',
      `http://localhost:${port + 1}`,
      'chrome-extension://localhost',
      `https://localhost:${port}`,
    ]) {
      const res = await api('GET', '/workspaces', { headers: { origin } });
      expectError(res, 403, 'forbidden');
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
    }
  });

  it('accepts the Origin of the server itself, with CORS headers and a preflight answer', async () => {
    const origin = `http://localhost:${new URL(server.url).port}`;
    const res = await api('GET', '/workspaces', { headers: { origin } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(res.headers.get('access-control-expose-headers')).toMatch(/Idempotent-Replayed/);
    const preflight = await fetch(`${server.url}${REST_PREFIX}/prospects`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Idempotency-Key/);
  });
});

describe('GET /api/openapi.json', () => {
  let doc: any;

  beforeAll(async () => {
    const res = await api('GET', '/api/openapi.json', { key: null });
    expect(res.status).toBe(200);
    doc = res.body;
  });

  it('is OpenAPI 3.1.0', () => {
    expect(doc.openapi).toBe('3.1.0');
  });

  it('has a path and method for every operation with http', () => {
    const routed = t.app.registry.operations.filter((c) => c.op.http);
    expect(routed.length).toBeGreaterThan(5);
    for (const { op } of routed) {
      const entry = doc.paths[REST_PREFIX + op.http!.path]?.[op.http!.method.toLowerCase()];
      expect(entry, `${op.http!.method} ${op.http!.path}`).toBeDefined();
      expect(entry.operationId).toBe(op.name);
    }
  });

  it('has unique operationIds', () => {
    const ids = Object.values(doc.paths).flatMap((methods: any) =>
      Object.values(methods).map((o: any) => o.operationId),
    );
    expect(ids.length).toBeGreaterThan(5);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('writes path parameters in {param} style and declares each of them', () => {
    for (const [path, methods] of Object.entries<any>(doc.paths)) {
      expect(path).not.toMatch(/:\w/);
      for (const operation of Object.values<any>(methods)) {
        const declared = (operation.parameters ?? [])
          .filter((p: { in: string }) => p.in === 'path')
          .map((p: { name: string }) => p.name);
        expect(declared, path).toEqual(pathParams(path));
      }
    }
  });
});

describe('admin routes', () => {
  it('creates a workspace (201) and lists it', async () => {
    const res = await api('POST', '/workspaces', { key: adminKey, body: { name: 'Second', slug: 'second' } });
    expect(res.status).toBe(201);
    expect(res.body.workspace).toMatchObject({ slug: 'second', name: 'Second', organization_id: org });
    const list = await api('GET', '/workspaces', { key: adminKey });
    expect(list.body.workspaces.map((w: { slug: string }) => w.slug)).toEqual(
      expect.arrayContaining(['main', 'second']),
    );
  });

  it('creates a key (201) whose secret is returned once and never listed', async () => {
    const res = await api('POST', '/keys', {
      key: adminKey,
      body: { name: 'ci', scopes: ['prospects:read'], workspaces: ['main'] },
    });
    expect(res.status).toBe(201);
    const { secret, api_key } = res.body;
    expect(secret).toMatch(/^sb_/);
    expect(api_key).toMatchObject({ name: 'ci', scopes: ['prospects:read'], workspaces: [main.id], status: 'active' });
    expect(secret.startsWith(api_key.prefix)).toBe(true);

    const list = await api('GET', '/keys', { key: adminKey });
    expect(list.status).toBe(200);
    expect(list.body.api_keys.map((k: { id: string }) => k.id)).toContain(api_key.id);
    expect(list.text).not.toContain(secret);
    for (const k of list.body.api_keys) expect(k).not.toHaveProperty('secret');

    expect((await api('GET', '/prospects', { key: secret })).status).toBe(200);
  });

  it('rotates a key: the old secret stops at once, the new one works', async () => {
    const old = await addKey(t.app, org, ['prospects:read'], [main]);
    const res = await api('POST', `/keys/${await keyId(old)}/rotate`, { key: adminKey, body: {} });
    expect(res.status).toBe(201);
    expect(res.body.secret).not.toBe(old);
    expectError(await api('GET', '/prospects', { key: old }), 401, 'unauthorized');
    expect((await api('GET', '/prospects', { key: res.body.secret })).status).toBe(200);
  });

  it('rotates a key with grace_seconds: the old one keeps working until expires_at', async () => {
    const old = await addKey(t.app, org, ['prospects:read'], [main]);
    const oldId = await keyId(old);
    const before = Date.now();
    const res = await api('POST', `/keys/${oldId}/rotate`, { key: adminKey, body: { grace_seconds: 3600 } });
    expect(res.status).toBe(201);
    expect((await api('GET', '/prospects', { key: old })).status).toBe(200);
    const listed = (await api('GET', '/keys', { key: adminKey })).body.api_keys.find(
      (k: { id: string }) => k.id === oldId,
    );
    expect(listed.status).toBe('active');
    const expiresAt = Date.parse(listed.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3_600_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3_600_000 + 1000);
  });

  it('revokes a key: its next use is 401', async () => {
    const doomed = await addKey(t.app, org, ['prospects:read'], [main]);
    const res = await api('POST', `/keys/${await keyId(doomed)}/revoke`, { key: adminKey, body: {} });
    expect(res.status).toBe(200);
    expect(res.body.api_key.status).toBe('revoked');
    expectError(await api('GET', '/prospects', { key: doomed }), 401, 'unauthorized');
  });

  it('answers 403 on every admin route to a key without the admin scope', async () => {
    const nonAdmin = await addKey(
      t.app,
      org,
      ['workspaces:read', 'prospects:read', 'prospects:write', 'suppression:read', 'suppression:write'],
      'all',
    );
    const adminOps = t.app.registry.operations.filter((c) => c.op.http && c.op.scope === 'admin');
    expect(adminOps.map((c) => c.op.name)).toEqual(
      expect.arrayContaining([
        'create_workspace',
        'create_api_key',
        'list_api_keys',
        'revoke_api_key',
        'rotate_api_key',
        'remove_suppression',
      ]),
    );
    const victim = await keyId(await addKey(t.app, org, ['prospects:read'], [main]));
    for (const { op } of adminOps) {
      const path = op.http!.path.replace(/\{(\w+)\}/g, (_, p: string) =>
        p === 'key_id' ? victim : 'sup_doesnotmatter',
      );
      const body = op.http!.method === 'POST' ? { name: 'x', scopes: ['*'], workspaces: 'all' } : undefined;
      const res = await api(op.http!.method, path, { key: nonAdmin, body, query: { workspace_id: 'main' } });
      expectError(res, 403, 'forbidden');
    }
    expect(
      (await api('GET', '/keys', { key: adminKey })).body.api_keys.find((k: { id: string }) => k.id === victim).status,
    ).toBe('active');
  });

  it('DELETE /suppressions/{id} needs admin: 403 with suppression:write only, then 200 and suppression.removed', async () => {
    const added = await api('POST', '/suppressions', { body: { email: 'remove-me@example.com', reason: 'test' } });
    const id = added.body.suppression.id;
    const writer = await addKey(t.app, org, ['suppression:read', 'suppression:write'], [main]);
    expectError(await api('DELETE', `/suppressions/${id}`, { key: writer }), 403, 'forbidden');
    expect(
      (await api('GET', '/suppressions/check', { key: writer, query: { email: 'remove-me@example.com' } })).body
        .suppressed,
    ).toBe(true);

    const res = await api('DELETE', `/suppressions/${id}`);
    expect(res.status).toBe(200);
    expect(res.body.suppression).toMatchObject({ id, value: 'remove-me@example.com' });
    const check = await api('GET', '/suppressions/check', { query: { email: 'remove-me@example.com' } });
    expect(check.body).toEqual({ email: 'remove-me@example.com', suppressed: false, matches: [] });
    const events = await t.app.db
      .selectFrom('events')
      .select('data')
      .where('workspace_id', '=', main.id)
      .where('type', '=', 'suppression.removed')
      .execute();
    expect(events.map((e) => e.data.suppression_id)).toEqual([id]);
  });

  it('a key granted one workspace cannot create a key for all workspaces (403)', async () => {
    const res = await api('POST', '/keys', { body: { name: 'wide', scopes: ['prospects:read'], workspaces: 'all' } });
    expectError(res, 403, 'forbidden', 'workspaces');
    expect(await t.app.db.selectFrom('api_keys').select('id').where('name', '=', 'wide').execute()).toEqual([]);
  });

  it('a key cannot grant a scope it lacks (403)', async () => {
    const limitedAdmin = await addKey(t.app, org, ['admin', 'prospects:read'], [main]);
    const res = await api('POST', '/keys', {
      key: limitedAdmin,
      body: { name: 'writer', scopes: ['prospects:write'], workspaces: ['main'] },
    });
    expectError(res, 403, 'forbidden', 'scopes');
    expect(await t.app.db.selectFrom('api_keys').select('id').where('name', '=', 'writer').execute()).toEqual([]);
    // The control: what it holds it may grant.
    expect(
      (
        await api('POST', '/keys', {
          key: limitedAdmin,
          body: { name: 'reader', scopes: ['prospects:read'], workspaces: ['main'] },
        })
      ).status,
    ).toBe(201);
  });
});

describe('methods and content types', () => {
  it('answers a known path asked with the wrong method with 405 and Allow', async () => {
    const res = await api('PUT', '/prospects');
    expectError(res, 405, 'method_not_allowed');
    expect(res.headers.get('allow')?.split(', ').sort()).toEqual(['GET', 'POST']);
  });

  it('answers a form-encoded body on a JSON route with 415 and writes nothing', async () => {
    const res = await api('POST', '/prospects', {
      raw: 'email=ada%40example.com',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectError(res, 415, 'unsupported_media_type');
    expect(
      (await api('GET', '/prospects')).body.prospects.some((p: { email: string }) => p.email === 'ada@example.com'),
    ).toBe(false);
  });
});

import net from 'node:net';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_INPUT_DEPTH } from '../../src/operations/input-guard.js';
import { MAX_FREE_FORM_JSON_CHARS } from '../../src/operations/inputs.js';
import { type RunningServer, startHttpServer } from '../../src/transport/http/server.js';
import { type TestApp, createTestApp, twoTenants } from '../helpers/app.js';
import { captureLog } from '../helpers/log.js';
import { callErr, callOk, callTool, connectHttp } from '../helpers/mcp.js';
import { until } from '../helpers/wait.js';

/**
 * Client mistakes that reached the database or the stack and came back as 500 `internal`: each is
 * now a 400 (MCP: an error result) naming what was wrong, and nothing is logged as an error.
 */

let t: TestApp;
let server: RunningServer;
let key: string;
let client: Client;
const captured = captureLog('debug');

interface Res {
  status: number;
  headers: Headers;
  body: any;
}

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> {
  const raw = typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body);
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(raw !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: raw,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const expect400 = (res: Res, message: RegExp) => {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body.error).toMatchObject({ code: 'invalid_request', type: 'invalid_request_error' });
  expect(res.body.error.message).toMatch(message);
};

const errorLines = () => captured.lines.filter((l) => l.level >= 50);
const count = async (table: 'prospects' | 'drafts' | 'templates' | 'idempotency_keys') =>
  Number(
    (
      await t.app.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

/** A cursor with the same filter fingerprint as `cursor` but position `v`. */
const forge = (cursor: string, v: unknown[]) => {
  const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  return Buffer.from(JSON.stringify({ ...parsed, v })).toString('base64url');
};

const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

beforeAll(async () => {
  t = await createTestApp({}, {}, captured.log);
  const tenants = await twoTenants(t.app);
  key = tenants.mainKey;
  server = await startHttpServer(t.app, { port: 0 });
  client = await connectHttp(server.url, key);
});

afterAll(async () => {
  await client?.close();
  await server?.close();
  await t?.close();
});

describe('NUL characters and invalid Unicode are refused at input', () => {
  it('in a body field, a path parameter, a query parameter and the workspace id (REST)', async () => {
    const before = await count('prospects');
    expect400(
      await api('POST', '/prospects', { email: 'nul@example.com', first_name: 'A\u0000B' }),
      /first_name: text must not contain the NUL character/,
    );
    expect400(await api('GET', '/prospects/pro_%00x'), /prospect_id: text must not contain the NUL/);
    expect400(await api('GET', '/prospects?q=a%00b'), /q: text must not contain the NUL/);
    expect400(await api('GET', '/prospects?workspace_id=ma%00in'), /workspace_id: text must not contain the NUL/);
    expect400(await api('GET', '/workspaces/ma%00in'), /workspace_id: text must not contain the NUL/);
    expect400(
      await api('POST', '/prospects', { email: 'pair@example.com', company: 'x\uD800y' }),
      /company: text is not valid Unicode/,
    );
    expect400(
      await api('POST', '/prospects', '{"email":"esc@example.com","last_name":"\\udc00"}'),
      /last_name: text is not valid Unicode/,
    );
    expect400(
      await api('POST', '/prospects', { email: 'key@example.com', custom_fields: { 'a\u0000': 'x' } }),
      /custom_fields\.a\\u0000: field name must not/,
    );
    const res = await api(
      'POST',
      '/prospects',
      '{"email":"proto@example.com","custom_fields":{"__proto__":{"admin":true}}}',
    );
    expect400(res, /custom_fields.__proto__: a field may not be named __proto__/);
    expect(res.body.error.param).toBe('custom_fields.__proto__');
    expect(await count('prospects')).toBe(before);
  });

  it('in tool arguments (MCP)', async () => {
    expect(await callErr(client, 'upsert_prospect', { email: 'nul@example.com', first_name: 'x\u0000' })).toMatch(
      /^invalid_request: .*first_name: text must not contain the NUL/,
    );
    expect(await callErr(client, 'kb_search', { query: 'a\u0000b' })).toMatch(
      /^invalid_request: .*query: text must not contain the NUL/,
    );
    expect(await callErr(client, 'list_prospects', { workspace_id: 'ma\u0000in' })).toMatch(
      /^invalid_request: .*workspace_id/,
    );
    expect(await callErr(client, 'get_prospect', { prospect_id: '\uDFFF' })).toMatch(
      /^invalid_request: .*prospect_id: text is not valid Unicode/,
    );
    expect(await count('prospects')).toBe(0);
  });

  it('while valid Unicode edge cases are stored and read back as sent', async () => {
    const name = 'Zoë \u202Eevil\u202C 😀 e\u0301 \u200D';
    const created = await api('POST', '/prospects', {
      email: 'edge@example.com',
      first_name: name,
      custom_fields: { constructor: 'ok', ключ: '值' },
    });
    expect(created.status).toBe(201);
    const read = await callOk(client, 'get_prospect', { prospect_id: created.body.prospect.id });
    expect(read.prospect.first_name).toBe(name);
    expect(read.prospect.custom_fields).toEqual({ constructor: 'ok', ключ: '值' });
  });
});

describe('deeply nested and oversized free-form input', () => {
  it('refuses nesting past the bound through REST and MCP, without overflowing the stack', async () => {
    expect((await api('POST', '/templates', { key: 't', name: 't', subject: 'Hi', body: 'Hi {{a}}' })).status).toBe(
      201,
    );
    const prospect = (await api('POST', '/prospects', { email: 'deep@example.com' })).body.prospect.id;
    const before = await count('drafts');
    expect400(
      await api('POST', '/templates/t/render', `{"variables":${nested(100_000)}}`),
      new RegExp(`nested deeper than ${MAX_INPUT_DEPTH} levels`),
    );
    expect400(
      await api('POST', '/drafts', `{"prospect_id":"${prospect}","template_key":"t","variables":${nested(5000)}}`),
      /variables(\.a)+: nested deeper/,
    );
    let deep: unknown = 1;
    for (let i = 0; i < 1000; i++) deep = [deep];
    expect(await callErr(client, 'render_template', { template_id: 't', variables: { x: deep } })).toMatch(
      /^invalid_request: .*nested deeper than/,
    );
    expect(await count('drafts')).toBe(before);
  });

  it('refuses a variable named __proto__, which would otherwise set a property on every object of the process', async () => {
    for (const name of ['__proto__.polluted', 'a.__proto__.polluted', '__proto__']) {
      const variables = [{ name, value: 'yes' }];
      expect400(await api('POST', '/templates/t/render', { variables }), /variables.*a name may not be __proto__/);
      expect(await callErr(client, 'render_template', { template_id: 't', variables })).toMatch(
        /^invalid_request: .*a name may not be __proto__/,
      );
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }
    // A name that merely contains the word is an ordinary name.
    const ok = await api('POST', '/templates/t/render', {
      variables: [
        { name: 'a', value: 'x' },
        { name: 'my__proto__', value: 'y' },
      ],
    });
    expect(ok.status).toBe(200);
  });

  it('bounds the size of template variables', async () => {
    const big = { blob: 'x'.repeat(MAX_FREE_FORM_JSON_CHARS) };
    expect400(
      await api('POST', '/templates/t/render', { variables: big }),
      new RegExp(`variables: must be at most ${MAX_FREE_FORM_JSON_CHARS} characters as JSON`),
    );
    expect(await callErr(client, 'create_draft', { prospect_id: 'p', template_key: 'k', variables: big })).toMatch(
      /^invalid_request: .*variables: must be at most/,
    );
  });
});

describe('cursors with a valid fingerprint and a forged position', () => {
  it('are invalid_request for every keyset order (REST and MCP)', async () => {
    for (const email of ['c1@example.com', 'c2@example.com'])
      expect((await api('POST', '/prospects', { email })).status).toBe(201);
    for (const k of ['t-one', 't-two'])
      expect((await api('POST', '/templates', { key: k, name: k, body: 'Hi' })).status).toBe(201);
    const prospects = (await api('GET', '/prospects?limit=1')).body;
    const templates = (await api('GET', '/templates?limit=1')).body;
    const id = prospects.prospects[0].id;
    await api('POST', '/prospects', { email: prospects.prospects[0].email, company: 'Changed' });
    const history = (await api('GET', `/prospects/${id}/history?limit=1`)).body;
    expect([prospects.next_cursor, templates.next_cursor, history.next_cursor]).not.toContain(null);

    const byDate = [
      ['not a date', 'x'],
      [42, 'x'],
      ['+275760-09-13T00:00:00.000Z', 'x'],
      ['2026-01-01T00:00:00Z', 'a\u0000b'],
      ['2026-01-01T00:00:00Z', null],
      [null, null],
    ];
    for (const v of byDate) {
      expect400(
        await api('GET', `/prospects?limit=1&cursor=${forge(prospects.next_cursor, v)}`),
        /cursor is not valid/,
      );
      expect400(
        await api('GET', `/prospects/${id}/history?limit=1&cursor=${forge(history.next_cursor, v)}`),
        /cursor is not valid/,
      );
      expect(await callErr(client, 'list_prospects', { limit: 1, cursor: forge(prospects.next_cursor, v) })).toMatch(
        /^invalid_request: cursor is not valid/,
      );
    }
    for (const v of [[5], ['k\u0000'], ['\uD800'], [null]]) {
      expect400(
        await api('GET', `/templates?limit=1&cursor=${forge(templates.next_cursor, v)}`),
        /cursor is not valid/,
      );
      expect(await callErr(client, 'list_templates', { limit: 1, cursor: forge(templates.next_cursor, v) })).toMatch(
        /^invalid_request: cursor is not valid/,
      );
    }
  });
});

describe('the Idempotency-Key header', () => {
  it('is held to 255 characters, as the idempotency_key argument is', async () => {
    const before = await count('prospects');
    const res = await api('POST', '/prospects', { email: 'idem@example.com' }, { 'idempotency-key': 'k'.repeat(256) });
    expect400(res, /Idempotency-Key header is 256 characters long; at most 255/);
    expect(res.body.error.param).toBe('Idempotency-Key');
    expect(await count('prospects')).toBe(before);
    expect(await count('idempotency_keys')).toBe(0);
    expect(
      (await api('POST', '/prospects', { email: 'idem@example.com' }, { 'idempotency-key': 'k'.repeat(255) })).status,
    ).toBe(201);
    expect(
      await callErr(client, 'upsert_prospect', { email: 'idem2@example.com', idempotency_key: 'k'.repeat(256) }),
    ).toMatch(/^invalid_request: .*idempotency_key/);
  });
});

describe('a request body the client stops sending', () => {
  /** Sends the head and part of the body, then closes the connection. */
  const abortMidBody = (head: string, partial: string) =>
    new Promise<void>((resolve, reject) => {
      const { port } = new URL(server.url);
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        socket.write(`${head}\r\n${partial}`, () => setImmediate(() => socket.destroy()));
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });

  it('is a debug line, not an error, with or without Content-Length', async () => {
    const logged = captured.lines.length;
    const common = `POST /api/v1/prospects HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\n`;
    await abortMidBody(`${common}Content-Length: 1000\r\n`, '{"email":"slow@');
    await abortMidBody(`${common}Transfer-Encoding: chunked\r\n`, '10\r\n{"email":"slow@e\r\n');
    const requests = await until('both aborted requests to be logged', () => {
      const done = captured.lines.slice(logged).filter((l) => l.msg === 'request' && l.path === '/api/v1/prospects');
      return done.length === 2 && done;
    });
    expect(requests.map((r) => r.status)).toEqual([400, 400]);
    const since = captured.lines.slice(logged);
    expect(since.filter((l) => l.msg === 'request body not received in full' && l.level === 20)).toHaveLength(2);
    expect(since.filter((l) => l.level >= 50)).toEqual([]);
  });

  it('on /mcp too: the same debug line, the request logged at info, no error', async () => {
    const logged = captured.lines.length;
    const common = `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nAccept: application/json, text/event-stream\r\nContent-Type: application/json\r\n`;
    const partial = '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":';
    await abortMidBody(`${common}Content-Length: 4000\r\n`, partial);
    await abortMidBody(`${common}Transfer-Encoding: chunked\r\n`, `${partial.length.toString(16)}\r\n${partial}\r\n`);
    const requests = await until('both aborted /mcp requests to be logged', () => {
      const done = captured.lines.slice(logged).filter((l) => l.msg === 'request' && l.path === '/mcp');
      return done.length === 2 && done;
    });
    expect(requests.map((r) => r.level)).toEqual([30, 30]);
    const since = captured.lines.slice(logged);
    expect(since.filter((l) => l.msg === 'request body not received in full' && l.level === 20)).toHaveLength(2);
    expect(since.filter((l) => l.level >= 40)).toEqual([]);
  });
});

describe('the whole file', () => {
  it('logged no error: every refusal above was the caller’s mistake', async () => {
    // Also a tool call that succeeds, so a broken logger cannot pass this vacuously.
    expect((await callTool(client, 'list_prospects', {})).isError).toBeFalsy();
    expect(captured.lines.some((l) => l.msg === 'request')).toBe(true);
    expect(errorLines()).toEqual([]);
  });
});

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledOperation } from '../../src/operations/catalog.js';
import { type RunningServer, startHttpServer } from '../../src/transport/http/server.js';
import { REST_PREFIX, pathParams } from '../../src/transport/http/rest.js';
import { type TestApp, createTestApp, twoTenants } from '../helpers/app.js';
import { captureLog } from '../helpers/log.js';
import { callTool, connectHttp } from '../helpers/mcp.js';
import { type FakeAnthropicServer, startFakeAnthropic } from '../helpers/fake-anthropic.js';

/**
 * Every operation's input, field by field, gets hostile values through REST and MCP: NUL, lone
 * surrogates, strings past every limit, deep nesting, wrong types, extreme numbers, prototype keys.
 * The rule: never a 5xx or `internal`, never a write when the call is refused; a call that succeeds
 * (valid Unicode is valid input) stores the value as sent. Values are sampled per field, not crossed.
 */

const proto = () => JSON.parse('{"__proto__":{"polluted":true}}');
const deepObject = (n: number): unknown => (n === 0 ? 'leaf' : { a: deepObject(n - 1) });
const deepArray = (n: number): unknown => (n === 0 ? 'leaf' : [deepArray(n - 1)]);
const HUGE = 'x'.repeat(70_000);

/** Per JSON type: values every field gets (`core`) and values handed out in turn (`more`). */
const HOSTILE: Record<string, { core: unknown[]; more: unknown[] }> = {
  string: {
    core: ['a\u0000b', '\uD800', HUGE, 123, null, proto()],
    more: [
      '\u202Eevil\u202C',
      '😀👍🏽',
      'e\u0301\u0301',
      '',
      '   ',
      "' or 1=1; --",
      '../../etc/passwd',
      '%00',
      '{{constructor.name}}',
      '\uFEFF',
      -1,
      true,
      [],
      deepObject(30),
      'constructor',
      '__proto__',
      '\uDC00tail',
    ],
  },
  number: {
    core: [-1, 1e308, 'x', null, 1.5],
    more: [0, -1e308, 2 ** 53 + 1, '\u0000', [], {}, true, '1e3'],
  },
  boolean: { core: ['true', 1, null, {}], more: ['\u0000', []] },
  array: {
    core: [['a\u0000'], ['\uD800'], 'x', Array(10_000).fill('x'), deepArray(30)],
    more: [
      [null],
      [{}],
      [[['x']]],
      [proto()],
      ['😀'],
      [],
      [HUGE],
      [{ name: '__proto__.polluted', value: 'x' }],
      [{ name: 'a\u0000', value: 'x' }],
    ],
  },
  object: {
    core: [proto(), deepObject(30), { 'a\u0000': 1 }, 'x', []],
    more: [
      { constructor: { prototype: { polluted: true } } },
      { x: '\u0000' },
      { x: HUGE },
      { '😀': '\u202E' },
      {},
      { x: '\uDBFF' },
    ],
  },
};

/** The JSON type a property schema accepts (nullable strings are `anyOf: [string, null]`). */
function typeOf(schema: Record<string, any>): string {
  if (typeof schema.type === 'string') return schema.type === 'integer' ? 'number' : schema.type;
  const first = (schema.anyOf ?? schema.oneOf ?? []).find((s: any) => s.type && s.type !== 'null');
  return first ? typeOf(first) : 'string';
}

let t: TestApp;
let claude: FakeAnthropicServer;
let server: RunningServer;
let key: string;
let client: Client;
const captured = captureLog('warn');
const fixtures: Record<string, unknown> = {};

async function rest(method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${REST_PREFIX}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}

/** Percent-encodes what a URL can carry; a lone surrogate goes as the bytes a careless client would send. */
const urlEncode = (s: string) =>
  Array.from(s, (cp) => (/\p{Cs}/u.test(cp) ? '%ED%A0%80' : encodeURIComponent(cp))).join('');
const asText = (v: unknown) =>
  typeof v === 'string'
    ? v
    : Array.isArray(v) && v.every((x) => typeof x === 'string')
      ? v.join(',')
      : JSON.stringify(v);

async function viaRest(compiled: CompiledOperation, args: Record<string, unknown>) {
  const route = compiled.op.http!;
  const params = pathParams(route.path);
  let path = route.path;
  for (const p of params) path = path.replace(`{${p}}`, urlEncode(asText(args[p])));
  const rest_ = Object.fromEntries(Object.entries(args).filter(([k]) => !params.includes(k)));
  if (route.method === 'GET' || route.method === 'DELETE') {
    const query = Object.entries(rest_).map(([k, v]) => `${k}=${urlEncode(asText(v))}`);
    return rest(route.method, query.length ? `${path}?${query.join('&')}` : path);
  }
  return rest(route.method, path, rest_);
}

async function viaMcp(name: string, args: Record<string, unknown>) {
  try {
    const r = await callTool(client, name, args);
    return {
      ok: !r.isError,
      text: r.isError ? (r.content[0] as { text: string }).text : '',
      output: r.structuredContent,
    };
  } catch (err) {
    return { ok: false, text: `thrown: ${(err as Error).message}`, output: undefined };
  }
}

/** Row counts and last updates of every table a call could write: equal before and after means nothing was written. */
async function snapshot(): Promise<string> {
  const tables = [
    'workspaces',
    'api_keys',
    'api_key_workspaces',
    'prospects',
    'events',
    'suppressions',
    'idempotency_keys',
    'knowledge_bases',
    'kb_documents',
    'kb_chunks',
    'templates',
    'drafts',
  ];
  const updated = ['workspaces', 'prospects', 'knowledge_bases', 'kb_documents', 'templates', 'drafts'];
  const parts = [
    ...tables.map((x) => sql`(select count(*) from ${sql.table(x)})::text`),
    ...updated.map((x) => sql`(select max(updated_at) from ${sql.table(x)})::text`),
  ];
  const { rows } = await sql<{ s: string }>`select concat_ws('|', ${sql.join(parts)}) as s`.execute(t.app.db);
  return rows[0]!.s;
}

/** Valid values of the required fields and path parameters, from the fixtures. */
function baseArgs(compiled: CompiledOperation): Record<string, unknown> {
  const required = new Set([
    ...((compiled.inputJsonSchema.required as string[]) ?? []),
    ...(compiled.op.http ? pathParams(compiled.op.http.path) : []),
  ]);
  const args: Record<string, unknown> = {};
  for (const field of required) args[field] = fixtures[field] ?? 'fuzz';
  return args;
}

/**
 * Where the output holds a field of this name, one holds the value sent (trimmed, for fields that
 * trim; null for a blank one). An entry that already existed (`created: false`) comes back as it was.
 */
function roundTrips(output: unknown, field: string, value: string): boolean {
  if ((output as { created?: unknown } | undefined)?.created === false) return true;
  const found: unknown[] = [];
  const walk = (v: unknown) => {
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === field) found.push(x);
      walk(x);
    }
  };
  walk(output);
  const trimmed = value.trim();
  return (
    found.length === 0 || found.includes(value) || found.includes(trimmed) || (trimmed === '' && found.includes(null))
  );
}

beforeAll(async () => {
  // A model, so chat runs through to storage: it echoes the message (what `chat` returns as `message`,
  // which the round-trip check then finds), and gives replies a plain classification.
  claude = await startFakeAnthropic();
  claude.respond((body) =>
    body.tool_choice?.name === 'classify_reply'
      ? {
          tool_input: {
            label: 'other',
            confidence: 0.5,
            reason: 'fuzz',
            hot: false,
            return_date: null,
            referral_email: null,
          },
        }
      : { text: body.messages.at(-1).content },
  );
  t = await createTestApp(
    {
      anthropic: claude.config,
    },
    { embeddings: null },
    captured.log,
  );
  const tenants = await twoTenants(t.app);
  key = tenants.mainKey;
  server = await startHttpServer(t.app, { port: 0 });
  client = await connectHttp(server.url, key);
  const prospect = (await rest('POST', '/prospects', { email: 'fixture@example.com' })).body.prospect.id;
  const template = (await rest('POST', '/templates', { key: 'fixture', name: 'Fixture', subject: 'Hi', body: 'Hello' }))
    .body.template.id;
  const draft = (await rest('POST', '/drafts', { prospect_id: prospect, template_key: 'fixture' })).body.draft.id;
  const kb = (await rest('POST', '/knowledge-bases', { name: 'Fixture' })).body.knowledge_base.id;
  const doc = (
    await rest('POST', `/knowledge-bases/${kb}/documents`, { name: 'doc.md', content: '# Hi\n\nhello world' })
  ).body.document.id;
  const suppression = (await rest('POST', '/suppressions', { email: 'blocked@example.com', reason: 'fixture' })).body
    .suppression.id;
  const spare = (
    await rest('POST', '/keys', { name: 'spare', scopes: ['prospects:read'], workspaces: [tenants.main.id] })
  ).body.api_key.id;
  Object.assign(fixtures, {
    workspace_id: tenants.main.id,
    prospect_id: prospect,
    template_id: template,
    template_key: 'fixture',
    draft_id: draft,
    knowledge_base_id: kb,
    document_id: doc,
    suppression_id: suppression,
    key_id: spare,
    email: 'fuzz@example.com',
    key: 'fuzz-key',
    body: 'Hello',
    query: 'hello',
    outreach: {},
    scopes: ['prospects:read'],
    workspaces: [tenants.main.id],
  });
  for (const [k, v] of Object.entries(fixtures)) if (v === undefined) throw new Error(`fixture ${k} was not created`);
}, 120_000);

afterAll(async () => {
  await client?.close();
  await server?.close();
  await t?.close();
  await claude?.close();
});

describe('hostile input to every operation', () => {
  it('is refused with a 4xx (MCP: an error result) and writes nothing, or succeeds and stores what was sent', async () => {
    const failures: string[] = [];
    // Deletions last: they use up the fixtures the other operations need.
    const operations = [...t.app.registry.operations].sort(
      (a, b) => Number(a.op.annotations.destructiveHint) - Number(b.op.annotations.destructiveHint),
    );
    let turn = 0;
    let calls = 0;
    let before = await snapshot();

    const check = async (
      label: string,
      write: boolean,
      res: { ok: boolean; serverError: boolean; refusal: string; output: unknown },
      field?: string,
      value?: unknown,
    ) => {
      calls++;
      if (res.serverError) failures.push(`${label}: ${res.refusal.slice(0, 200)}`);
      if (res.ok && write && field && typeof value === 'string' && !roundTrips(res.output, field, value))
        failures.push(`${label}: succeeded but ${field} did not round-trip`);
      // Reads write nothing whatever their input; checking after writes only keeps the run short.
      if (!write) return;
      const after = await snapshot();
      if (!res.ok && after !== before) failures.push(`${label}: refused, yet the database changed`);
      before = after;
    };

    for (const compiled of operations) {
      const { op } = compiled;
      const props = (compiled.inputJsonSchema.properties ?? {}) as Record<string, Record<string, any>>;
      const cases: { field?: string; value?: unknown; args: Record<string, unknown> }[] = [
        { args: { ...baseArgs(compiled), unexpected_field: 1 } },
        { args: Object.assign(proto(), baseArgs(compiled)) },
      ];
      for (const [field, schema] of Object.entries(props)) {
        const { core, more } = HOSTILE[typeOf(schema)] ?? HOSTILE.string!;
        const sample = [...core, more[turn++ % more.length], more[turn++ % more.length]];
        for (const value of sample) cases.push({ field, value, args: { ...baseArgs(compiled), [field]: value } });
      }
      for (const c of cases) {
        const what = c.field
          ? `${c.field}=${JSON.stringify(c.value)?.slice(0, 40)}`
          : JSON.stringify(c.args).slice(0, 60);
        const write = !op.annotations.readOnlyHint;
        if (op.http) {
          const res = await viaRest(compiled, c.args);
          const refusal = `${res.status} ${res.body?.error?.code ?? JSON.stringify(res.body).slice(0, 100)}`;
          const serverError = res.status >= 500 || res.body?.error?.code === 'internal';
          await check(
            `REST ${op.name} ${what}`,
            write,
            { ok: res.status < 300, serverError, refusal, output: res.body },
            c.field,
            c.value,
          );
        }
        if (op.mcp !== false) {
          const res = await viaMcp(op.name, c.args);
          const serverError = /^(thrown: .*)?internal\b/.test(res.text);
          await check(
            `MCP ${op.name} ${what}`,
            write,
            { ok: res.ok, serverError, refusal: res.text, output: res.output },
            c.field,
            c.value,
          );
        }
      }
    }

    expect(failures, failures.slice(0, 40).join('\n')).toEqual([]);
    expect(calls).toBeGreaterThan(1000);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(captured.lines.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([]);
  }, 180_000);
});

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '../../src/kernel/errors.js';
import { IDEMPOTENCY_CLAIM_STALE_MS } from '../../src/kernel/idempotency.js';
import { defineOperation } from '../../src/operations/define.js';
import { write } from '../../src/operations/presets.js';
import { Registry } from '../../src/operations/invoker.js';
import { type RunningServer, startHttpServer } from '../../src/transport/http/server.js';
import { startWorkers } from '../../src/workers.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp } from '../helpers/app.js';
import { callOk, connectHttp } from '../helpers/mcp.js';

// A write whose handler runs until the test lets it finish, or fails while `failing` is set: it
// stands for a handler waiting on Claude or on a job, without depending on how long those take.
let gate: { entered: Promise<void>; enter(): void; release(): void; wait: Promise<void> } = newGate();
let failing = false;
let calls = 0;
function newGate() {
  let enter!: () => void;
  let release!: () => void;
  const entered = new Promise<void>((r) => (enter = r));
  const wait = new Promise<void>((r) => (release = r));
  return { entered, enter, release, wait };
}
const holdWrite = defineOperation({
  name: 'hold_write',
  title: 'Held write (test)',
  description: 'A write that finishes when the test says so.',
  toolset: 'prospects',
  scope: 'prospects:write',
  input: z.object({ label: z.string().describe('Echoed back') }),
  output: z.object({ label: z.string().describe('The label'), call: z.number().describe('Which call ran this') }),
  annotations: write,
  http: { method: 'POST', path: '/test/holds', status: 201 },
  handler: async (_ctx, { label }) => {
    const call = ++calls;
    gate.enter();
    await gate.wait;
    if (failing) throw new AppError('upstream_error', 'the upstream failed');
    return { label, call };
  },
});

describe('idempotency keys hold no transaction while the request runs (REST and MCP)', () => {
  let t: TestApp;
  let server: RunningServer;
  let key: string;
  let client: Client;

  const rest = async (method: string, path: string, opts: { body?: unknown; idempotencyKey?: string } = {}) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {}),
      },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    return { status: res.status, replayed: res.headers.get('idempotent-replayed'), body: await res.json() };
  };

  beforeAll(async () => {
    t = await createTestApp();
    await startWorkers(t.app);
    const org = await createOrg(t.app);
    key = await addKey(t.app, org, ['*'], [await addWorkspace(t.app, org, 'main')]);
    const registry = new Registry(t.app, [...t.app.registry.operations.map((c) => c.op), holdWrite]);
    server = await startHttpServer({ ...t.app, registry }, { port: 0 });
    client = await connectHttp(server.url, key);
  });
  afterAll(async () => {
    gate.release();
    await client?.close();
    await server?.close();
    await t?.close();
  });

  // With the key claimed in the handler's transaction, the ingestion job could not see the
  // uncommitted document (on PGlite not even run): the call waited its full 120 s.
  it('a keyed add_document with wait=true sees its ingestion finish, and a repeat replays it', async () => {
    const kb = (await callOk(client, 'create_knowledge_base', { name: 'Handbook', language: 'english' })).knowledge_base
      .id;
    const args = {
      knowledge_base_id: kb,
      name: 'refunds.md',
      content: '# Refunds\n\nRefunds within 30 days.',
      wait: true,
      idempotency_key: 'add-doc-1',
    };
    const added = await callOk(client, 'add_document', args);
    expect(added.document).toMatchObject({ status: 'ready', progress: 100 });
    expect(await callOk(client, 'add_document', args)).toEqual(added);
  }, 20_000);

  it('answers a repeat while the first call runs with a retryable 409, serves other requests meanwhile, then replays', async () => {
    gate = newGate();
    calls = 0;
    const request = { body: { label: 'one' }, idempotencyKey: 'hold-1' };
    const first = rest('POST', '/test/holds', request);
    await gate.entered;

    const repeat = await rest('POST', '/test/holds', request);
    expect(repeat.status).toBe(409);
    expect(repeat.body.error).toMatchObject({ code: 'conflict', param: 'idempotency_key' });
    expect(repeat.body.error.message).toMatch(/still in progress; this is retryable/);
    const other = await rest('POST', '/test/holds', { body: { label: 'two' }, idempotencyKey: 'hold-1' });
    expect(other.body.error.message).toMatch(/already used for a different request/);
    // Other work goes on meanwhile: a read, and a keyed write through the same database connection(s).
    expect((await rest('GET', '/prospects')).status).toBe(200);
    expect(
      (await rest('POST', '/prospects', { body: { email: 'meanwhile@example.com' }, idempotencyKey: 'other-1' }))
        .status,
    ).toBe(201);

    gate.release();
    expect(await first).toMatchObject({ status: 201, replayed: null, body: { label: 'one', call: 1 } });
    expect(await rest('POST', '/test/holds', request)).toMatchObject({
      status: 201,
      replayed: 'true',
      body: { label: 'one', call: 1 },
    });
    expect(calls).toBe(1);
  });

  it('runs a retry again after the keyed call failed', async () => {
    gate = newGate();
    gate.release();
    calls = 0;
    failing = true;
    const request = { body: { label: 'flaky' }, idempotencyKey: 'fail-1' };
    expect((await rest('POST', '/test/holds', request)).body.error.code).toBe('upstream_error');
    failing = false;
    expect(await rest('POST', '/test/holds', request)).toMatchObject({
      status: 201,
      replayed: null,
      body: { label: 'flaky', call: 2 },
    });
  });

  it('takes over a key left in progress by a crashed process once the claim is stale', async () => {
    gate = newGate();
    gate.release();
    calls = 0;
    const { id: apiKeyId, organization_id } = await t.app.db
      .selectFrom('api_keys')
      .select(['id', 'organization_id'])
      .executeTakeFirstOrThrow();
    const claim = (k: string, ageMs: number) =>
      t.app.db
        .insertInto('idempotency_keys')
        .values({
          organization_id,
          api_key_id: apiKeyId,
          key: k,
          operation: 'hold_write',
          request_hash: 'crashed',
          response: 'null',
          created_at: new Date(Date.now() - ageMs),
          claim_token: 'crashed',
        })
        .execute();
    await claim('crash-1', IDEMPOTENCY_CLAIM_STALE_MS + 60_000);
    expect(
      await rest('POST', '/test/holds', { body: { label: 'after-crash' }, idempotencyKey: 'crash-1' }),
    ).toMatchObject({ status: 201, body: { label: 'after-crash', call: 1 } });
    const row = await t.app.db
      .selectFrom('idempotency_keys')
      .select(['claim_token', 'response'])
      .where('key', '=', 'crash-1')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ claim_token: null, response: { label: 'after-crash', call: 1 } });
  });
});

import type { ChildProcess } from 'node:child_process';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, stop } from '../helpers/cli.js';
import { TEST_DB_KIND } from '../helpers/db.js';
import { callOk, callTool, connectHttp } from '../helpers/mcp.js';
import { type PrivatePostgres, privatePostgresUnavailable, startPrivatePostgres } from '../helpers/private-postgres.js';
import { until } from '../helpers/wait.js';

// The server under test gets a PostgreSQL instance of its own to restart, so the PGlite project has nothing to add.
const skip = TEST_DB_KIND !== 'postgres' ? 'runs in the postgres project' : privatePostgresUnavailable();

describe.skipIf(skip)(`switchboard serve across PostgreSQL restarts${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let pg: PrivatePostgres;
  let child: ChildProcess;
  let url: string;
  let key: string;
  let client: Client;
  let output: () => string;
  let n = 0;

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${url}/api/v1${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
    });
  const alive = () => child.exitCode === null && child.signalCode === null;
  const assertAlive = () => {
    if (!alive()) throw new Error(`serve exited (${child.exitCode ?? child.signalCode}):\n${output().slice(-2000)}`);
  };

  /** REST reads and writes and MCP calls, a few at a time, until stopped; what each answered. */
  function load() {
    const seen: string[] = [];
    let running = true;
    // A request that gets no answer at all ends its loop: the server is gone.
    const repeat = (once: () => Promise<string>) => async () => {
      while (running) {
        try {
          seen.push(await once());
        } catch (err) {
          seen.push(`no answer: ${(err as Error).message}`);
          running = false;
        }
      }
    };
    const rest = repeat(async () => {
      const write = n++ % 2 === 0;
      const res = await (write
        ? api('/prospects', { method: 'POST', body: JSON.stringify({ email: `p${n}@example.com` }) })
        : api('/prospects?limit=5'));
      const body = await res.json();
      return res.ok ? 'ok' : `${res.status} ${body.error?.code} retry-after=${res.headers.get('retry-after')}`;
    });
    const mcp = repeat(async () => {
      const result = await callTool(client, 'list_prospects', { limit: 5 });
      return result.isError ? `mcp ${(result.content[0] as { text: string }).text}` : 'ok';
    });
    const loops = [rest(), rest(), rest(), rest(), mcp(), mcp()];
    return {
      seen,
      stop: async () => {
        running = false;
        await Promise.all(loops);
        return seen;
      },
    };
  }

  const healthy = () =>
    until('the server to answer again', async () => (await fetch(`${url}/api/v1/health`)).ok, { timeout: 30_000 });

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    // Keys stay cached through the outage, as they would for a busy client.
    const started = await startServe({ DATABASE_URL: pg.url, SWITCHBOARD_CACHE_MS: '60000' });
    ({ child, url, output } = started);
    key = output().match(/\b(sb_[a-z0-9]+)\b/)![1]!;
    client = await connectHttp(url, key);
  });
  afterAll(async () => {
    await client?.close().catch(() => {});
    if (child && alive()) await stop(child);
    await pg?.destroy();
  });

  for (const mode of ['fast', 'immediate'] as const) {
    it(`stays up through pg_ctl restart -m ${mode} with requests in flight, answering only successes or 503`, {
      timeout: 90_000,
    }, async () => {
      const traffic = load();
      await until('requests to flow', () => traffic.seen.length >= 20);
      await pg.restart(mode);
      const before = traffic.seen.length;
      await until('requests to flow after the restart', () => assertAlive() ?? traffic.seen.length >= before + 20, {
        timeout: 30_000,
      });
      const seen = await traffic.stop();

      assertAlive();
      const failures = seen.filter((s) => s !== 'ok');
      // Queries in flight when the server went down, and those sent while it restarted, did fail, and only with 503.
      expect(failures.length).toBeGreaterThan(0);
      const allowed = /^(503 unavailable retry-after=5|mcp unavailable: The database is unavailable)/;
      expect(failures.filter((f) => !allowed.test(f))).toEqual([]);
      await healthy();
      expect((await callOk(client, 'list_prospects', { limit: 1 })).prospects).toHaveLength(1);
    });
  }

  it('answers 503 with Retry-After and a clear MCP error while the database is stopped, and recovers, jobs included, once it is back', {
    timeout: 90_000,
  }, async () => {
    const { knowledge_base } = await callOk(client, 'create_knowledge_base', { name: 'Outage notes' });
    await pg.stop('fast');

    const health = await fetch(`${url}/api/v1/health`);
    expect(health.status).toBe(503);
    expect(health.headers.get('retry-after')).toBe('5');
    expect((await health.json()).error).toMatchObject({ code: 'unavailable', type: 'api_error' });

    const list = await api('/prospects');
    expect(list.status).toBe(503);
    expect(list.headers.get('retry-after')).toBe('5');
    expect((await list.json()).error.message).toMatch(/database is unavailable/);

    const call = await callTool(client, 'upsert_prospect', { email: 'during-outage@example.com' });
    expect(call.isError).toBe(true);
    expect((call.content[0] as { text: string }).text).toMatch(/^unavailable: The database is unavailable .*try again/);
    expect(alive()).toBe(true);

    await pg.start();
    await healthy();
    expect((await callOk(client, 'upsert_prospect', { email: 'after-outage@example.com' })).created).toBe(true);
    // A job enqueued after the outage is picked up by the workers that kept polling through it.
    const { document } = await callOk(client, 'add_document', {
      knowledge_base_id: knowledge_base.id,
      name: 'notes.md',
      content: '# Notes\n\nThe database came back.',
    });
    const done = await until(
      'the ingestion job to run',
      async () => {
        const got = (
          await callOk(client, 'get_document', { knowledge_base_id: knowledge_base.id, document_id: document.id })
        ).document;
        return got.status !== 'processing' && got;
      },
      { timeout: 30_000 },
    );
    expect(done).toMatchObject({ status: 'ready' });
    expect(alive()).toBe(true);
  });
});

import { sql } from 'kysely';
import PgBoss10 from 'pg-boss-10';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgBossQueue } from '../../../src/adapters/jobs/queue.js';
import { JOB_NAMES } from '../../../src/jobs.js';
import { type TestDatabase, createTestDatabase } from '../../helpers/db.js';

// An install made by the Switchboard that ran pg-boss 10: its queues, with jobs in every state.
async function installV10(database: TestDatabase): Promise<{ later: Date }> {
  const pool = database.handle.pool;
  const boss = new PgBoss10({
    db: { executeSql: (text, values) => pool.query(text, values) },
    schema: 'pgboss',
    schedule: false,
    supervise: false,
  });
  await boss.start();
  for (const name of ['kb.ingest', 'outreach.send']) await boss.createQueue(name);
  const later = new Date(Date.now() + 3_600_000);
  await boss.send(
    'outreach.send',
    { workspace_id: 'wsp_1', draft_id: 'drf_later' },
    { startAfter: later, singletonKey: 'send:drf_later' },
  );
  await boss.send('kb.ingest', { workspace_id: 'wsp_1', document_id: 'doc_due' });
  await boss.send('outreach.send', { workspace_id: 'wsp_1', draft_id: 'drf_done' });
  const [done] = await boss.fetch('outreach.send');
  await boss.complete('outreach.send', done!.id);
  await boss.stop({ graceful: false, close: false });
  return { later };
}

describe('upgrading from the pg-boss 10 schema', () => {
  let database: TestDatabase;
  let queue: PgBossQueue;
  const errors: unknown[] = [];
  const log = pino({ level: 'error' }, { write: (line: string) => void errors.push(JSON.parse(line)) });

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await queue?.stop();
    await database.handle.close();
    await database.drop();
  });

  it('carries the unfinished jobs over, keeping their start time, drops the old schema, and runs them', async () => {
    const { later } = await installV10(database);
    const db = database.handle.db;
    expect((await sql<{ version: number }>`select version from pgboss.version`.execute(db)).rows[0]?.version).toBe(24);

    queue = new PgBossQueue(database.handle, log, { pollingIntervalSeconds: 0.5, timeoutSeconds: 30 });
    await queue.start(JOB_NAMES);

    const schemas = await sql<{
      n: string;
    }>`select nspname as n from pg_namespace where nspname like 'pgboss%' order by 1`.execute(db);
    expect(schemas.rows.map((r) => r.n)).toEqual(['pgboss']);
    const jobs = await sql<{
      name: string;
      data: unknown;
      state: string;
      start_after: Date;
      singleton_key: string | null;
    }>`
      select name, data, state, start_after, singleton_key from pgboss.job order by name`.execute(db);
    expect(jobs.rows).toEqual([
      {
        name: 'kb.ingest',
        data: { workspace_id: 'wsp_1', document_id: 'doc_due' },
        state: 'created',
        start_after: expect.any(Date),
        singleton_key: null,
      },
      {
        name: 'outreach.send',
        data: { workspace_id: 'wsp_1', draft_id: 'drf_later' },
        state: 'created',
        start_after: later,
        singleton_key: 'send:drf_later',
      },
    ]);

    const ran: unknown[] = [];
    await queue.work('kb.ingest', async (data) => void ran.push(data));
    await expect
      .poll(() => ran, { timeout: 15_000, interval: 100 })
      .toEqual([{ workspace_id: 'wsp_1', document_id: 'doc_due' }]);

    // A second start (another node, or a restart) finds nothing left to carry over.
    await queue.stop();
    await queue.start(JOB_NAMES);
    expect(
      (await sql<{ c: number }>`select count(*)::int as c from pgboss.job where name = 'outreach.send'`.execute(db))
        .rows[0]?.c,
    ).toBe(1);
    expect(errors).toEqual([]);
  });
});

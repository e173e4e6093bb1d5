import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgBossQueue } from '../../../src/adapters/jobs/queue.js';
import { JOB_NAMES } from '../../../src/jobs.js';
import { newId } from '../../../src/kernel/ids.js';
import { transact } from '../../../src/kernel/transact.js';
import { type TestDatabase, createTestDatabase } from '../../helpers/db.js';

describe('the job queue', () => {
  let database: TestDatabase;
  let queue: PgBossQueue;
  const db = () => database.handle.db;
  // pg-boss reports trouble in its background work (maintenance, migrations) only as events, which the queue logs.
  const errors: unknown[] = [];
  const log = pino({ level: 'error' }, { write: (line: string) => void errors.push(JSON.parse(line)) });

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = new PgBossQueue(database.handle, log, { pollingIntervalSeconds: 0.5, timeoutSeconds: 30 });
    await queue.start(JOB_NAMES);
  });
  afterAll(async () => {
    await queue.stop();
    expect(errors).toEqual([]);
    await database.handle.close();
    await database.drop();
  });

  const jobsFor = async (draftId: string) =>
    (
      await sql<{ name: string; data: unknown; state: string; retry_limit: number }>`
      select name, data, state, retry_limit from pgboss.job where data->>'draft_id' = ${draftId}`.execute(db())
    ).rows;

  it('enqueues nothing when the transaction that enqueued rolls back, with the write beside it', async () => {
    const draftId = newId('drf');
    await expect(
      transact(db(), async (trx) => {
        await trx
          .insertInto('organizations')
          .values({ id: newId('org'), name: 'Gone', created_at: new Date() })
          .execute();
        await queue.enqueue(trx, 'outreach.send', { workspace_id: 'wsp_x', draft_id: draftId });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await jobsFor(draftId)).toEqual([]);
    expect(await db().selectFrom('organizations').where('name', '=', 'Gone').select('id').execute()).toEqual([]);
  });

  it('has the job exactly when the transaction commits, with the queue retry policy, and a worker runs it', async () => {
    const draftId = newId('drf');
    await transact(db(), (trx) => queue.enqueue(trx, 'outreach.send', { workspace_id: 'wsp_x', draft_id: draftId }));
    expect(await jobsFor(draftId)).toEqual([
      { name: 'outreach.send', data: { workspace_id: 'wsp_x', draft_id: draftId }, state: 'created', retry_limit: 3 },
    ]);

    const seen: unknown[] = [];
    await queue.work('outreach.send', async (data, job) => void seen.push({ data, job }));
    await expect
      .poll(() => seen, { timeout: 15_000, interval: 100 })
      .toEqual([{ data: { workspace_id: 'wsp_x', draft_id: draftId }, job: { attempt: 1, lastAttempt: false } }]);
    await expect
      .poll(async () => (await jobsFor(draftId))[0]?.state, { timeout: 15_000, interval: 100 })
      .toBe('completed');
  });

  it('retries a job whose handler throws, counting the attempts', async () => {
    const attempts: number[] = [];
    await queue.work('kb.ingest', async (_data, job) => {
      attempts.push(job.attempt);
      if (job.attempt === 1) throw new Error('first try fails');
    });
    await transact(db(), (trx) =>
      queue.enqueue(trx, 'kb.ingest', { workspace_id: 'wsp_x', document_id: newId('doc') }),
    );
    await expect.poll(() => attempts, { timeout: 20_000, interval: 100 }).toEqual([1, 2]);
  });
});

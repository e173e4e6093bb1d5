import type { Kysely } from 'kysely';
import type pg from 'pg';
import { type Db, type JobWithMetadata, PgBoss, fromKysely } from 'pg-boss';
import type { Logger } from 'pino';
import type { JobContext, JobName, JobPayloads, JobQueue } from '../../kernel/ports.js';
import type { DatabaseHandle } from '../db/connect.js';
import type { Database } from '../db/schema.js';
import { carryOverV10Jobs, setAsideV10Schema } from './upgrade-v10.js';

export type JobHandler<N extends JobName> = (data: JobPayloads[N], job: JobContext) => Promise<void>;

const RETRY_LIMIT = 3;
const SCHEMA = 'pgboss';

/**
 * pg-boss's own statements (polling, maintenance, migrations) on the app's pool. pg-boss expects
 * the raw result of a multi-statement text (an array), which Kysely would reduce to no rows. On
 * PGlite the pool has the one session, so a statement that fails inside one of pg-boss's
 * BEGIN … COMMIT blocks is rolled back here: a new pooled client would still be in that session.
 */
const poolExecutor = (pool: pg.Pool): Db => ({
  executeSql: async (text, values) => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      return await client.query(text, values);
    } catch (err) {
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw err;
    } finally {
      client.release(broken);
    }
  },
});

/**
 * Durable jobs in PostgreSQL (pg-boss), over the app's own pool, so PGlite works too (pg-boss's
 * own PGlite adapter would talk to the PGlite session past our pool, inside whatever transaction
 * the app has open on it). A job is enqueued inside the transaction that makes it necessary: it
 * exists exactly when the change does. A crashed worker's job expires and is tried again, so
 * handlers must be idempotent.
 */
export class PgBossQueue implements JobQueue {
  private readonly boss: PgBoss;
  private started = false;
  readonly timeoutMs: number;

  constructor(
    private readonly database: Pick<DatabaseHandle, 'pool' | 'kind'>,
    private readonly log: Logger,
    private readonly opts: { pollingIntervalSeconds?: number | undefined; timeoutSeconds: number },
  ) {
    // Expiry is found by the supervisor's monitor pass, so it must run often enough for a crashed job to come back in time.
    const superviseSeconds = Math.max(1, Math.min(120, Math.floor(opts.timeoutSeconds / 3)));
    this.boss = new PgBoss({
      db: poolExecutor(database.pool),
      backend: database.kind,
      schema: SCHEMA,
      schedule: false,
      supervise: true,
      migrate: true,
      superviseIntervalSeconds: superviseSeconds,
      monitorIntervalSeconds: superviseSeconds,
      registerInstance: false,
    });
    this.timeoutMs = opts.timeoutSeconds * 1000;
    this.boss.on('error', (err) => log.error({ err }, 'job queue error'));
  }

  /** Creates or migrates the queue tables and the named queues. Needed before enqueue or work. */
  async start(names: readonly JobName[]): Promise<void> {
    if (this.started) return;
    await setAsideV10Schema(this.database.pool, SCHEMA);
    await this.boss.start();
    // Retries and expiry are queue settings since pg-boss 11; updating them too lets a changed timeout reach an existing queue.
    const settings = {
      retryLimit: RETRY_LIMIT,
      retryDelay: 2,
      retryBackoff: true,
      expireInSeconds: this.opts.timeoutSeconds,
    };
    for (const name of names) {
      await this.boss.createQueue(name, settings);
      await this.boss.updateQueue(name, settings);
    }
    await carryOverV10Jobs(
      this.database.pool,
      SCHEMA,
      names,
      (db, job) =>
        this.boss.send(job.name, job.data, {
          db,
          startAfter: job.startAfter,
          ...(job.singletonKey ? { singletonKey: job.singletonKey } : {}),
        }),
      this.log,
    );
    this.started = true;
    this.log.debug({ queues: names.length }, 'job queue started');
  }

  /**
   * Enqueues through the caller's transaction: a rollback leaves no job, a commit always has it.
   * `startAfter` delays the job; `singletonKey` is recorded on it.
   */
  async enqueue<N extends JobName>(
    trx: Kysely<Database>,
    name: N,
    data: JobPayloads[N],
    opts: { singletonKey?: string; startAfter?: Date } = {},
  ): Promise<void> {
    await this.boss.send(name, data, { db: fromKysely(trx), ...opts });
  }

  /** Runs `handler` for jobs of `name` in this process, one at a time. */
  async work<N extends JobName>(name: N, handler: JobHandler<N>): Promise<void> {
    const options = {
      pollingIntervalSeconds: this.opts.pollingIntervalSeconds ?? 0.5,
      batchSize: 1,
      includeMetadata: true,
    } as const;
    await this.boss.work<JobPayloads[N], void, typeof options>(
      name,
      options,
      async ([job]: JobWithMetadata<JobPayloads[N]>[]) => {
        if (!job) return;
        const attempt = job.retryCount + 1;
        try {
          await handler(job.data, { attempt, lastAttempt: attempt > RETRY_LIMIT });
        } catch (err) {
          this.log.warn({ err, job: name, jobId: job.id, attempt }, 'job failed; it will be retried if tries remain');
          throw err;
        }
      },
    );
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: true, close: false, timeout: 10_000 });
  }
}

import { CompiledQuery, type Kysely } from 'kysely';
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { JobContext, JobName, JobPayloads, JobQueue } from '../../kernel/ports.js';
import type { Database } from '../db/schema.js';

export type JobHandler<N extends JobName> = (data: JobPayloads[N], job: JobContext) => Promise<void>;

const RETRY_LIMIT = 3;

const executorFor = (db: Kysely<Database>): PgBoss.Db => ({
  executeSql: async (text, values) => ({ rows: (await db.executeQuery(CompiledQuery.raw(text, values ?? []))).rows as unknown[] }),
});

/**
 * Durable jobs in PostgreSQL (pg-boss), over the app's own connection so PGlite works too.
 * A job is enqueued inside the transaction that makes it necessary: it exists exactly when the
 * change does. A crashed worker's job expires and is tried again, so handlers must be idempotent.
 */
export class PgBossQueue implements JobQueue {
  private readonly boss: PgBoss;
  private started = false;
  readonly timeoutMs: number;

  constructor(
    db: Kysely<Database>,
    private readonly log: Logger,
    private readonly opts: { pollingIntervalSeconds?: number | undefined; timeoutSeconds: number },
  ) {
    this.boss = new PgBoss({
      db: executorFor(db),
      schema: 'pgboss',
      schedule: false,
      supervise: true,
      migrate: true,
      retryLimit: RETRY_LIMIT,
      retryDelay: 2,
      retryBackoff: true,
      expireInSeconds: opts.timeoutSeconds,
      // Expiry is found by maintenance, so it must run often enough for a crashed job to come back in time.
      maintenanceIntervalSeconds: Math.max(1, Math.min(120, Math.floor(opts.timeoutSeconds / 3))),
    });
    this.timeoutMs = opts.timeoutSeconds * 1000;
    this.boss.on('error', (err) => log.error({ err }, 'job queue error'));
  }

  /** Creates the queue tables (first run) and the named queues. Needed before enqueue or work. */
  async start(names: readonly JobName[]): Promise<void> {
    if (this.started) return;
    await this.boss.start();
    for (const name of names) await this.boss.createQueue(name);
    this.started = true;
  }

  /**
   * Enqueues in the caller's transaction. `startAfter` delays the job; `singletonKey` collapses
   * duplicates that are still queued.
   */
  async enqueue<N extends JobName>(trx: Kysely<Database>, name: N, data: JobPayloads[N], opts: { singletonKey?: string; startAfter?: Date } = {}): Promise<void> {
    await this.boss.send(name, data, { db: executorFor(trx), ...opts });
  }

  /** Runs `handler` for jobs of `name` in this process, one at a time. */
  async work<N extends JobName>(name: N, handler: JobHandler<N>): Promise<void> {
    await this.boss.work<JobPayloads[N]>(name, { pollingIntervalSeconds: this.opts.pollingIntervalSeconds ?? 0.5, batchSize: 1, includeMetadata: true }, async ([job]) => {
      if (!job) return;
      const attempt = (job as PgBoss.JobWithMetadata<JobPayloads[N]>).retryCount + 1;
      try {
        await handler(job.data, { attempt, lastAttempt: attempt > RETRY_LIMIT });
      } catch (err) {
        this.log.warn({ err, job: name, jobId: job.id, attempt }, 'job failed; it will be retried if tries remain');
        throw err;
      }
    });
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: true, close: false, timeout: 10_000 });
  }
}

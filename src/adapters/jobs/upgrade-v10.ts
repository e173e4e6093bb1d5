import type pg from 'pg';
import type { Db } from 'pg-boss';
import type { Logger } from 'pino';

/**
 * Switchboard used pg-boss 10 (schema version 24) while it ran on Node 20. pg-boss 12 migrates
 * only from version 25 (pg-boss 11), and 11 brought no migration from 10, so an existing install
 * is carried over by hand: its schema is set aside before pg-boss installs a fresh one, then the
 * jobs not yet done are sent again and the old schema is dropped, in one transaction. Approved
 * drafts waiting for their send window live only in those jobs, so dropping them is not an option.
 */
const FIRST_MIGRATABLE_VERSION = 25;
const LOCK = `hashtext('switchboard.jobs.upgrade-v10')`;

export interface V10Job {
  name: string;
  data: object;
  startAfter: Date;
  singletonKey: string | null;
}

async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    // Several nodes may start at once: one does the work, the others then find nothing to do.
    await client.query(`select pg_advisory_xact_lock(${LOCK})`);
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

const exists = async (client: pg.PoolClient, table: string) =>
  (await client.query<{ t: string | null }>('select to_regclass($1) as t', [table])).rows[0]?.t != null;

/** Renames a pg-boss 10 schema out of pg-boss 12's way; does nothing on a fresh or current install. */
export async function setAsideV10Schema(pool: pg.Pool, schema: string): Promise<void> {
  await inTransaction(pool, async (client) => {
    if (!(await exists(client, `${schema}.version`))) return;
    const { rows } = await client.query<{ version: number }>(`select version from ${schema}.version`);
    const version = rows[0]?.version;
    if (version === undefined || version >= FIRST_MIGRATABLE_VERSION) return;
    await client.query(`alter schema ${schema} rename to ${schema}_v10`);
  });
}

/**
 * Sends the set-aside schema's unfinished jobs of the given names through `send` (on the same
 * transaction), then drops that schema. A job that was active when the old process stopped is
 * sent again: handlers are idempotent.
 */
export async function carryOverV10Jobs(
  pool: pg.Pool,
  schema: string,
  names: readonly string[],
  send: (db: Db, job: V10Job) => Promise<unknown>,
  log: Logger,
): Promise<void> {
  const legacy = `${schema}_v10`;
  await inTransaction(pool, async (client) => {
    if (!(await exists(client, `${legacy}.job`))) return;
    const { rows } = await client.query<V10Job>(
      `select name, data, start_after as "startAfter", singleton_key as "singletonKey" from ${legacy}.job
        where state < 'completed' and name = any($1) order by created_on, id`,
      [names],
    );
    const db: Db = { executeSql: (text, values) => client.query(text, values) };
    for (const job of rows) await send(db, job);
    await client.query(`drop schema ${legacy} cascade`);
    log.info({ jobs: rows.length }, 'carried the pending jobs over from the pg-boss 10 schema and dropped it');
  });
}

import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server the bench creates its databases on; the same default as the test suite's. */
export const PG_ADMIN_URL =
  process.env.SWITCHBOARD_BENCH_POSTGRES_URL ??
  process.env.SWITCHBOARD_TEST_POSTGRES_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A fresh, empty database (the server migrates it on start) and the function that drops it. */
export async function createDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `sb_bench_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`create database ${name}`));
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  return {
    name,
    url: url.toString(),
    drop: () =>
      (dropped ??= admin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined)),
  };
}

/**
 * The server processes (backends) serving a database right now: PostgreSQL's share of a call's
 * cost is their CPU time. The admin connection used to ask is on another database, so not counted.
 */
export async function backendPids(database: string): Promise<number[]> {
  const { rows } = await admin((c) =>
    c.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [database]),
  );
  return rows.map((r) => r.pid);
}

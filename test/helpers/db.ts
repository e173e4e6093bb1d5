import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { inject } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../src/adapters/db/connect.js';
import { migrateToLatest } from '../../src/adapters/db/migrate.js';

export type TestDbKind = 'pglite' | 'postgres';
export const TEST_DB_KIND: TestDbKind = process.env.SWITCHBOARD_TEST_DB === 'postgres' ? 'postgres' : 'pglite';
/** The server the postgres project creates its databases on (trust auth on the CI machine). */
export const TEST_PG_ADMIN_URL =
  process.env.SWITCHBOARD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  handle: DatabaseHandle;
  /** Removes the database once its handle is closed (the PostgreSQL one; PGlite's lives in memory). */
  drop(): Promise<void>;
}

/** A fresh PostgreSQL database with a unique name, dropped by the returned function. */
export async function createPgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `sb_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: TEST_PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** A migrated, empty database of the kind this test project runs on. */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (TEST_DB_KIND === 'pglite') {
    const snapshot = new Blob([readFileSync(inject('pgliteSnapshot'))]);
    const handle = await openDatabase({ kind: 'pglite', dataDir: 'memory://', loadDataDir: snapshot });
    return { handle, drop: async () => {} };
  }
  const { url, drop } = await createPgDatabase();
  const handle = await openDatabase({ kind: 'postgres', url, poolSize: 10 });
  await migrateToLatest(handle.db);
  return { handle, drop };
}

/**
 * A database a spawned `switchboard` process can open too: a PGlite data directory (closed here
 * before the child starts, since PGlite allows one process) or a fresh PostgreSQL database.
 * `env` is what the child needs to find it.
 */
export async function createSharedTestDatabase(
  dataDir: string,
): Promise<{ handle: DatabaseHandle; env: Record<string, string>; drop(): Promise<void> }> {
  if (TEST_DB_KIND === 'pglite') {
    const snapshot = new Blob([readFileSync(inject('pgliteSnapshot'))]);
    const handle = await openDatabase({ kind: 'pglite', dataDir, loadDataDir: snapshot });
    return { handle, env: { SWITCHBOARD_DATA_DIR: dataDir }, drop: async () => {} };
  }
  const { url, drop } = await createPgDatabase();
  const handle = await openDatabase({ kind: 'postgres', url });
  await migrateToLatest(handle.db);
  return { handle, env: { DATABASE_URL: url }, drop };
}

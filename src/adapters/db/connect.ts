import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { vector } from '@electric-sql/pglite-pgvector';
import { btree_gin } from '@electric-sql/pglite/contrib/btree_gin';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import lockfile from 'proper-lockfile';
import type { Database } from './schema.js';

export type DatabaseTarget =
  | { kind: 'postgres'; url: string; poolSize?: number }
  /** `dataDir` is a directory, or `memory://` for a throwaway database. */
  | { kind: 'pglite'; dataDir: string; loadDataDir?: Blob };

export interface DatabaseHandle {
  db: Kysely<Database>;
  /** The pool under `db`, for clients that speak SQL text (the job queue). */
  pool: pg.Pool;
  kind: DatabaseTarget['kind'];
  close(): Promise<void>;
}

export class DatabaseLockedError extends Error {
  constructor(dataDir: string) {
    super(
      `The embedded database in ${dataDir} is already open in another Switchboard process, and PGlite allows only one. ` +
        'Stop that process, point this one at a PostgreSQL server with DATABASE_URL, or connect your MCP client to the ' +
        'running server over HTTP (http://HOST:PORT/mcp) instead of starting a second one. If that process crashed, ' +
        'its lock expires within 20 seconds.',
    );
    this.name = 'DatabaseLockedError';
  }
}

/** Opens the database: PostgreSQL through a pg pool, or PGlite through its node-postgres adapter. */
export async function openDatabase(target: DatabaseTarget): Promise<DatabaseHandle> {
  if (target.kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: target.url, max: target.poolSize ?? 10 });
    // An idle connection the server closes (restart, failover, a dropped database) must not crash
    // the process; pg reconnects on the next query.
    pool.on('error', (err) => process.emitWarning(`PostgreSQL connection lost: ${err.message}`));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, pool, kind: 'postgres', close: () => db.destroy() };
  }
  return openPglite(target.dataDir, target.loadDataDir);
}

async function openPglite(dataDir: string, loadDataDir?: Blob): Promise<DatabaseHandle> {
  const inMemory = dataDir.startsWith('memory://');
  let release: (() => Promise<void>) | undefined;
  if (!inMemory) {
    const dir = path.resolve(dataDir);
    mkdirSync(dir, { recursive: true });
    release = await lockDataDir(dir);
  }
  try {
    const pglite = await PGlite.create(inMemory ? undefined : path.resolve(dataDir, 'pgdata'), pgliteOptions(loadDataDir));
    const { db, pool } = overPglite(pglite);
    return {
      db,
      pool,
      kind: 'pglite',
      close: async () => {
        await db.destroy();
        await pglite.close();
        await release?.();
      },
    };
  } catch (err) {
    await release?.();
    throw err;
  }
}

/** PGlite with the extensions Switchboard uses (pgvector, for hybrid knowledge-base search). */
export const pgliteOptions = (loadDataDir?: Blob) => ({ extensions: { vector, btree_gin }, ...(loadDataDir ? { loadDataDir } : {}) });

/** Kysely over PGlite through its node-postgres adapter, so both databases share one code path. */
export function kyselyOverPglite(pglite: PGlite): Kysely<Database> {
  return overPglite(pglite).db;
}

function overPglite(pglite: PGlite): { db: Kysely<Database>; pool: pg.Pool } {
  // PGlite is a single connection: a pool of one serialises queries and transactions.
  const pool = new pg.Pool({ ...createPgConfig(pglite), max: 1 } as pg.PoolConfig);
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), pool };
}

async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  try {
    // The lock is refreshed every few seconds; one left by a crashed process goes stale after 20 s.
    return await lockfile.lock(dir, {
      lockfilePath: path.join(dir, 'switchboard.lock'),
      stale: 20_000,
      update: 5_000,
      retries: 0,
      onCompromised: (err) => process.emitWarning(`Lost the lock on ${dir}: ${err.message}`),
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') throw new DatabaseLockedError(dir);
    throw err;
  }
}

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { PGlite } from '@electric-sql/pglite';
import { btree_gin } from '@electric-sql/pglite/contrib/btree_gin';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { vector } from '@electric-sql/pglite-pgvector';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { AppError } from '../../kernel/errors.js';
import type { DatabaseEvents, DatabaseHandle, DatabaseTarget } from './handle.js';
import { type DataDirLock, lockDataDir } from './pglite-lock.js';
import type { Database } from './schema.js';
import { guardedClient } from './unavailable.js';

// PGlite and its extensions are WebAssembly. Compiled asynchronously (V8's default), they leave the
// main thread unable to answer anything for 100-200 ms after PGlite has started, while V8 finishes
// with them; compiled on the spot they do not, and a stdio start-up answers `initialize` that much
// sooner (bench/README.md). Only this module's WebAssembly is compiled in the server's process.
setFlagsFromString('--no-wasm-async-compilation');

/** PGlite in this process, behind the same Kysely and pg-pool surface as PostgreSQL. Loaded by `openDatabase` only for a PGlite target. */
export async function openPglite(
  target: Extract<DatabaseTarget, { kind: 'pglite' }>,
  events: DatabaseEvents,
): Promise<DatabaseHandle> {
  const inMemory = target.dataDir.startsWith('memory://');
  let lock: DataDirLock | undefined;
  if (!inMemory) {
    const dir = path.resolve(target.dataDir);
    mkdirSync(dir, { recursive: true });
    lock = await lockDataDir(dir, {
      staleMs: target.lockStaleMs,
      onLost: (err) =>
        events.onLockLost ? events.onLockLost(err) : events.log?.warn({ err: err.message }, 'lost the database lock'),
    });
  }
  try {
    const pglite = await PGlite.create(
      inMemory ? undefined : path.resolve(target.dataDir, 'pgdata'),
      pgliteOptions(target.loadDataDir, target.sharedBuffers),
    );
    const { db, pool } = overPglite(pglite, lock);
    return {
      db,
      pool,
      kind: 'pglite',
      close: async () => {
        await db.destroy();
        // Once the lock is lost the directory may be another process's: even PGlite's shutdown checkpoint must not be written.
        if (lock && !lock.check()) return;
        await pglite.close();
        lock?.release();
      },
    };
  } catch (err) {
    lock?.release();
    throw err;
  }
}

/**
 * PGlite with the extensions Switchboard uses (pgvector, for hybrid knowledge-base search). PGlite
 * sets the whole buffer cache up in WebAssembly memory as it starts, so a smaller one starts sooner
 * and takes less memory: PGlite's own start parameters are kept, with `shared_buffers` added.
 */
export const pgliteOptions = (loadDataDir?: Blob, sharedBuffers?: string) => ({
  extensions: { vector, btree_gin },
  ...(loadDataDir ? { loadDataDir } : {}),
  ...(sharedBuffers ? { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffers}`] } : {}),
});

/** Kysely over PGlite through its node-postgres adapter, so both databases share one code path. */
export function kyselyOverPglite(pglite: PGlite): Kysely<Database> {
  return overPglite(pglite).db;
}

/** With `lock`, every query, the app's and the job queue's, first checks the data directory is still this process's. */
function overPglite(pglite: PGlite, lock?: DataDirLock): { db: Kysely<Database>; pool: pg.Pool } {
  const before = () => {
    try {
      lock?.assertHeld();
    } catch (err) {
      throw new AppError('unavailable', (err as Error).message, undefined, { cause: err });
    }
  };
  // PGlite is a single connection: a pool of one serialises queries and transactions.
  const pool = new pg.Pool({
    ...createPgConfig(pglite),
    max: 1,
    ...(lock ? { Client: guardedClient({ before }) } : {}),
  } as pg.PoolConfig);
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), pool };
}

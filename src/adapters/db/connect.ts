import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { DatabaseEvents, DatabaseHandle, DatabaseTarget } from './handle.js';
import type { Database } from './schema.js';
import { databaseUnavailable, guardedClient, isConnectionFailure, mappedPool } from './unavailable.js';

export { DatabaseLockedError, DatabaseLockLostError, DEFAULT_LOCK_STALE_MS } from './pglite-lock.js';

export type { DatabaseEvents, DatabaseHandle, DatabaseTarget } from './handle.js';

// A server that does not answer at all (a dropped network path) fails a checkout after this long instead of hanging it.
const CONNECT_TIMEOUT_MS = 10_000;

/** Opens the database: PostgreSQL through a pg pool, or PGlite through its node-postgres adapter. */
export async function openDatabase(target: DatabaseTarget, events: DatabaseEvents = {}): Promise<DatabaseHandle> {
  if (target.kind === 'postgres') return openPostgres(target.url, target.poolSize ?? 10, events);
  // PGlite (its WebAssembly build and extensions) loads only when it is the database: a PostgreSQL start never pays for it.
  const { openPglite } = await import('./pglite.js');
  return openPglite(target, events);
}

function openPostgres(url: string, max: number, events: DatabaseEvents): DatabaseHandle {
  let down = false;
  const lost = (err: Error) => {
    if (down) return;
    down = true;
    const message = 'PostgreSQL connection lost; requests are answered 503 until it is back';
    if (events.log) events.log.warn({ err: err.message }, message);
    else process.emitWarning(`${message}: ${err.message}`);
  };
  const mapError = (err: unknown) => {
    if (!isConnectionFailure(err)) return err;
    if (err instanceof Error) lost(err);
    return databaseUnavailable(err);
  };
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    Client: guardedClient({ mapError }),
  });
  // pg-pool listens for errors only on idle clients. A checked-out client (a query or a transaction in
  // flight) whose server restarts emits 'error' with no listener, which kills the process; the query
  // itself already fails, and the pool discards the client on release because it is no longer queryable.
  pool.on('connect', (client) => {
    client.on('error', lost);
    if (down) {
      down = false;
      events.log?.info({}, 'PostgreSQL connection back');
    }
  });
  pool.on('error', lost);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: mappedPool(pool, mapError) }) });
  return { db, pool, kind: 'postgres', close: () => db.destroy() };
}

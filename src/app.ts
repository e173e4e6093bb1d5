import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type Clock, systemClock } from './core/clock.js';
import type { Config } from './config.js';
import { type DatabaseHandle, openDatabase } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import type { Database } from './db/schema.js';
import { Registry } from './tools/registry.js';

export const VERSION = '0.1.0';

/** Everything a transport needs, built once per process. */
export interface App {
  config: Config;
  db: Kysely<Database>;
  dbKind: DatabaseHandle['kind'];
  registry: Registry;
  clock: Clock;
  log: Logger;
  close(): Promise<void>;
}

/** Opens (or adopts) the database, applies migrations, and compiles the operations. */
export async function createApp(config: Config, log: Logger, opts: { database?: DatabaseHandle; clock?: Clock } = {}): Promise<App> {
  const handle = opts.database ?? (await openDatabase(config.database));
  try {
    const applied = await migrateToLatest(handle.db);
    if (applied.length) log.info({ migrations: applied }, 'applied migrations');
  } catch (err) {
    await handle.close();
    throw err;
  }
  const clock = opts.clock ?? systemClock;
  let closed: Promise<void> | undefined;
  return {
    config,
    db: handle.db,
    dbKind: handle.kind,
    registry: new Registry({ db: handle.db, clock }),
    clock,
    log,
    close: () => (closed ??= handle.close()),
  };
}

import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../../src/adapters/db/connect.js';
import { MIGRATION_NAMES, migrateToLatest } from '../../../src/adapters/db/migrate.js';
import { TEST_DB_KIND, createPgDatabase, createTestDatabase } from '../../helpers/db.js';

/**
 * Every start migrates. A database that already has every migration is recognised from the list of
 * applied migrations alone (start-up time, stdio's especially); anything else goes through Kysely's
 * migrator as before: a new database, one that lacks a migration, one written by a newer version.
 */
describe('migrateToLatest', () => {
  let handle: DatabaseHandle | undefined;
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await handle?.close();
    await drop?.();
    handle = undefined;
    drop = undefined;
  });

  const migrated = async () => {
    const database = await createTestDatabase();
    ({ handle, drop } = database);
    return database.handle.db;
  };

  it('applies every migration to a new database, then finds nothing to do', { timeout: 60_000 }, async () => {
    if (TEST_DB_KIND === 'pglite') {
      handle = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
    } else {
      const created = await createPgDatabase();
      drop = created.drop;
      handle = await openDatabase({ kind: 'postgres', url: created.url });
    }
    expect(await migrateToLatest(handle.db)).toEqual(MIGRATION_NAMES);
    expect(await migrateToLatest(handle.db)).toEqual([]);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from workspaces`.execute(handle.db);
    expect(rows[0]?.n).toBe(0);
  });

  it('does not take a database that lacks a migration for an up-to-date one', async () => {
    const db = await migrated();
    const last = MIGRATION_NAMES.at(-1)!;
    await sql`delete from kysely_migration where name = ${last}`.execute(db);
    // The migrator runs the missing migration again: whatever that does, it was not skipped.
    const outcome = await migrateToLatest(db).catch((err: Error) => err);
    expect(outcome).not.toEqual([]);
  });

  it('still refuses a database migrated by a newer version, as the migrator does', async () => {
    const db = await migrated();
    await sql`insert into kysely_migration (name, timestamp) values ('2999_01_01_0000_from_a_newer_version', ${new Date().toISOString()})`.execute(
      db,
    );
    await expect(migrateToLatest(db)).rejects.toThrow(/2999_01_01_0000_from_a_newer_version/);
  });
});

import { type Kysely, sql } from 'kysely';

// Rate limits (issue #12). An organization's setting: null is the `standard` preset.
// The counters are shared by every process on the database. UNLOGGED: a counter is worth no WAL
// write and no fsync on the request path, and after a crash PostgreSQL empties the table, which
// only gives every key a fresh window. One row per key holds all three windows, so a request is
// counted against all of them by one statement (see src/adapters/ratelimit/postgres.ts).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('organizations').addColumn('rate_limits', 'jsonb').execute();
  await sql`
    create unlogged table rate_limit_counters (
      key_id text primary key,
      minute_count integer not null,
      minute_reset bigint not null,
      hour_count integer not null,
      hour_reset bigint not null,
      day_count integer not null,
      day_reset bigint not null,
      granted integer not null
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rate_limit_counters').execute();
  await db.schema.alterTable('organizations').dropColumn('rate_limits').execute();
}

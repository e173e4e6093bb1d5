import { type Kysely, sql } from 'kysely';

// get_kpis reads a few event types of one workspace over a range of days. Without this index it
// reads every event of the workspace (events_prospect_idx does not lead with type); with it, each
// type is one range scan, and is_test rides along so plain counts need not visit the table.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index if not exists events_kpis_idx on events (workspace_id, type, created_at) include (is_test)`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists events_kpis_idx`.execute(db);
}

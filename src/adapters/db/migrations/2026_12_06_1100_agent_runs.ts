import { type Kysely, sql } from 'kysely';

// Agent runs a crash left `running` are found by the workers' sweep (recoverStaleRuns) across all
// workspaces; this partial index holds only the running ones, so the sweep stays cheap however long
// the execution log grows.
//
// A chat turn in progress is marked on its conversation (its message and start), so a second turn sent
// while the model answers the first is refused (conflict) instead of interleaving the history.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('conversations')
    .addColumn('turn_message_id', 'text')
    .addColumn('turn_started_at', 'timestamptz')
    .execute();
  await sql`create index agent_executions_running_idx on agent_executions (created_at) where status = 'running'`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists agent_executions_running_idx`.execute(db);
  await db.schema.alterTable('conversations').dropColumn('turn_message_id').dropColumn('turn_started_at').execute();
}

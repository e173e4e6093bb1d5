import { type Kysely, sql } from 'kysely';

// Agent runs a crash left `running` are found by the workers' sweep (recoverStaleRuns) across all
// workspaces; this partial index holds only the running ones, so the sweep stays cheap however long
// the execution log grows.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index agent_executions_running_idx on agent_executions (created_at) where status = 'running'`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists agent_executions_running_idx`.execute(db);
}

import { type Kysely, sql } from 'kysely';

// Every event records who acted. Events written before actors existed were all made through API
// keys or by the system; their data said which key where it mattered, so they keep that as the
// actor and the rest are marked as the system's.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('events')
    .addColumn('actor_type', 'text', (c) =>
      c.notNull().defaultTo('system').check(sql`actor_type in ('key', 'person', 'agent', 'system')`),
    )
    .addColumn('actor_id', 'text', (c) => c.notNull().defaultTo('legacy'))
    .execute();
  await sql`
    update events set actor_type = 'key', actor_id = coalesce(data->>'by_key', data->>'removed_by_key', data->>'deleted_by_key')
    where coalesce(data->>'by_key', data->>'removed_by_key', data->>'deleted_by_key') is not null`.execute(db);
  await sql`alter table events alter column actor_type drop default, alter column actor_id drop default`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('events').dropColumn('actor_type').dropColumn('actor_id').execute();
}

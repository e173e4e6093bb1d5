import { type Kysely, sql } from 'kysely';

// Providers deliver webhooks at least once, and a redelivery can arrive while the first is still
// being applied. Checking "seen?" then inserting let both apply; a key the database enforces lets
// exactly one insert win, and the others wait for it and then insert nothing.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('provider_events')
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('provider_events_pkey', ['workspace_id', 'provider', 'event_id'])
    .execute();

  // Events the old check let through twice count twice toward the bounce and complaint rates:
  // keep the earliest of each, then remember every event id already applied, so a redelivery
  // arriving after the upgrade is still recognised.
  const provider = (alias: string) => sql.raw(`coalesce(${alias}.data->>'provider', 'resend')`);
  await sql`
    delete from events e using events k
    where e.data ? 'webhook_id' and k.data ? 'webhook_id'
      and k.workspace_id = e.workspace_id
      and k.data->>'webhook_id' = e.data->>'webhook_id'
      and ${provider('k')} = ${provider('e')}
      and (k.created_at, k.id) < (e.created_at, e.id)`.execute(db);
  await sql`
    insert into provider_events (workspace_id, provider, event_id, type, received_at)
    select workspace_id, ${provider('events')}, data->>'webhook_id', type, created_at
    from events where data ? 'webhook_id'
    on conflict do nothing`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('provider_events').execute();
}

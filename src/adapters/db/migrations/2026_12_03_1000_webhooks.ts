import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    // Null: every event type.
    .addColumn('events', sql`text[]`)
    .addColumn('enabled', 'boolean', (c) => c.notNull())
    // Stored as given (`whsec_...`): it must be usable to sign. Never returned after creation, never logged.
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('previous_secret', 'text')
    .addColumn('previous_secret_expires_at', 'timestamptz')
    // Set at the first failed attempt after a success, cleared by a success: 5 days of it disables the endpoint.
    .addColumn('failing_since', 'timestamptz')
    .addColumn('disabled_reason', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_endpoints_pkey', ['workspace_id', 'id'])
    .execute();

  // One row per (endpoint, event): the delivery's state, and the queue the deliverer claims from.
  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('endpoint_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    // The exact body sent on every attempt, so each retry signs the same bytes.
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'succeeded', 'failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
    // A claimed attempt holds the row until then; past it, a crashed attempt is taken over.
    .addColumn('lease_until', 'timestamptz')
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_deliveries_pkey', ['workspace_id', 'id'])
    .addForeignKeyConstraint(
      'webhook_deliveries_endpoint_fk',
      ['workspace_id', 'endpoint_id'],
      'webhook_endpoints',
      ['workspace_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
  await sql`create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at) where status = 'pending'`.execute(
    db,
  );
  await db.schema
    .createIndex('webhook_deliveries_endpoint_idx')
    .on('webhook_deliveries')
    .columns(['workspace_id', 'endpoint_id', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_event_idx')
    .on('webhook_deliveries')
    .columns(['workspace_id', 'endpoint_id', 'event_id'])
    .execute();

  // The delivery log: one row per attempt.
  await db.schema
    .createTable('webhook_attempts')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('endpoint_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('latency_ms', 'integer', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('response_snippet', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_attempts_pkey', ['workspace_id', 'id'])
    .addForeignKeyConstraint(
      'webhook_attempts_delivery_fk',
      ['workspace_id', 'delivery_id'],
      'webhook_deliveries',
      ['workspace_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('webhook_attempts_endpoint_idx')
    .on('webhook_attempts')
    .columns(['workspace_id', 'endpoint_id', 'created_at', 'id'])
    .execute();

  // Which outbox events the dispatcher has turned into deliveries. Events from before webhooks existed had no endpoint to reach.
  await db.schema.alterTable('events').addColumn('webhooks_dispatched_at', 'timestamptz').execute();
  await sql`update events set webhooks_dispatched_at = created_at`.execute(db);
  await sql`create index events_undispatched_idx on events (created_at) where webhooks_dispatched_at is null`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('events').dropColumn('webhooks_dispatched_at').execute();
  for (const table of ['webhook_attempts', 'webhook_deliveries', 'webhook_endpoints']) {
    await db.schema.dropTable(table).execute();
  }
}

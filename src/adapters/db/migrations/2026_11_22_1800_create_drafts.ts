import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('drafts')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('prospect_id', 'text', (c) => c.notNull())
    .addColumn('to_email', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('pending_approval', 'approved', 'rejected', 'sending', 'sent', 'failed')`),
    )
    .addColumn('variables', 'jsonb', (c) => c.notNull())
    .addColumn('provenance', 'jsonb', (c) => c.notNull())
    .addColumn('rejection_reason', 'text')
    .addColumn('approved_by', 'text')
    .addColumn('approved_at', 'timestamptz')
    // Unguessable: the key of the unsubscribe, open and click links of the sent email.
    .addColumn('token', 'text', (c) => c.notNull().unique())
    .addColumn('send_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    // A send in progress holds the draft until then; a crashed one can be taken over afterwards.
    .addColumn('send_lease_until', 'timestamptz')
    .addColumn('send_error', 'text')
    .addColumn('provider', 'text')
    .addColumn('provider_message_id', 'text')
    .addColumn('sent_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('drafts_pkey', ['workspace_id', 'id'])
    .addForeignKeyConstraint('drafts_prospect_fk', ['workspace_id', 'prospect_id'], 'prospects', ['workspace_id', 'id'])
    .execute();
  await db.schema
    .createIndex('drafts_status_idx')
    .on('drafts')
    .columns(['workspace_id', 'status', 'created_at'])
    .execute();
  await db.schema.createIndex('drafts_sent_idx').on('drafts').columns(['workspace_id', 'sent_at']).execute();
  await db.schema.createIndex('drafts_provider_message_idx').on('drafts').column('provider_message_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('drafts').execute();
}

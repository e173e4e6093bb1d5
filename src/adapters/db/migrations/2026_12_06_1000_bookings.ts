import { type Kysely, sql } from 'kysely';

// Table bookings (issue #13: "a restaurant agent takes and changes bookings through a tool"). A booking
// belongs to a workspace and, when an agent took it, to that agent's session (a conversation).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('bookings')
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('party_size', 'integer', (c) => c.notNull().check(sql`party_size between 1 and 50`))
    .addColumn('starts_at', 'timestamptz', (c) => c.notNull())
    .addColumn('duration_minutes', 'integer', (c) => c.notNull().check(sql`duration_minutes between 15 and 720`))
    .addColumn('contact', 'text')
    .addColumn('notes', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('confirmed', 'cancelled')`))
    .addColumn('created_by_type', 'text', (c) => c.notNull())
    .addColumn('created_by_id', 'text', (c) => c.notNull())
    .addColumn('cancelled_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('bookings_pkey', ['workspace_id', 'id'])
    .addForeignKeyConstraint('bookings_conversation_fk', ['workspace_id', 'conversation_id'], 'conversations', [
      'workspace_id',
      'id',
    ])
    .execute();
  // list_bookings pages by start time; the same index serves a date range.
  await db.schema
    .createIndex('bookings_starts_idx')
    .on('bookings')
    .columns(['workspace_id', 'starts_at', 'id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('bookings').execute();
}

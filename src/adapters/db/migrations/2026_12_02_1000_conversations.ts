import { type Kysely, sql } from 'kysely';

// Conversations and their messages are the one model for every channel (ARCHITECTURE.md,
// "Conversations"): an outreach email and its replies now, agent chats later on the same tables.
// Replies are inbound email messages with a classification; escalations hand a conversation to a person.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('conversations')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('email', 'chat', 'web', 'sms', 'whatsapp')`))
    .addColumn('prospect_id', 'text')
    // For chats: the agent that answers. Set by the agents domain.
    .addColumn('agent_id', 'text')
    // The other side: an email address (lower-cased) for email, an end-user id for chats.
    .addColumn('contact', 'text', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'escalated', 'closed')`))
    .addColumn('message_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_message_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('conversations_pkey', ['workspace_id', 'id'])
    .addForeignKeyConstraint('conversations_prospect_fk', ['workspace_id', 'prospect_id'], 'prospects', [
      'workspace_id',
      'id',
    ])
    .execute();
  // One email conversation per counterpart address: every email to and from it threads there.
  await sql`create unique index conversations_email_contact_idx on conversations (workspace_id, contact) where channel = 'email'`.execute(
    db,
  );
  await db.schema
    .createIndex('conversations_recent_idx')
    .on('conversations')
    .columns(['workspace_id', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('conversations_prospect_idx')
    .on('conversations')
    .columns(['workspace_id', 'prospect_id'])
    .execute();

  await db.schema
    .createTable('messages')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'text', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull().check(sql`direction in ('inbound', 'outbound')`))
    .addColumn('sender', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text')
    .addColumn('subject', 'text')
    .addColumn('body', 'text', (c) => c.notNull())
    // RFC 5322 Message-ID without angle brackets: what replies thread on.
    .addColumn('message_id', 'text')
    .addColumn('in_reply_to', 'text')
    .addColumn('references', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('provider', 'text')
    .addColumn('provider_message_id', 'text')
    .addColumn('draft_id', 'text')
    .addColumn('sent_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('messages_pkey', ['workspace_id', 'id'])
    .addForeignKeyConstraint('messages_conversation_fk', ['workspace_id', 'conversation_id'], 'conversations', [
      'workspace_id',
      'id',
    ])
    .addForeignKeyConstraint('messages_draft_fk', ['workspace_id', 'draft_id'], 'drafts', ['workspace_id', 'id'])
    .execute();
  // The same message received twice (a provider retry, an IMAP re-read) is stored once.
  await sql`create unique index messages_message_id_idx on messages (workspace_id, message_id) where message_id is not null`.execute(
    db,
  );
  await sql`create unique index messages_draft_idx on messages (workspace_id, draft_id) where draft_id is not null`.execute(
    db,
  );
  await db.schema
    .createIndex('messages_conversation_idx')
    .on('messages')
    .columns(['workspace_id', 'conversation_id', 'sent_at', 'id'])
    .execute();

  await db.schema
    .createTable('replies')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    // The reply's id is its message's id: one inbound email message, one reply.
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'text', (c) => c.notNull())
    .addColumn('prospect_id', 'text')
    // The sent draft this answers, when threading found it.
    .addColumn('draft_id', 'text')
    .addColumn('from_email', 'text', (c) => c.notNull())
    .addColumn('via', 'text', (c) => c.notNull().check(sql`via in ('api', 'hook', 'imap')`))
    .addColumn('headers', 'jsonb', (c) => c.notNull())
    .addColumn('attachment_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('confidence', 'real', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('hot', 'boolean', (c) => c.notNull())
    .addColumn('return_date', 'text', (c) => c.check(sql`return_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'`))
    .addColumn('referral_email', 'text')
    .addColumn('bounce_kind', 'text')
    .addColumn('model', 'text', (c) => c.notNull())
    // Set when a person corrected the classification: who and when.
    .addColumn('corrected_by_type', 'text')
    .addColumn('corrected_by_id', 'text')
    .addColumn('corrected_at', 'timestamptz')
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('replies_pkey', ['workspace_id', 'id'])
    .addForeignKeyConstraint('replies_message_fk', ['workspace_id', 'id'], 'messages', ['workspace_id', 'id'])
    .addForeignKeyConstraint('replies_conversation_fk', ['workspace_id', 'conversation_id'], 'conversations', [
      'workspace_id',
      'id',
    ])
    .addForeignKeyConstraint('replies_prospect_fk', ['workspace_id', 'prospect_id'], 'prospects', [
      'workspace_id',
      'id',
    ])
    .addForeignKeyConstraint('replies_draft_fk', ['workspace_id', 'draft_id'], 'drafts', ['workspace_id', 'id'])
    .execute();
  await db.schema
    .createIndex('replies_received_idx')
    .on('replies')
    .columns(['workspace_id', 'received_at', 'id'])
    .execute();
  await db.schema
    .createIndex('replies_prospect_idx')
    .on('replies')
    .columns(['workspace_id', 'prospect_id', 'label'])
    .execute();

  await db.schema
    .createTable('escalations')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'text', (c) => c.notNull())
    .addColumn('prospect_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'resolved')`))
    .addColumn('priority', 'text', (c) => c.notNull().check(sql`priority in ('low', 'normal', 'high', 'urgent')`))
    .addColumn('reasons', sql`text[]`, (c) => c.notNull())
    .addColumn('assignee', 'text')
    .addColumn('resolution', 'text')
    .addColumn('opened_by_type', 'text', (c) => c.notNull())
    .addColumn('opened_by_id', 'text', (c) => c.notNull())
    .addColumn('resolved_by_type', 'text')
    .addColumn('resolved_by_id', 'text')
    .addColumn('resolved_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('escalations_pkey', ['workspace_id', 'id'])
    .addForeignKeyConstraint('escalations_prospect_fk', ['workspace_id', 'prospect_id'], 'prospects', [
      'workspace_id',
      'id',
    ])
    .addForeignKeyConstraint('escalations_conversation_fk', ['workspace_id', 'conversation_id'], 'conversations', [
      'workspace_id',
      'id',
    ])
    .execute();
  // At most one open escalation per conversation: escalating again raises it instead.
  await sql`create unique index escalations_open_idx on escalations (workspace_id, conversation_id) where status = 'open'`.execute(
    db,
  );
  await db.schema
    .createIndex('escalations_inbox_idx')
    .on('escalations')
    .columns(['workspace_id', 'status', 'created_at', 'id'])
    .execute();

  // Calendar days as `YYYY-MM-DD` text: a `date` would come back from pg as a Date at local
  // midnight, and these are days in the workspace's time zone, not instants.
  // What a reply does to a prospect: snoozed until an out-of-office ends, a follow-up after "not now".
  await db.schema
    .alterTable('prospects')
    .addColumn('snoozed_until', 'text', (c) => c.check(sql`snoozed_until ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'`))
    .addColumn('follow_up_on', 'text', (c) => c.check(sql`follow_up_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'`))
    .execute();
  // A draft still awaiting approval when its prospect replied: a person should read the reply first.
  await db.schema.alterTable('drafts').addColumn('attention', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('drafts').dropColumn('attention').execute();
  await db.schema.alterTable('prospects').dropColumn('snoozed_until').dropColumn('follow_up_on').execute();
  for (const table of ['escalations', 'replies', 'messages', 'conversations']) {
    await db.schema.dropTable(table).execute();
  }
}

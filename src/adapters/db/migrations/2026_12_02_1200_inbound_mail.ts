import { type Kysely, sql } from 'kysely';

// Inbound mail's own state: the secret of each workspace's raw-MIME hook (stored as SHA-256, like API
// keys) and the IMAP mailbox each workspace may have polled, with its UIDVALIDITY/UID bookmark.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('inbound_hook_tokens')
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    // The hook URL's secret, hashed: looked up by hash, so no comparison leaks timing.
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    // The first characters of the token, to tell tokens apart in settings without revealing them.
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_used_at', 'timestamptz')
    .addPrimaryKeyConstraint('inbound_hook_tokens_pkey', ['workspace_id', 'id'])
    // One live token per workspace: rotation replaces it.
    .addUniqueConstraint('inbound_hook_tokens_workspace_key', ['workspace_id'])
    .execute();

  await db.schema
    .createTable('inbound_mailboxes')
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('port', 'integer', (c) => c.notNull())
    // true: TLS from the first byte (imaps://); false: plaintext (imap://), meant for loopback and tests.
    .addColumn('tls', 'boolean', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull())
    // The password sealed with the server key (AES-256-GCM, see adapters/secrets).
    .addColumn('password_sealed', 'text', (c) => c.notNull())
    .addColumn('folder', 'text', (c) => c.notNull())
    // Messages already in the folder when it was configured are read too (else only newer ones).
    .addColumn('read_existing', 'boolean', (c) => c.notNull())
    // IMAP UIDs are 32-bit unsigned: bigint holds them.
    .addColumn('uid_validity', 'bigint')
    .addColumn('last_uid', 'bigint', (c) => c.notNull().defaultTo(0))
    // The poll job chain this mailbox follows: a job carrying another generation is a stale duplicate.
    .addColumn('poll_generation', 'text', (c) => c.notNull())
    // A poll in progress holds the mailbox until then, so two polls of one mailbox never overlap.
    .addColumn('poll_lease_until', 'timestamptz')
    .addColumn('last_poll_at', 'timestamptz')
    .addColumn('last_success_at', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('last_error_at', 'timestamptz')
    .addColumn('received_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('inbound_mailboxes_pkey', ['workspace_id', 'id'])
    .addUniqueConstraint('inbound_mailboxes_workspace_key', ['workspace_id'])
    .addCheckConstraint('inbound_mailboxes_port_check', sql`port between 1 and 65535`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('inbound_mailboxes').execute();
  await db.schema.dropTable('inbound_hook_tokens').execute();
}

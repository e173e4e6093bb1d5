import { type Kysely, sql } from 'kysely';

// Conversational agents (issue #13): the agents a workspace configures, every run of one (a message
// in a session, or a one-shot execution), and each organization's monthly count of agent messages.
// Sessions are conversations (channel chat, web, sms or whatsapp) whose agent_id is set.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('agents')
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('instructions', 'text', (c) => c.notNull())
    .addColumn('model', 'text')
    .addColumn('temperature', 'real')
    .addColumn('max_tokens', 'integer')
    .addColumn('goal_template', 'text')
    .addColumn('tools', sql`text[]`, (c) => c.notNull())
    .addColumn('knowledge_base_ids', sql`text[]`, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'paused')`))
    .addColumn('vertical', 'text', (c) =>
      c.check(sql`vertical in ('sales', 'support', 'clinic', 'restaurant', 'transport')`),
    )
    // Deleting an agent keeps the row (its conversations and executions still point at it), hidden.
    .addColumn('deleted_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('agents_pkey', ['workspace_id', 'id'])
    .execute();
  await db.schema.createIndex('agents_recent_idx').on('agents').columns(['workspace_id', 'created_at', 'id']).execute();
  await db.schema
    .alterTable('conversations')
    .addForeignKeyConstraint('conversations_agent_fk', ['workspace_id', 'agent_id'], 'agents', ['workspace_id', 'id'])
    .execute();
  await sql`create index conversations_agent_idx on conversations (workspace_id, agent_id, created_at, id) where agent_id is not null`.execute(
    db,
  );

  await db.schema
    .createTable('agent_executions')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'text')
    // The inbound message this run answers (a session message), or null for a one-shot execution.
    .addColumn('message_id', 'text')
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('message', 'execute')`))
    .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('offline', 'anthropic')`))
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('running', 'completed', 'escalated', 'failed', 'cancelled')`),
    )
    .addColumn('input', 'jsonb', (c) => c.notNull())
    .addColumn('answer', 'text')
    .addColumn('citations', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('steps', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('escalation_id', 'text')
    .addColumn('escalation_reason', 'text')
    .addColumn('input_tokens', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('output_tokens', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('latency_ms', 'integer')
    .addColumn('error', 'text')
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz')
    .addPrimaryKeyConstraint('agent_executions_pkey', ['workspace_id', 'id'])
    .addForeignKeyConstraint('agent_executions_agent_fk', ['workspace_id', 'agent_id'], 'agents', [
      'workspace_id',
      'id',
    ])
    .addForeignKeyConstraint('agent_executions_conversation_fk', ['workspace_id', 'conversation_id'], 'conversations', [
      'workspace_id',
      'id',
    ])
    .execute();
  await db.schema
    .createIndex('agent_executions_agent_idx')
    .on('agent_executions')
    .columns(['workspace_id', 'agent_id', 'created_at', 'id'])
    .execute();

  // Agent messages per organization and calendar month (UTC), counted as they are accepted: the quota.
  await db.schema
    .createTable('agent_message_usage')
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('month', 'text', (c) => c.notNull().check(sql`month ~ '^[0-9]{4}-[0-9]{2}$'`))
    .addColumn('messages', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('agent_message_usage_pkey', ['organization_id', 'month'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('agent_message_usage').execute();
  await db.schema.dropTable('agent_executions').execute();
  await sql`drop index if exists conversations_agent_idx`.execute(db);
  await db.schema.alterTable('conversations').dropConstraint('conversations_agent_fk').execute();
  await db.schema.dropTable('agents').execute();
}

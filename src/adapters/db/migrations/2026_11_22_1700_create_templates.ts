import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('templates')
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) =>
      c.notNull().check(sql`category in ('custom', 'chat', 'widget', 'agent', 'email')`),
    )
    .addColumn('subject', 'text')
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('templates_pkey', ['workspace_id', 'id'])
    // Also the index list_templates pages through (ordered by key).
    .addUniqueConstraint('templates_key_key', ['workspace_id', 'key'])
    .execute();
  await db.schema
    .createIndex('templates_category_idx')
    .on('templates')
    .columns(['workspace_id', 'category', 'key'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('templates').execute();
}

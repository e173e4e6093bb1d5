import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('knowledge_bases')
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('chunk_size', 'integer', (c) => c.notNull())
    .addColumn('chunk_overlap', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('knowledge_bases_pkey', ['workspace_id', 'id'])
    .execute();

  await db.schema
    .createTable('kb_documents')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('knowledge_base_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'integer', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    // The original file, kept so an interrupted ingestion can run again from it.
    .addColumn('content', 'bytea', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('processing', 'ready', 'failed')`))
    .addColumn('progress', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addColumn('chunk_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('kb_documents_pkey', ['workspace_id', 'id'])
    .addUniqueConstraint('kb_documents_name_key', ['workspace_id', 'knowledge_base_id', 'name'])
    .addForeignKeyConstraint(
      'kb_documents_kb_fk',
      ['workspace_id', 'knowledge_base_id'],
      'knowledge_bases',
      ['workspace_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();

  await db.schema
    .createTable('kb_chunks')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('knowledge_base_id', 'text', (c) => c.notNull())
    .addColumn('document_id', 'text', (c) => c.notNull())
    .addColumn('ordinal', 'integer', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('location', 'jsonb', (c) => c.notNull())
    .addColumn('tsv', sql`tsvector`, (c) => c.notNull())
    .addPrimaryKeyConstraint('kb_chunks_pkey', ['workspace_id', 'id'])
    .addForeignKeyConstraint(
      'kb_chunks_document_fk',
      ['workspace_id', 'document_id'],
      'kb_documents',
      ['workspace_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
  await db.schema.createIndex('kb_chunks_tsv_idx').on('kb_chunks').using('gin').column('tsv').execute();
  await db.schema
    .createIndex('kb_chunks_document_idx')
    .on('kb_chunks')
    .columns(['workspace_id', 'document_id', 'ordinal'])
    .execute();

  // Embeddings need pgvector: PGlite loads it; a PostgreSQL server without it searches full-text only.
  const { rows } = await sql<{ ok: number }>`select 1 as ok from pg_available_extensions where name = 'vector'`.execute(
    db,
  );
  if (rows.length) {
    await sql`create extension if not exists vector`.execute(db);
    await db.schema
      .createTable('kb_chunk_embeddings')
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('chunk_id', 'text', (c) => c.notNull())
      .addColumn('knowledge_base_id', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('embedding', sql`vector`, (c) => c.notNull())
      .addPrimaryKeyConstraint('kb_chunk_embeddings_pkey', ['workspace_id', 'chunk_id'])
      .addForeignKeyConstraint(
        'kb_chunk_embeddings_chunk_fk',
        ['workspace_id', 'chunk_id'],
        'kb_chunks',
        ['workspace_id', 'id'],
        (fk) => fk.onDelete('cascade'),
      )
      .execute();
    await db.schema
      .createIndex('kb_chunk_embeddings_kb_idx')
      .on('kb_chunk_embeddings')
      .columns(['workspace_id', 'knowledge_base_id'])
      .execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('kb_chunk_embeddings').ifExists().execute();
  for (const table of ['kb_chunks', 'kb_documents', 'knowledge_bases']) await db.schema.dropTable(table).execute();
}

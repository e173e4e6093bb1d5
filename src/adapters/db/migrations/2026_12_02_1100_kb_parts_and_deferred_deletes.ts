import { type Kysely, sql } from 'kysely';

// Two changes so that no single statement holds PGlite's only connection (the server's thread) for
// long with a large document:
// - An uploaded file is stored in parts of about a megabyte (kb_document_parts), each written by its
//   own statement, instead of in one `bytea` value written by one INSERT. `content_upload` names the
//   document's current set of parts; `content` stays for files stored before this migration.
// - Deleting a document or a knowledge base marks it deleted (it disappears from every read at once)
//   and a job deletes its chunks and parts in short batches, then the row. The name of a deleted
//   document is free again at once, so the name is unique among live documents only.
// - The search index's pending list (where GIN collects new entries) is flushed into the index by
//   whichever insert finds it over gin_pending_list_limit, or by VACUUM: at the default 4 MB, that
//   insert or that VACUUM stalled PGlite for 100-200 ms. At 256 kB each flush is a sixteenth of it,
//   and ingestion no longer needs a VACUUM to flush it (see maintenance.queries.ts).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter index kb_chunks_search_idx set (gin_pending_list_limit = 256)`.execute(db);
  await db.schema.alterTable('knowledge_bases').addColumn('deleted_at', 'timestamptz').execute();
  await db.schema
    .alterTable('kb_documents')
    .addColumn('deleted_at', 'timestamptz')
    .addColumn('content_upload', 'text')
    .execute();
  await sql`alter table kb_documents alter column content drop not null`.execute(db);
  await db.schema.alterTable('kb_documents').dropConstraint('kb_documents_name_key').execute();
  await db.schema
    .createIndex('kb_documents_live_name_key')
    .on('kb_documents')
    .columns(['workspace_id', 'knowledge_base_id', 'name'])
    .unique()
    .where(sql.ref('deleted_at'), 'is', null)
    .execute();
  // No foreign key to kb_documents: the parts of a new document are written before its row exists.
  // Parts no document points to are deleted by the kb.purge job (see documents.service.ts).
  await db.schema
    .createTable('kb_document_parts')
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('document_id', 'text', (c) => c.notNull())
    .addColumn('upload', 'text', (c) => c.notNull())
    .addColumn('part', 'integer', (c) => c.notNull())
    .addColumn('bytes', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('kb_document_parts_pkey', ['workspace_id', 'document_id', 'upload', 'part'])
    .execute();
  // Mostly compressed formats already; uncompressed, a part is written and read for its own cost.
  await sql`alter table kb_document_parts alter column bytes set storage external`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter index kb_chunks_search_idx reset (gin_pending_list_limit)`.execute(db);
  await db.schema.dropTable('kb_document_parts').execute();
  await db.schema.dropIndex('kb_documents_live_name_key').execute();
  await db.schema
    .alterTable('kb_documents')
    .addUniqueConstraint('kb_documents_name_key', ['workspace_id', 'knowledge_base_id', 'name'])
    .execute();
  await db.schema.alterTable('kb_documents').dropColumn('content_upload').dropColumn('deleted_at').execute();
  await db.schema.alterTable('knowledge_bases').dropColumn('deleted_at').execute();
}

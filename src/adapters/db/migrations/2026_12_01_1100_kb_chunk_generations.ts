import { type Kysely, sql } from 'kysely';

// A document's chunks are written in short batches under a new generation, invisible to search
// until the document's own generation is switched to it in one small transaction: ingesting a
// large document no longer holds the database (PGlite's single connection) for seconds, and a
// replacement stays atomic. Existing rows share the empty generation, so they stay visible.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('kb_documents')
    .addColumn('generation', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema
    .alterTable('kb_chunks')
    .addColumn('generation', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  // Stored files uncompressed (most uploads are compressed formats already), so ingestion can read
  // one in slices that cost only their own bytes, never holding PGlite's connection for long.
  await sql`alter table kb_documents alter column content set storage external`.execute(db);
  // Ingestion refreshes statistics of these columns only (see ingest.job.ts); a sample of 3,000
  // rows (target 10) keeps that ANALYZE short on PGlite's single connection.
  await sql`alter table kb_chunks alter column workspace_id set statistics 10, alter column knowledge_base_id set statistics 10, alter column document_id set statistics 10, alter column generation set statistics 10`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table kb_documents alter column content set storage extended`.execute(db);
  await db.schema.alterTable('kb_chunks').dropColumn('generation').execute();
  await db.schema.alterTable('kb_documents').dropColumn('generation').execute();
}

import type { Kysely } from 'kysely';

// A document's chunks are written in short batches under a new generation, invisible to search
// until the document's own generation is switched to it in one small transaction: ingesting a
// large document no longer holds the database (PGlite's single connection) for seconds, and a
// replacement stays atomic. Existing rows share the empty generation, so they stay visible.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('kb_documents').addColumn('generation', 'text', (c) => c.notNull().defaultTo('')).execute();
  await db.schema.alterTable('kb_chunks').addColumn('generation', 'text', (c) => c.notNull().defaultTo('')).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('kb_chunks').dropColumn('generation').execute();
  await db.schema.alterTable('kb_documents').dropColumn('generation').execute();
}

import { type Kysely, sql } from 'kysely';

// kb_chunks_tsv_idx is shared by every workspace and knowledge base: a search reads from the heap
// every chunk matching its words, then drops other knowledge bases' (and other tenants') rows.
// With btree_gin (a trusted extension: no superuser needed) the index also holds knowledge_base_id,
// unique across workspaces, so those rows are skipped inside the index. Without btree_gin, a btree
// on the knowledge base still lets small knowledge bases skip the big ones' matches.
export async function up(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{
    ok: number;
  }>`select 1 as ok from pg_available_extensions where name = 'btree_gin'`.execute(db);
  if (!rows.length) {
    await db.schema
      .createIndex('kb_chunks_kb_idx')
      .on('kb_chunks')
      .columns(['workspace_id', 'knowledge_base_id'])
      .execute();
    return;
  }
  await sql`create extension if not exists btree_gin`.execute(db);
  await sql`create index kb_chunks_search_idx on kb_chunks using gin (knowledge_base_id, tsv)`.execute(db);
  await db.schema.dropIndex('kb_chunks_tsv_idx').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('kb_chunks_kb_idx').ifExists().execute();
  await db.schema.dropIndex('kb_chunks_search_idx').ifExists().execute();
  await db.schema.createIndex('kb_chunks_tsv_idx').ifNotExists().on('kb_chunks').using('gin').column('tsv').execute();
}

import { type Kysely, sql } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';
import { yieldToOthers } from './chunks.queries.js';

// Chunks written and deleted since statistics were last refreshed, and since the last vacuum.
let writtenSinceAnalyze = 0;
let deletedSinceVacuum = 0;

/**
 * PGlite has no autovacuum (and a PostgreSQL server may have it off or lagging), so the jobs that
 * write and delete chunks do its work, as autovacuum would: once the chunks changed reach a fifth
 * of the table. Without statistics kb_search plans a scan of the whole workspace, ten times
 * slower; statistics of the text columns are left out (over 30,000 sampled tsvectors they take a
 * second of PGlite's only connection) since the plan needs only the table's size and its key
 * columns. VACUUM is one statement that reads the whole table and its indexes (the longest pause
 * an ingestion caused), and rows only inserted leave it nothing to reclaim; the search index's
 * pending list, which it would also flush, is kept small by its gin_pending_list_limit (see the
 * 2026_12_02_1100 migration). So it runs only once deleted rows (a replaced version, a deleted
 * document) reach that fifth.
 */
export async function maintainSearchIndex(
  db: Kysely<Database>,
  changed: { written: number; deleted: number },
): Promise<void> {
  writtenSinceAnalyze += changed.written + changed.deleted;
  deletedSinceVacuum += changed.deleted;
  const { rows } = await sql<{
    n: number;
  }>`select reltuples::float8 as n from pg_class where oid = 'kb_chunks'::regclass`.execute(db);
  const tuples = rows[0]?.n ?? -1;
  const threshold = Math.max(1000, 0.2 * tuples);
  if (tuples >= 0 && deletedSinceVacuum >= threshold) {
    deletedSinceVacuum = 0;
    await sql`vacuum kb_chunks`.execute(db);
    await yieldToOthers();
  }
  if (tuples >= 0 && writtenSinceAnalyze < threshold) return;
  writtenSinceAnalyze = 0;
  await sql`analyze kb_chunks (workspace_id, knowledge_base_id, document_id, generation)`.execute(db);
}

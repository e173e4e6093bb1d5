import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../adapters/db/schema.js';
import { transact } from '../../kernel/transact.js';
import { type Chunk, chunkBlocks } from './ingest/chunk.js';
import type { ContentType } from './ingest/content-types.js';
import { extractBlocks } from './ingest/extract.js';
import type { JobContext, JobDefinition, JobPayloads } from '../../kernel/ports.js';
import { type Services, systemActor } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { type EventSource, appendEvent } from '../../kernel/outbox.js';
import { newId } from '../../kernel/ids.js';

declare module '../../kernel/ports.js' {
  interface JobPayloads {
    'kb.ingest': { workspace_id: string; document_id: string };
  }
}

const INSERT_BATCH = 500;

/**
 * The `kb.ingest` job: extract, chunk, embed, then swap the document's chunks in one transaction,
 * so a search sees the old version or the new one, never half. Safe to run twice: a run whose
 * document has since changed (another hash) or finished leaves it alone.
 */
const INGEST_JOB = systemActor('job:kb.ingest');

export async function ingestDocument(services: Services, log: Logger, data: JobPayloads['kb.ingest'], job: JobContext): Promise<void> {
  const { db } = services;
  const doc = await db
    .selectFrom('kb_documents as d')
    .innerJoin('knowledge_bases as kb', (j) => j.onRef('kb.workspace_id', '=', 'd.workspace_id').onRef('kb.id', '=', 'd.knowledge_base_id'))
    .innerJoin('workspaces as w', 'w.id', 'd.workspace_id')
    .select(['d.id', 'd.knowledge_base_id', 'd.name', 'd.content', 'd.content_type', 'd.content_hash', 'd.status', 'kb.language', 'kb.chunk_size', 'kb.chunk_overlap', 'w.is_test'])
    .where('d.workspace_id', '=', data.workspace_id)
    .where('d.id', '=', data.document_id)
    .executeTakeFirst();
  if (doc?.status !== 'processing') return;
  const source = { workspace: { id: data.workspace_id, is_test: doc.is_test }, actor: INGEST_JOB, clock: services.clock };
  const setProgress = (progress: number) =>
    db.updateTable('kb_documents').set({ progress }).where('workspace_id', '=', data.workspace_id).where('id', '=', doc.id).where('content_hash', '=', doc.content_hash).execute();

  let chunks: Chunk[];
  let vectors: number[][] | null = null;
  try {
    await setProgress(10);
    chunks = chunkBlocks(await extractBlocks(new Uint8Array(doc.content), doc.content_type as ContentType), { chunkSize: doc.chunk_size, overlap: doc.chunk_overlap });
    if (!chunks.length) throw new AppError('invalid_request', `"${doc.name}" contains no text to index`);
    await setProgress(40);
    if (services.embeddings) {
      vectors = await services.embeddings.embed(chunks.map((c) => c.content), 'document');
      await setProgress(70);
    }
  } catch (err) {
    // Bad input never improves on retry; a provider outage might, until the last try.
    const permanent = err instanceof AppError && err.code !== 'upstream_error' && err.code !== 'internal';
    if (!permanent && !job.lastAttempt) throw err;
    if (!permanent) log.error({ err, documentId: doc.id }, 'ingestion failed on its last try');
    const reason = err instanceof AppError ? err.message : 'Ingestion failed because of an internal error; it has been logged';
    await markFailed(db, source, doc, reason, services.clock.now());
    return;
  }

  await transact(db, async (trx) => {
    const current = await trx
      .selectFrom('kb_documents')
      .select(['content_hash', 'status'])
      .where('workspace_id', '=', data.workspace_id)
      .where('id', '=', doc.id)
      .forUpdate()
      .executeTakeFirst();
    if (!current || current.content_hash !== doc.content_hash || current.status !== 'processing') return;
    const now = services.clock.now();
    await trx.deleteFrom('kb_chunks').where('workspace_id', '=', data.workspace_id).where('document_id', '=', doc.id).execute();
    await insertChunks(trx, { workspaceId: data.workspace_id, knowledgeBaseId: doc.knowledge_base_id, documentId: doc.id, language: doc.language, model: services.embeddings?.model }, chunks, vectors, now);
    await trx
      .updateTable('kb_documents')
      .set({ status: 'ready', progress: 100, error: null, chunk_count: chunks.length, updated_at: now })
      .where('workspace_id', '=', data.workspace_id)
      .where('id', '=', doc.id)
      .execute();
    await appendEvent(trx, source, 'document.ready', { knowledge_base_id: doc.knowledge_base_id, document_id: doc.id, name: doc.name, chunk_count: chunks.length }, { at: now });
  });
  await maintainSearchIndex(db, chunks.length);
}

let chunksSinceMaintenance = 0;

/**
 * PGlite has no autovacuum (and a PostgreSQL server may have it off or lagging): without
 * statistics kb_search plans a scan of the whole workspace, ten times slower, and the GIN index's
 * pending list grows. Refresh both once the chunks written since the last run reach a fifth of
 * the table, as autovacuum would.
 */
async function maintainSearchIndex(db: Kysely<Database>, written: number): Promise<void> {
  chunksSinceMaintenance += written;
  const { rows } = await sql<{ n: number }>`select reltuples::float8 as n from pg_class where oid = 'kb_chunks'::regclass`.execute(db);
  const tuples = rows[0]?.n ?? -1;
  if (tuples >= 0 && chunksSinceMaintenance < Math.max(1000, 0.2 * tuples)) return;
  chunksSinceMaintenance = 0;
  await sql`vacuum (analyze) kb_chunks`.execute(db);
}

async function insertChunks(
  trx: Kysely<Database>,
  target: { workspaceId: string; knowledgeBaseId: string; documentId: string; language: string; model: string | undefined },
  chunks: Chunk[],
  vectors: number[][] | null,
  now: Date,
): Promise<void> {
  for (let start = 0; start < chunks.length; start += INSERT_BATCH) {
    const batch = chunks.slice(start, start + INSERT_BATCH).map((chunk, i) => ({ chunk, ordinal: start + i, id: newId('chk', now) }));
    await trx
      .insertInto('kb_chunks')
      .values(
        batch.map(({ chunk, ordinal, id }) => ({
          workspace_id: target.workspaceId,
          id,
          knowledge_base_id: target.knowledgeBaseId,
          document_id: target.documentId,
          ordinal,
          content: chunk.content,
          location: JSON.stringify(chunk.location),
          // Headings weigh more than body text, so a query naming a section finds it first.
          tsv: sql<string>`setweight(to_tsvector(${target.language}::regconfig, ${chunk.headingPath.join(' ')}), 'A') || to_tsvector(${target.language}::regconfig, ${chunk.content})`,
        })),
      )
      .execute();
    if (vectors && target.model) {
      await trx
        .insertInto('kb_chunk_embeddings')
        .values(
          batch.map(({ ordinal, id }) => ({
            workspace_id: target.workspaceId,
            chunk_id: id,
            knowledge_base_id: target.knowledgeBaseId,
            model: target.model!,
            embedding: sql<string>`${JSON.stringify(vectors[ordinal])}::vector`,
          })),
        )
        .execute();
    }
  }
}

async function markFailed(db: Kysely<Database>, source: EventSource, doc: { id: string; knowledge_base_id: string; name: string; content_hash: string }, reason: string, now: Date): Promise<void> {
  await transact(db, async (trx) => {
    const updated = await trx
      .updateTable('kb_documents')
      .set({ status: 'failed', error: reason, updated_at: now })
      .where('workspace_id', '=', source.workspace.id)
      .where('id', '=', doc.id)
      .where('content_hash', '=', doc.content_hash)
      .where('status', '=', 'processing')
      .returning('id')
      .executeTakeFirst();
    if (updated) await appendEvent(trx, source, 'document.failed', { knowledge_base_id: doc.knowledge_base_id, document_id: doc.id, name: doc.name, reason }, { at: now });
  });
}

export const ingestJob: JobDefinition<'kb.ingest'> = { name: 'kb.ingest', run: ingestDocument };

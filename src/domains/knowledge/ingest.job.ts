import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../adapters/db/schema.js';
import { transact } from '../../kernel/transact.js';
import type { Chunk } from './ingest/chunk.js';
import type { ContentType } from './ingest/content-types.js';
import { ExtractionStopped, extractChunks } from './ingest/extract-isolated.js';
import { INGEST_LIMITS, type IngestLimits } from './ingest/limits.js';
import { deleteGenerations, stageChunks } from './chunks.queries.js';
import { maintainSearchIndex } from './maintenance.queries.js';
import { readContent } from './parts.queries.js';
import type { JobContext, JobDefinition, JobPayloads } from '../../kernel/ports.js';
import { type Services, systemActor } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { type EventSource, appendEvent } from '../../kernel/outbox.js';
import { newId } from '../../kernel/ids.js';
import { detectLanguage } from './language.js';

declare module '../../kernel/ports.js' {
  interface JobPayloads {
    'kb.ingest': { workspace_id: string; document_id: string };
  }
}

const INGEST_JOB = systemActor('job:kb.ingest');

/**
 * The `kb.ingest` job: extract and chunk in a separate bounded process, embed, write the chunks
 * as a new generation in short batches, then switch the document to it in one small transaction,
 * so a search sees the old version or the new one, never half, and the database is never held
 * for long. Safe to run twice: a run whose document has since changed (another hash) or finished
 * leaves it alone. A document that breaks a bound fails at once; one whose extraction died is
 * tried once more, then fails, so it can never crash-loop.
 */
export async function ingestDocument(
  services: Services,
  log: Logger,
  data: JobPayloads['kb.ingest'],
  job: JobContext,
  limits: IngestLimits = INGEST_LIMITS,
): Promise<void> {
  const { db } = services;
  const doc = await db
    .selectFrom('kb_documents as d')
    .innerJoin('knowledge_bases as kb', (j) =>
      j.onRef('kb.workspace_id', '=', 'd.workspace_id').onRef('kb.id', '=', 'd.knowledge_base_id'),
    )
    .innerJoin('workspaces as w', 'w.id', 'd.workspace_id')
    .select([
      'd.id',
      'd.knowledge_base_id',
      'd.name',
      'd.content_type',
      'd.content_hash',
      'd.status',
      'kb.language',
      'kb.chunk_size',
      'kb.chunk_overlap',
      'w.is_test',
    ])
    .where('d.workspace_id', '=', data.workspace_id)
    .where('d.id', '=', data.document_id)
    .where('d.deleted_at', 'is', null)
    .executeTakeFirst();
  if (doc?.status !== 'processing') return;
  const source = {
    workspace: { id: data.workspace_id, is_test: doc.is_test },
    actor: INGEST_JOB,
    clock: services.clock,
  };
  const setProgress = (progress: number) =>
    db
      .updateTable('kb_documents')
      .set({ progress })
      .where('workspace_id', '=', data.workspace_id)
      .where('id', '=', doc.id)
      .where('content_hash', '=', doc.content_hash)
      .where('deleted_at', 'is', null)
      .execute();

  let chunks: Chunk[];
  let vectors: number[][] | null = null;
  try {
    await setProgress(10);
    const content = await readContent(db, data.workspace_id, doc.id);
    chunks = await extractChunks(
      content,
      doc.content_type as ContentType,
      { chunkSize: doc.chunk_size, overlap: doc.chunk_overlap },
      limits,
    );
    if (!chunks.length) throw new AppError('invalid_request', `"${doc.name}" contains no text to index`);
    await setProgress(40);
    if (services.embeddings) {
      vectors = await services.embeddings.embed(
        chunks.map((c) => c.content),
        'document',
      );
      await setProgress(70);
    }
  } catch (err) {
    if (err instanceof ExtractionStopped) {
      // The extractor died: once may be the machine's load; twice is the document.
      if (err.retryOnce && job.attempt < 2 && !job.lastAttempt) throw err;
      log.warn(
        { err, documentId: doc.id, attempt: job.attempt },
        'document extraction stopped; the document is marked failed',
      );
      await markFailed(db, source, doc, err.message, services.clock.now());
      return;
    }
    // Bad input never improves on retry; a provider outage might, until the last try.
    const permanent = err instanceof AppError && err.code !== 'upstream_error' && err.code !== 'internal';
    if (!permanent && !job.lastAttempt) throw err;
    if (!permanent) log.error({ err, documentId: doc.id }, 'ingestion failed on its last try');
    const reason =
      err instanceof AppError ? err.message : 'Ingestion failed because of an internal error; it has been logged';
    await markFailed(db, source, doc, reason, services.clock.now());
    return;
  }

  const now = services.clock.now();
  const generation = newId('gen', now);
  const from = vectors ? 70 : 40;
  let shown = from;
  const target = {
    workspaceId: data.workspace_id,
    knowledgeBaseId: doc.knowledge_base_id,
    documentId: doc.id,
    // The document's own language when its text tells it clearly: one knowledge base may hold several.
    language: detectLanguage(
      chunks
        .slice(0, 50)
        .map((c) => c.content)
        .join('\n'),
      doc.language,
    ),
    model: services.embeddings?.model,
    generation,
  };
  let switched = false;
  let deleted = 0;
  try {
    await stageChunks(db, target, chunks, vectors, now, async (done) => {
      const progress = Math.floor(from + (99 - from) * done);
      if (progress - shown < 5) return;
      shown = progress;
      await setProgress(progress);
    });
    switched = await switchGeneration(
      db,
      source,
      doc,
      { generation, language: target.language },
      chunks.length,
      services.clock.now(),
    );
  } finally {
    // Whatever search no longer (or never) sees goes, in short batches too.
    deleted = await deleteGenerations(
      db,
      data.workspace_id,
      doc.id,
      switched ? { olderThan: generation } : { only: generation },
    );
  }
  if (switched) await maintainSearchIndex(db, { written: chunks.length, deleted });
}

/** Makes `generation` (indexed in `language`) the document's visible chunks, unless the document changed meanwhile. */
function switchGeneration(
  db: Kysely<Database>,
  source: EventSource,
  doc: { id: string; knowledge_base_id: string; name: string; content_hash: string },
  indexed: { generation: string; language: string },
  chunkCount: number,
  now: Date,
): Promise<boolean> {
  const { generation, language } = indexed;
  return transact(db, async (trx) => {
    const updated = await trx
      .updateTable('kb_documents')
      .set({
        status: 'ready',
        progress: 100,
        error: null,
        chunk_count: chunkCount,
        generation,
        language,
        updated_at: now,
      })
      .where('workspace_id', '=', source.workspace.id)
      .where('id', '=', doc.id)
      .where('content_hash', '=', doc.content_hash)
      .where('status', '=', 'processing')
      .where('deleted_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!updated) return false;
    await appendEvent(
      trx,
      source,
      'document.ready',
      { knowledge_base_id: doc.knowledge_base_id, document_id: doc.id, name: doc.name, chunk_count: chunkCount },
      { at: now },
    );
    return true;
  });
}

async function markFailed(
  db: Kysely<Database>,
  source: EventSource,
  doc: { id: string; knowledge_base_id: string; name: string; content_hash: string },
  reason: string,
  now: Date,
): Promise<void> {
  await transact(db, async (trx) => {
    const updated = await trx
      .updateTable('kb_documents')
      .set({ status: 'failed', error: reason, updated_at: now })
      .where('workspace_id', '=', source.workspace.id)
      .where('id', '=', doc.id)
      .where('content_hash', '=', doc.content_hash)
      .where('status', '=', 'processing')
      .where('deleted_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (updated)
      await appendEvent(
        trx,
        source,
        'document.failed',
        { knowledge_base_id: doc.knowledge_base_id, document_id: doc.id, name: doc.name, reason },
        { at: now },
      );
  });
}

export const ingestJob: JobDefinition<'kb.ingest'> = { name: 'kb.ingest', run: ingestDocument };

import { type Kysely, sql } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';
import { newId } from '../../kernel/ids.js';
import type { Chunk } from './ingest/chunk.js';

/**
 * A statement's worth of chunks. PGlite runs each statement on the server's own thread and has one
 * connection, so a statement is a pause for every other request: batches are sized to take about
 * BATCH_MS of to_tsvector work on this machine, as it is now (sized from the last batch's time),
 * and other queries take the connection between them.
 */
const BATCH_MS = 25;
const BATCH_CHARS = { first: 8_000, min: 1_000, max: 256_000 };
const BATCH_ROWS = 500;
const DELETE_BATCH = 1000;

/** Lets queued requests (and I/O) run between two statements: PGlite answers without passing through the event loop. */
export const yieldToOthers = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface ChunkTarget {
  workspaceId: string;
  knowledgeBaseId: string;
  documentId: string;
  language: string;
  model: string | undefined;
  /** The generation these chunks belong to: invisible to search until the document switches to it. */
  generation: string;
}

/**
 * Writes the chunks of one new generation in short batches, each its own statement (no
 * transaction spans them). `onProgress` gets the fraction written after each batch.
 */
export async function stageChunks(
  db: Kysely<Database>,
  target: ChunkTarget,
  chunks: Chunk[],
  vectors: number[][] | null,
  now: Date,
  onProgress: (done: number) => Promise<void>,
): Promise<void> {
  let budget = BATCH_CHARS.first;
  for (let start = 0; start < chunks.length; ) {
    const began = performance.now();
    let end = start;
    let chars = 0;
    for (
      ;
      end < chunks.length &&
      end - start < BATCH_ROWS &&
      (end === start || chars + chunks[end]!.content.length <= budget);
      end++
    )
      chars += chunks[end]!.content.length;
    const batch = chunks.slice(start, end).map((chunk, i) => ({ chunk, ordinal: start + i, id: newId('chk', now) }));
    await db
      .insertInto('kb_chunks')
      .values(
        batch.map(({ chunk, ordinal, id }) => ({
          workspace_id: target.workspaceId,
          id,
          knowledge_base_id: target.knowledgeBaseId,
          document_id: target.documentId,
          generation: target.generation,
          ordinal,
          content: chunk.content,
          location: JSON.stringify(chunk.location),
          // Headings weigh more than body text, so a query naming a section finds it first. Accents are
          // folded (kb_fold) here and in every query, so they need not be typed (see search-terms.ts).
          tsv: sql<string>`setweight(to_tsvector(${target.language}::regconfig, kb_fold(${chunk.headingPath.join(' ')})), 'A') || to_tsvector(${target.language}::regconfig, kb_fold(${chunk.content}))`,
        })),
      )
      .execute();
    if (vectors && target.model) {
      await db
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
    const took = Math.max(1, performance.now() - began);
    // What would have taken BATCH_MS; grown at most twofold a batch (one quick batch may be luck), shrunk at once.
    const fitted = (chars * BATCH_MS) / took;
    budget = Math.round(Math.min(BATCH_CHARS.max, Math.max(BATCH_CHARS.min, Math.min(fitted, budget * 2))));
    start = end;
    await onProgress(start / chunks.length);
    await yieldToOthers();
  }
}

/**
 * Deletes a document's chunks of generations no search sees (`olderThan`: those replaced by it;
 * `only`: one abandoned generation; `all`: a deleted document's), in short batches like
 * stageChunks (their embeddings go with them). Generation ids sort by creation, so a newer
 * ingestion still writing its own is never touched. `afterBatch` runs after each batch. Returns
 * how many were deleted.
 */
export async function deleteGenerations(
  db: Kysely<Database>,
  workspaceId: string,
  documentId: string,
  which: { olderThan: string } | { only: string } | 'all',
  opts: { batch?: number; afterBatch?: () => Promise<void> | void } = {},
): Promise<number> {
  const batch = opts.batch ?? DELETE_BATCH;
  for (let deleted = 0; ; ) {
    let doomed = db
      .selectFrom('kb_chunks')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('document_id', '=', documentId);
    if (which !== 'all')
      doomed = doomed.where(
        'generation',
        'olderThan' in which ? '<' : '=',
        'olderThan' in which ? which.olderThan : which.only,
      );
    const { numDeletedRows } = await db
      .deleteFrom('kb_chunks')
      .where('workspace_id', '=', workspaceId)
      .where('id', 'in', doomed.limit(batch))
      .executeTakeFirst();
    deleted += Number(numDeletedRows);
    if (numDeletedRows > 0n) await opts.afterBatch?.();
    if (numDeletedRows < BigInt(batch)) return deleted;
    await yieldToOthers();
  }
}

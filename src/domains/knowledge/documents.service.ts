import { transact } from '../../kernel/transact.js';
import { CONTENT_TYPES, type ContentType, resolveContentType } from './ingest/content-types.js';
import type { RequestContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { appendEvent } from '../../kernel/outbox.js';
import { newId } from '../../kernel/ids.js';
import { getKnowledgeBase } from './bases.service.js';
import { type Page, type PageRequest, keysetPage, newestFirst } from '../../kernel/pagination.js';
import { markDocumentsDeleted } from './documents.queries.js';
import { hashContent, writeParts } from './parts.queries.js';

export const MAX_DOCUMENT_BYTES = 50 * 1024 * 1024;
/** When the parts of an upload that never reached its document are removed: well after any request could still be writing them. */
const ABANDONED_UPLOAD_MS = 60 * 60 * 1000;

export interface KbDocument {
  id: string;
  knowledge_base_id: string;
  name: string;
  content_type: string;
  size_bytes: number;
  content_hash: string;
  status: 'processing' | 'ready' | 'failed';
  /** 0-100 while processing. */
  progress: number;
  error: string | null;
  chunk_count: number;
  created_at: string;
  updated_at: string;
}

const COLUMNS = [
  'id',
  'knowledge_base_id',
  'name',
  'content_type',
  'size_bytes',
  'content_hash',
  'status',
  'progress',
  'error',
  'chunk_count',
  'created_at',
  'updated_at',
] as const;
type DocRow = Omit<KbDocument, 'created_at' | 'updated_at'> & { created_at: Date; updated_at: Date };
/** The public shape: exactly COLUMNS (a row may carry more, such as `content_upload`). */
const toDocument = (row: DocRow): KbDocument => ({
  ...(Object.fromEntries(COLUMNS.map((c) => [c, row[c]])) as DocRow),
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

// Cheap signature checks, so a file that is obviously not what it claims fails at upload, not later.
const SIGNATURES: Partial<Record<ContentType, { bytes: number[]; what: string }>> = {
  'application/pdf': { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], what: 'a PDF (it does not start with %PDF-)' },
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': {
    bytes: [0x50, 0x4b, 0x03, 0x04],
    what: 'a DOCX file (it is not a ZIP package)',
  },
};

export interface AddDocumentInput {
  knowledge_base_id: string;
  name: string;
  content: Uint8Array;
  content_type?: string | undefined;
}

/**
 * Stores a document and queues its ingestion. The same name with the same content is a no-op
 * (`unchanged`); new content replaces the old once ingested, atomically.
 */
export async function addDocument(
  ctx: RequestContext,
  input: AddDocumentInput,
): Promise<{ document: KbDocument; unchanged: boolean }> {
  await getKnowledgeBase(ctx, input.knowledge_base_id);
  const type = resolveContentType(input.name, input.content_type);
  if (!type) {
    throw new AppError(
      'invalid_request',
      `Unsupported file type for "${input.name}" (${input.content_type ?? 'no content type'}). Supported: ${Object.keys(CONTENT_TYPES).join(', ')}`,
      {
        param: 'content_type',
      },
    );
  }
  if (input.content.byteLength > MAX_DOCUMENT_BYTES) {
    throw new AppError(
      'file_too_large',
      `"${input.name}" is ${input.content.byteLength} bytes; the limit is ${MAX_DOCUMENT_BYTES} bytes (50 MB)`,
      { param: 'file' },
    );
  }
  if (input.content.byteLength === 0)
    throw new AppError('invalid_request', `"${input.name}" is empty`, { param: 'content' });
  const signature = SIGNATURES[type];
  if (signature && !signature.bytes.every((b, i) => input.content[i] === b)) {
    throw new AppError('invalid_request', `"${input.name}" is not ${signature.what}`, { param: 'file' });
  }
  const hash = await hashContent(input.content);
  const live = (db: typeof ctx.db) =>
    db
      .selectFrom('kb_documents')
      .select([...COLUMNS, 'content_upload'])
      .where('workspace_id', '=', ctx.workspace.id)
      .where('knowledge_base_id', '=', input.knowledge_base_id)
      .where('name', '=', input.name)
      .where('deleted_at', 'is', null);
  const isUnchanged = (row: { content_hash: string; status: string } | undefined) =>
    row !== undefined && row.content_hash === hash && row.status !== 'failed';
  const current = await live(ctx.db).executeTakeFirst();
  if (current && isUnchanged(current)) return { document: toDocument(current), unchanged: true };

  // The file goes in parts, each its own statement, before the transaction that makes it the
  // document's (one statement with the whole file held PGlite's connection for up to a second). A
  // cleanup queued first removes the parts if this request dies before that transaction.
  const queued = ctx.clock.now();
  const documentId = current?.id ?? newId('doc', queued);
  const upload = newId('upl', queued);
  const ref = { workspaceId: ctx.workspace.id, documentId, upload };
  await transact(ctx.db, (trx) =>
    ctx.jobs.enqueue(
      trx,
      'kb.purge',
      { workspace_id: ref.workspaceId, document_id: documentId, upload },
      { startAfter: new Date(queued.getTime() + ABANDONED_UPLOAD_MS) },
    ),
  );
  await writeParts(ctx.db, ref, input.content);

  return transact(ctx.db, async (trx) => {
    const now = ctx.clock.now();
    const existing = await live(trx).forUpdate().executeTakeFirst();
    if (existing && isUnchanged(existing)) return { document: toDocument(existing), unchanged: true };
    if ((existing?.id ?? documentId) !== documentId)
      throw new AppError(
        'conflict',
        `"${input.name}" was added or deleted by another request while this one was uploading it; send it again`,
      );

    const fields = {
      content_type: type,
      size_bytes: input.content.byteLength,
      content_hash: hash,
      content: null,
      content_upload: upload,
      status: 'processing' as const,
      progress: 0,
      error: null,
      updated_at: now,
    };
    const row = existing
      ? await trx
          .updateTable('kb_documents')
          .set(fields)
          .where('workspace_id', '=', ctx.workspace.id)
          .where('id', '=', existing.id)
          .returning(COLUMNS)
          .executeTakeFirstOrThrow()
      : await trx
          .insertInto('kb_documents')
          .values({
            ...fields,
            workspace_id: ctx.workspace.id,
            id: documentId,
            knowledge_base_id: input.knowledge_base_id,
            name: input.name,
            chunk_count: 0,
            created_at: now,
          })
          .returning(COLUMNS)
          .executeTakeFirstOrThrow();
    if (existing?.content_upload)
      await ctx.jobs.enqueue(trx, 'kb.purge', {
        workspace_id: ctx.workspace.id,
        document_id: row.id,
        upload: existing.content_upload,
      });
    await ctx.jobs.enqueue(trx, 'kb.ingest', { workspace_id: ctx.workspace.id, document_id: row.id });
    await appendEvent(
      trx,
      ctx,
      'file.uploaded',
      {
        knowledge_base_id: row.knowledge_base_id,
        document_id: row.id,
        name: row.name,
        content_type: type,
        size_bytes: row.size_bytes,
      },
      { at: now },
    );
    return { document: toDocument(row), unchanged: false };
  });
}

/** Documents of a knowledge base, newest first. */
export async function listDocuments(
  ctx: RequestContext,
  knowledgeBaseId: string,
  filters: { status?: KbDocument['status'] | undefined },
  page: PageRequest,
): Promise<Page<KbDocument>> {
  await getKnowledgeBase(ctx, knowledgeBaseId);
  let q = ctx.db
    .selectFrom('kb_documents')
    .select(COLUMNS)
    .where('workspace_id', '=', ctx.workspace.id)
    .where('knowledge_base_id', '=', knowledgeBaseId)
    .where('deleted_at', 'is', null);
  if (filters.status) q = q.where('status', '=', filters.status);
  const cursorFilters = { knowledgeBaseId, ...filters };
  return keysetPage(q, newestFirst, page, cursorFilters, toDocument);
}

export async function getDocument(
  ctx: RequestContext,
  knowledgeBaseId: string,
  documentId: string,
): Promise<KbDocument> {
  const row = await ctx.db
    .selectFrom('kb_documents')
    .select(COLUMNS)
    .where('workspace_id', '=', ctx.workspace.id)
    .where('knowledge_base_id', '=', knowledgeBaseId)
    .where('id', '=', documentId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!row)
    throw new AppError('not_found', `Document ${documentId} not found in knowledge base ${knowledgeBaseId}`, {
      param: 'document_id',
    });
  return toDocument(row);
}

/**
 * Deletes a document: it disappears from every read and search at once; the kb.purge job removes
 * its chunks and file in short batches afterwards.
 */
export async function deleteDocument(
  ctx: RequestContext,
  knowledgeBaseId: string,
  documentId: string,
): Promise<KbDocument> {
  return transact(ctx.db, async (trx) => {
    const row = await markDocumentsDeleted(trx, ctx.workspace.id, { knowledgeBaseId, documentId }, ctx.clock.now())
      .returning(COLUMNS)
      .executeTakeFirst();
    if (!row)
      throw new AppError('not_found', `Document ${documentId} not found in knowledge base ${knowledgeBaseId}`, {
        param: 'document_id',
      });
    await ctx.jobs.enqueue(trx, 'kb.purge', { workspace_id: ctx.workspace.id, document_id: documentId });
    await appendEvent(trx, ctx, 'document.deleted', {
      knowledge_base_id: knowledgeBaseId,
      document_id: documentId,
      name: row.name,
    });
    return toDocument(row);
  });
}

/**
 * Waits until ingestion ends (ready or failed) or `timeoutMs` passes, reporting progress as it
 * goes; returns the document as it then is (possibly still processing).
 */
export async function waitForDocument(
  ctx: RequestContext,
  knowledgeBaseId: string,
  documentId: string,
  opts: { timeoutMs: number; onProgress?: (doc: KbDocument) => Promise<void> },
): Promise<KbDocument> {
  // Elapsed time, not the wall clock: a waiting limit, unaffected by ctx.clock in tests.
  const deadline = performance.now() + opts.timeoutMs;
  let lastProgress = -1;
  for (;;) {
    const doc = await getDocument(ctx, knowledgeBaseId, documentId);
    if (doc.progress !== lastProgress) {
      lastProgress = doc.progress;
      await opts.onProgress?.(doc);
    }
    if (doc.status !== 'processing' || performance.now() >= deadline) return doc;
    await new Promise((r) => setTimeout(r, 100));
  }
}

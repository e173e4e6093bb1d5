import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';
import { yieldToOthers } from './chunks.queries.js';

/**
 * An uploaded file is stored in parts of this size, each written (and read) by its own statement:
 * PGlite runs a statement on the server's own thread, and one 24 MB value held it for 0.6-1.2 s.
 */
export const PART_BYTES = 1024 * 1024;
/** Parts deleted per statement (a deletion costs far less per byte than a write). */
const DELETE_PARTS = 8;

export interface UploadRef {
  workspaceId: string;
  documentId: string;
  upload: string;
}

/** The file's SHA-256 (hex), hashed a part at a time: 24 MB at once is tens of milliseconds of the server's thread. */
export async function hashContent(content: Uint8Array): Promise<string> {
  const hash = createHash('sha256');
  for (let at = 0; at < content.length; at += PART_BYTES) {
    hash.update(content.subarray(at, at + PART_BYTES));
    await yieldToOthers();
  }
  return hash.digest('hex');
}

/** Writes `content` as the parts of `ref.upload`, one statement per part, letting other queries in between. */
export async function writeParts(db: Kysely<Database>, ref: UploadRef, content: Uint8Array): Promise<void> {
  for (let part = 0, at = 0; at < content.length; part++, at += PART_BYTES) {
    const end = Math.min(content.length, at + PART_BYTES);
    await db
      .insertInto('kb_document_parts')
      .values({
        workspace_id: ref.workspaceId,
        document_id: ref.documentId,
        upload: ref.upload,
        part,
        bytes: Buffer.from(content.buffer, content.byteOffset + at, end - at),
      })
      .execute();
    await yieldToOthers();
  }
}

/** The file stored as `ref.upload`, `size` bytes; empty when its parts are gone (the document was replaced or deleted). */
export async function readParts(db: Kysely<Database>, ref: UploadRef, size: number): Promise<Uint8Array> {
  const content = new Uint8Array(size);
  for (let part = 0, at = 0; at < size; part++, at += PART_BYTES) {
    const row = await db
      .selectFrom('kb_document_parts')
      .select('bytes')
      .where('workspace_id', '=', ref.workspaceId)
      .where('document_id', '=', ref.documentId)
      .where('upload', '=', ref.upload)
      .where('part', '=', part)
      .executeTakeFirst();
    if (!row || at + row.bytes.length > size) return new Uint8Array();
    content.set(row.bytes, at);
    await yieldToOthers();
  }
  return content;
}

/** Deletes a document's parts, of one upload or of all, a few per statement; `afterBatch` runs after each. */
export async function deleteParts(
  db: Kysely<Database>,
  workspaceId: string,
  documentId: string,
  upload: string | undefined,
  afterBatch: () => Promise<void> | void,
): Promise<void> {
  for (;;) {
    let doomed = db
      .selectFrom('kb_document_parts')
      .select('part')
      .where('workspace_id', '=', workspaceId)
      .where('document_id', '=', documentId);
    if (upload !== undefined) doomed = doomed.where('upload', '=', upload);
    const rows = await doomed.select('upload').limit(DELETE_PARTS).execute();
    if (!rows.length) return;
    await db
      .deleteFrom('kb_document_parts')
      .where('workspace_id', '=', workspaceId)
      .where('document_id', '=', documentId)
      .where((eb) => eb.or(rows.map((r) => eb.and([eb('upload', '=', r.upload), eb('part', '=', r.part)]))))
      .execute();
    await afterBatch();
    await yieldToOthers();
  }
}

const CONTENT_SLICE = 4 * 1024 * 1024;

/**
 * A document's stored file: its parts (see parts.queries.ts), or for a file stored before them, the
 * `content` column read in slices: one 24 MB read is half a second of PGlite's only connection (the
 * column is stored uncompressed, so a slice costs only its own bytes).
 */
export async function readContent(db: Kysely<Database>, workspaceId: string, documentId: string): Promise<Uint8Array> {
  const row = await db
    .selectFrom('kb_documents')
    .select(['content_upload', 'size_bytes', sql<number | null>`octet_length(content)`.as('inline_size')])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', documentId)
    .executeTakeFirst();
  if (row?.content_upload)
    return readParts(db, { workspaceId, documentId, upload: row.content_upload }, row.size_bytes);
  const content = new Uint8Array(row?.inline_size ?? 0);
  for (let at = 0; at < content.length; at += CONTENT_SLICE) {
    const slice = await db
      .selectFrom('kb_documents')
      .select(sql<Buffer>`substring(content from ${at + 1} for ${CONTENT_SLICE})`.as('bytes'))
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', documentId)
      .executeTakeFirst();
    // The document went away (deleted) mid-read: an empty result, which the caller reports.
    if (!slice?.bytes) return new Uint8Array();
    content.set(slice.bytes, at);
    await yieldToOthers();
  }
  return content;
}

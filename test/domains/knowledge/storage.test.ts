import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../../src/kernel/context.js';
import {
  addDocument,
  deleteDocument,
  getDocument,
  listDocuments,
} from '../../../src/domains/knowledge/documents.service.js';
import { ingestDocument } from '../../../src/domains/knowledge/ingest.job.js';
import { PART_BYTES, readContent } from '../../../src/domains/knowledge/parts.queries.js';
import { type PurgeOptions, purgeKnowledge } from '../../../src/domains/knowledge/purge.job.js';
import { searchKnowledgeBases } from '../../../src/domains/knowledge/search.service.js';
import {
  createKnowledgeBase,
  deleteKnowledgeBase,
  getKnowledgeBase,
  listKnowledgeBases,
} from '../../../src/domains/knowledge/bases.service.js';
import {
  type TestApp,
  addKey,
  addWorkspace,
  contextFor,
  createOrg,
  createTestApp,
  silentLog,
} from '../../helpers/app.js';

/**
 * How large documents are stored and removed without one long statement: the file in parts, each
 * its own statement; a deletion that hides the document (or knowledge base) at once and a durable
 * kb.purge job that removes its rows in batches, and finishes after a crash.
 */

const text = (s: string) => new TextEncoder().encode(s);
/** About `kb` kB of Markdown, every paragraph carrying `word`. */
const manual = (word: string, kb: number) =>
  text(
    Array.from(
      { length: Math.ceil((kb * 1024) / 120) },
      (_, i) => `## Step ${i}\n\nTurn the ${word} valve ${i} a quarter clockwise and wait for the gauge to settle.\n`,
    ).join('\n'),
  );

describe('knowledge storage: files in parts, deletions in batches', () => {
  let t: TestApp;
  let ctx: RequestContext;
  const ingest = (documentId: string) =>
    ingestDocument(
      t.app,
      silentLog,
      { workspace_id: ctx.workspace.id, document_id: documentId },
      { attempt: 1, lastAttempt: false },
    );
  /** The kb.purge jobs enqueued so far whose payload names `id` (a document or knowledge base). */
  const purgeJobs = async (id: string) => {
    const { rows } = await sql<{ data: Record<string, string>; start_after: Date }>`
      select data, start_after from pgboss.job where name = 'kb.purge'
        and (data->>'document_id' = ${id} or data->>'knowledge_base_id' = ${id})`.execute(t.app.db);
    return rows;
  };
  const purge = (data: Record<string, string>, opts?: Partial<PurgeOptions>) =>
    purgeKnowledge(
      t.app,
      silentLog,
      { workspace_id: ctx.workspace.id, ...data },
      { attempt: 1, lastAttempt: false },
      opts,
    );
  const count = async (table: 'kb_chunks' | 'kb_document_parts' | 'kb_documents', documentId: string) => {
    const column = table === 'kb_documents' ? 'id' : 'document_id';
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}
      where workspace_id = ${ctx.workspace.id} and ${sql.ref(column)} = ${documentId}`.execute(t.app.db);
    return rows[0]!.n;
  };

  beforeAll(async () => {
    t = await createTestApp();
    const org = await createOrg(t.app);
    ctx = await contextFor(t.app, await addKey(t.app, org, ['*'], [await addWorkspace(t.app, org, 'a')]));
  });
  afterAll(() => t?.close());

  it('stores an upload in parts of PART_BYTES, each its own row, and reads it back whole', async () => {
    const kb = await createKnowledgeBase(ctx, { name: 'Parts' });
    const content = manual('brass', Math.ceil((2.5 * PART_BYTES) / 1024));
    const { document } = await addDocument(ctx, { knowledge_base_id: kb.id, name: 'big.md', content });
    expect(await count('kb_document_parts', document.id)).toBe(Math.ceil(content.length / PART_BYTES));
    const row = await t.app.db
      .selectFrom('kb_documents')
      .select(['content', 'content_upload', 'size_bytes'])
      .where('id', '=', document.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ content: null, content_upload: expect.any(String), size_bytes: content.length });
    expect(Buffer.from(await readContent(t.app.db, ctx.workspace.id, document.id)).equals(Buffer.from(content))).toBe(
      true,
    );
    // A cleanup of the upload was queued before its first part, for the case the request died mid-way;
    // once the document points to the upload, that cleanup leaves it alone.
    const [cleanup] = await purgeJobs(document.id);
    expect(cleanup!.data).toEqual({
      workspace_id: ctx.workspace.id,
      document_id: document.id,
      upload: row.content_upload,
    });
    expect(cleanup!.start_after.getTime()).toBeGreaterThan(Date.now() + 30 * 60_000);
    await purge(cleanup!.data);
    expect(await count('kb_document_parts', document.id)).toBe(Math.ceil(content.length / PART_BYTES));
    // Ingestion reads the file from its parts.
    const small = await addDocument(ctx, { knowledge_base_id: kb.id, name: 'small.md', content: manual('brass', 3) });
    await ingest(small.document.id);
    expect(await getDocument(ctx, kb.id, small.document.id)).toMatchObject({ status: 'ready' });
    const found = await searchKnowledgeBases(ctx, { knowledge_base_id: kb.id, query: 'brass valve 12' });
    expect(found.results[0]?.content).toMatch(/valve 12 /);
  });

  it('drops the parts of a replaced file, and of an upload that never reached its document', async () => {
    const kb = await createKnowledgeBase(ctx, { name: 'Replaced' });
    const first = await addDocument(ctx, { knowledge_base_id: kb.id, name: 'a.md', content: manual('iron', 10) });
    const before = await purgeJobs(first.document.id);
    await addDocument(ctx, { knowledge_base_id: kb.id, name: 'a.md', content: manual('zinc', 10) });
    const { content_upload } = await t.app.db
      .selectFrom('kb_documents')
      .select('content_upload')
      .where('id', '=', first.document.id)
      .executeTakeFirstOrThrow();
    const uploads = async () =>
      (
        await t.app.db
          .selectFrom('kb_document_parts')
          .select('upload')
          .distinct()
          .where('document_id', '=', first.document.id)
          .execute()
      ).map((r) => r.upload);
    expect((await uploads()).sort()).toEqual([before[0]!.data.upload, content_upload].sort());
    // Every job queued for this document, the replaced upload's cleanup included, run as a worker would.
    for (const job of await purgeJobs(first.document.id)) await purge(job.data);
    expect(await uploads()).toEqual([content_upload]);
    await ingest(first.document.id);
    expect((await searchKnowledgeBases(ctx, { knowledge_base_id: kb.id, query: 'zinc' })).results).not.toEqual([]);

    // A request that died after writing parts: its queued cleanup (due later) removes them.
    await t.app.db
      .insertInto('kb_document_parts')
      .values({
        workspace_id: ctx.workspace.id,
        document_id: 'doc_gone',
        upload: 'upl_gone',
        part: 0,
        bytes: Buffer.from('x'),
      })
      .execute();
    await purge({ document_id: 'doc_gone', upload: 'upl_gone' });
    expect(await count('kb_document_parts', 'doc_gone')).toBe(0);
  });

  it('hides a deleted document at once and removes its chunks and parts in batches, finishing after a crash', async () => {
    const kb = await createKnowledgeBase(ctx, { name: 'Deleted', chunk_size: 400, chunk_overlap: 50 });
    const { document } = await addDocument(ctx, {
      knowledge_base_id: kb.id,
      name: 'gone.md',
      content: manual('copper', 120),
    });
    await ingest(document.id);
    const chunks = (await getDocument(ctx, kb.id, document.id)).chunk_count;
    expect(chunks).toBeGreaterThan(250);
    expect((await searchKnowledgeBases(ctx, { knowledge_base_id: kb.id, query: 'copper' })).results).not.toEqual([]);

    expect(await deleteDocument(ctx, kb.id, document.id)).toMatchObject({ id: document.id, name: 'gone.md' });
    // Gone for every reader at once, although no chunk has been deleted yet.
    await expect(getDocument(ctx, kb.id, document.id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(deleteDocument(ctx, kb.id, document.id)).rejects.toMatchObject({ code: 'not_found' });
    expect((await listDocuments(ctx, kb.id, {}, { limit: 10 })).items).toEqual([]);
    expect((await getKnowledgeBase(ctx, kb.id)).document_count).toBe(0);
    expect((await searchKnowledgeBases(ctx, { knowledge_base_id: kb.id, query: 'copper' })).results).toEqual([]);
    expect(await count('kb_chunks', document.id)).toBe(chunks);
    // An ingestion still queued for it does nothing.
    await ingest(document.id);
    expect(await count('kb_chunks', document.id)).toBe(chunks);
    // Its name is free again.
    const again = await addDocument(ctx, { knowledge_base_id: kb.id, name: 'gone.md', content: manual('tin', 2) });
    expect(again.document.id).not.toBe(document.id);
    // The same file again is a no-op, answered with the public shape only.
    const same = await addDocument(ctx, { knowledge_base_id: kb.id, name: 'gone.md', content: manual('tin', 2) });
    expect(same.unchanged).toBe(true);
    expect(Object.keys(same.document).sort()).toEqual(Object.keys(again.document).sort());

    const [job] = (await purgeJobs(document.id)).filter((j) => !j.data.upload);
    expect(job!.data).toEqual({ workspace_id: ctx.workspace.id, document_id: document.id });
    // The worker dies after two batches: what is left stays invisible, and the retried job finishes.
    let batches = 0;
    const crash = () => {
      if (++batches === 2) throw new Error('worker killed');
    };
    await expect(purge(job!.data, { chunkBatch: 100, afterBatch: crash })).rejects.toThrow('worker killed');
    expect(await count('kb_chunks', document.id)).toBe(chunks - 200);
    await expect(getDocument(ctx, kb.id, document.id)).rejects.toMatchObject({ code: 'not_found' });
    batches = 0;
    await purge(job!.data, { chunkBatch: 100, afterBatch: () => void batches++ });
    expect(batches).toBeGreaterThan(2);
    expect(await count('kb_chunks', document.id)).toBe(0);
    expect(await count('kb_document_parts', document.id)).toBe(0);
    expect(await count('kb_documents', document.id)).toBe(0);
    // Run once more (an at-least-once delivery): nothing to do, no error.
    await purge(job!.data);
    expect((await getDocument(ctx, kb.id, again.document.id)).name).toBe('gone.md');
  });

  it('hides a deleted knowledge base at once, then removes its documents in batches', async () => {
    const kb = await createKnowledgeBase(ctx, { name: 'Doomed', chunk_size: 400, chunk_overlap: 50 });
    const kept = await createKnowledgeBase(ctx, { name: 'Kept' });
    const docs = [];
    for (const name of ['one.md', 'two.md']) {
      const { document } = await addDocument(ctx, { knowledge_base_id: kb.id, name, content: manual('nickel', 40) });
      await ingest(document.id);
      docs.push(document);
    }
    const { document: other } = await addDocument(ctx, {
      knowledge_base_id: kept.id,
      name: 'k.md',
      content: manual('nickel', 2),
    });
    await ingest(other.id);

    await deleteKnowledgeBase(ctx, kb.id);
    await expect(getKnowledgeBase(ctx, kb.id)).rejects.toMatchObject({ code: 'not_found' });
    expect((await listKnowledgeBases(ctx)).map((k) => k.id)).not.toContain(kb.id);
    await expect(searchKnowledgeBases(ctx, { knowledge_base_id: kb.id, query: 'nickel' })).rejects.toMatchObject({
      code: 'not_found',
    });
    const everywhere = await searchKnowledgeBases(ctx, { query: 'nickel', limit: 50 });
    expect(new Set(everywhere.results.map((r) => r.knowledge_base_id))).toEqual(new Set([kept.id]));
    await expect(
      addDocument(ctx, { knowledge_base_id: kb.id, name: 'late.md', content: manual('x', 1) }),
    ).rejects.toMatchObject({ code: 'not_found' });
    expect(await count('kb_chunks', docs[0]!.id)).toBeGreaterThan(0);

    const [job] = await purgeJobs(kb.id);
    expect(job!.data).toEqual({ workspace_id: ctx.workspace.id, knowledge_base_id: kb.id });
    await purge(job!.data, { chunkBatch: 50 });
    for (const d of docs) {
      expect(await count('kb_chunks', d.id)).toBe(0);
      expect(await count('kb_document_parts', d.id)).toBe(0);
      expect(await count('kb_documents', d.id)).toBe(0);
    }
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from knowledge_bases where id = ${kb.id}`.execute(t.app.db);
    expect(rows[0]!.n).toBe(0);
    expect((await getDocument(ctx, kept.id, other.id)).status).toBe('ready');
  });
});

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../../src/kernel/context.js';
import { addDocument, getDocument } from '../../../src/domains/knowledge/documents.service.js';
import { ingestDocument } from '../../../src/domains/knowledge/ingest.job.js';
import { INGEST_LIMITS, type IngestLimits } from '../../../src/domains/knowledge/ingest/limits.js';
import { searchKnowledgeBases } from '../../../src/domains/knowledge/search.service.js';
import { createKnowledgeBase } from '../../../src/domains/knowledge/bases.service.js';
import {
  type TestApp,
  addKey,
  addWorkspace,
  contextFor,
  createOrg,
  createTestApp,
  silentLog,
} from '../../helpers/app.js';

const text = (s: string) => new TextEncoder().encode(s);
/** About `kb` kB of Markdown, every paragraph carrying `word`, so the version a search sees is plain. */
const manual = (word: string, kb: number) =>
  text(
    Array.from(
      { length: Math.ceil((kb * 1024) / 120) },
      (_, i) => `## Step ${i}\n\nTurn the ${word} valve ${i} a quarter clockwise and wait for the gauge to settle.\n`,
    ).join('\n'),
  );

describe('the ingestion job: bounded extraction, batched writes, one switch', () => {
  let t: TestApp;
  let ctx: RequestContext;
  const run = (documentId: string, attempt = 1, limits: IngestLimits = INGEST_LIMITS) =>
    ingestDocument(
      t.app,
      silentLog,
      { workspace_id: ctx.workspace.id, document_id: documentId },
      { attempt, lastAttempt: attempt > 3 },
      limits,
    );
  const chunkRows = async (documentId: string) => {
    const { rows } = await sql<{ total: number; visible: number }>`
      select count(*)::int as total, count(*) filter (where c.generation = d.generation)::int as visible
      from kb_chunks c join kb_documents d on d.workspace_id = c.workspace_id and d.id = c.document_id
      where c.workspace_id = ${ctx.workspace.id} and c.document_id = ${documentId}`.execute(t.app.db);
    return rows[0]!;
  };

  beforeAll(async () => {
    t = await createTestApp();
    const org = await createOrg(t.app);
    ctx = await contextFor(t.app, await addKey(t.app, org, ['*'], [await addWorkspace(t.app, org, 'a')]));
  });
  afterAll(() => t?.close());

  it('tries a document whose extraction was stopped once more, then fails it with the reason', async () => {
    const kb = await createKnowledgeBase(ctx, { name: 'Slow' });
    const { document } = await addDocument(ctx, {
      knowledge_base_id: kb.id,
      name: 'slow.md',
      content: manual('steam', 50),
    });
    const slow = { ...INGEST_LIMITS, maxWallMs: 5 };
    await expect(run(document.id, 1, slow)).rejects.toMatchObject({ name: 'ExtractionStopped', retryOnce: true });
    expect(await getDocument(ctx, kb.id, document.id)).toMatchObject({ status: 'processing' });
    await run(document.id, 2, slow);
    expect(await getDocument(ctx, kb.id, document.id)).toMatchObject({
      status: 'failed',
      error: 'Reading the Markdown file took longer than 0.005 s, the limit for one document; it was stopped',
    });
  });

  it('fails a document that runs the extractor out of memory at once, without a retry', async () => {
    const kb = await createKnowledgeBase(ctx, { name: 'Big' });
    const { document } = await addDocument(ctx, {
      knowledge_base_id: kb.id,
      name: 'big.md',
      content: manual('water', 8000),
    });
    await run(document.id, 1, { ...INGEST_LIMITS, workerHeapMb: 24 });
    expect(await getDocument(ctx, kb.id, document.id)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/needs more than 24 MB of memory/),
    });
    const events = await t.app.db
      .selectFrom('events')
      .select('data')
      .where('workspace_id', '=', ctx.workspace.id)
      .where('type', '=', 'document.failed')
      .execute();
    expect(events.some((e) => (e.data as { document_id: string }).document_id === document.id)).toBe(true);
  });

  it('writes a new version in short batches that search never sees, then switches in one step', async () => {
    const kb = await createKnowledgeBase(ctx, { name: 'Manuals' });
    const first = await addDocument(ctx, { knowledge_base_id: kb.id, name: 'pump.md', content: manual('steam', 400) });
    await run(first.document.id);
    const v1 = (await getDocument(ctx, kb.id, first.document.id)).chunk_count;
    expect(v1).toBeGreaterThan(200);

    await addDocument(ctx, { knowledge_base_id: kb.id, name: 'pump.md', content: manual('water', 600) });
    let ingesting = true;
    const job = run(first.document.id).finally(() => {
      ingesting = false;
    });
    const seen: { total: number; visible: number }[] = [];
    // A timer between checks: PGlite answers without passing through the event loop, and the job needs it.
    while (ingesting) {
      seen.push(await chunkRows(first.document.id));
      await new Promise((r) => setTimeout(r, 2));
    }
    await job;
    const v2 = (await getDocument(ctx, kb.id, first.document.id)).chunk_count;

    // Other queries ran between the batches, and saw the old version whole until the switch.
    expect(seen.some((s) => s.visible === v1 && s.total > v1)).toBe(true);
    expect(seen.every((s) => s.visible === v1 || s.visible === v2)).toBe(true);
    expect(await chunkRows(first.document.id)).toEqual({ total: v2, visible: v2 });
    expect((await searchKnowledgeBases(ctx, { knowledge_base_id: kb.id, query: 'steam' })).results).toEqual([]);
    expect((await searchKnowledgeBases(ctx, { knowledge_base_id: kb.id, query: 'water' })).results).not.toEqual([]);
  });

  it('keeps the searchable version when the document changes during ingestion, and drops what it wrote', async () => {
    const kb = await createKnowledgeBase(ctx, { name: 'Changing' });
    const first = await addDocument(ctx, {
      knowledge_base_id: kb.id,
      name: 'boiler.md',
      content: manual('steam', 100),
    });
    await run(first.document.id);
    const v1 = (await getDocument(ctx, kb.id, first.document.id)).chunk_count;

    await addDocument(ctx, { knowledge_base_id: kb.id, name: 'boiler.md', content: manual('water', 600) });
    const job = run(first.document.id);
    // A newer upload arrives while the job is writing its batches: its switch must be refused.
    // One check at a time (overlapping checks would queue ahead of the job on PGlite's one connection).
    const deadline = performance.now() + 20_000;
    while ((await chunkRows(first.document.id)).total <= v1) {
      if (performance.now() > deadline) throw new Error('the job wrote no batch within 20 s');
      await new Promise((r) => setTimeout(r, 2));
    }
    await addDocument(ctx, { knowledge_base_id: kb.id, name: 'boiler.md', content: manual('oil', 50) });
    await job;

    expect(await getDocument(ctx, kb.id, first.document.id)).toMatchObject({ status: 'processing', chunk_count: v1 });
    expect(await chunkRows(first.document.id)).toEqual({ total: v1, visible: v1 });
    expect((await searchKnowledgeBases(ctx, { knowledge_base_id: kb.id, query: 'steam' })).results).not.toEqual([]);
    await run(first.document.id);
    expect((await searchKnowledgeBases(ctx, { knowledge_base_id: kb.id, query: 'oil' })).results[0]).toMatchObject({
      document_name: 'boiler.md',
    });
    expect((await searchKnowledgeBases(ctx, { knowledge_base_id: kb.id, query: 'steam' })).results).toEqual([]);
  });
});

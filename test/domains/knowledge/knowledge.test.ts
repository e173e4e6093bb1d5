import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../../src/kernel/context.js';
import { addDocument, getDocument, listDocuments } from '../../../src/domains/knowledge/documents.service.js';
import { ingestDocument } from '../../../src/domains/knowledge/ingest.job.js';
import { searchKnowledgeBases } from '../../../src/domains/knowledge/search.service.js';
import {
  createKnowledgeBase,
  deleteKnowledgeBase,
  getKnowledgeBase,
  updateKnowledgeBase,
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

const text = (s: string) => new TextEncoder().encode(s);

describe('knowledge bases: ingestion and full-text search', () => {
  let t: TestApp;
  let ctx: RequestContext;
  let other: RequestContext;
  const runJob = (documentId: string) =>
    ingestDocument(
      t.app,
      silentLog,
      { workspace_id: ctx.workspace.id, document_id: documentId },
      { attempt: 1, lastAttempt: false },
    );

  beforeAll(async () => {
    // No workers: each test runs the ingestion job itself, so it can look between the steps.
    t = await createTestApp();
    const org = await createOrg(t.app);
    ctx = await contextFor(t.app, await addKey(t.app, org, ['*'], [await addWorkspace(t.app, org, 'a')]));
    other = await contextFor(t.app, await addKey(t.app, org, ['*'], [await addWorkspace(t.app, org, 'b')]));
  });
  afterAll(() => t?.close());

  it('validates language and chunking, and keeps knowledge bases per workspace', async () => {
    await expect(createKnowledgeBase(ctx, { name: 'x', language: 'klingon' })).rejects.toMatchObject({
      code: 'invalid_request',
      details: { param: 'language' },
    });
    await expect(createKnowledgeBase(ctx, { name: 'x', chunk_size: 400, chunk_overlap: 300 })).rejects.toMatchObject({
      details: { param: 'chunk_overlap' },
    });
    const kb = await createKnowledgeBase(ctx, { name: 'Temp', language: 'simple' });
    expect(await updateKnowledgeBase(ctx, kb.id, { description: 'scratch' })).toMatchObject({
      description: 'scratch',
      language: 'simple',
    });
    await expect(getKnowledgeBase(other, kb.id)).rejects.toMatchObject({ code: 'not_found' });
    await deleteKnowledgeBase(ctx, kb.id);
    await expect(getKnowledgeBase(ctx, kb.id)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('replaces a document atomically: searches see the old version until the new one is ready', async () => {
    const kb = await createKnowledgeBase(ctx, { name: 'Handbook' });
    const first = await addDocument(ctx, {
      knowledge_base_id: kb.id,
      name: 'policy.md',
      content: text('# Returns\n\nParcels can be returned within thirty days.'),
    });
    expect(first.document.status).toBe('processing');
    expect((await searchKnowledgeBases(ctx, { knowledge_base_id: kb.id, query: 'returned parcels' })).results).toEqual(
      [],
    );
    await runJob(first.document.id);
    expect(await getDocument(ctx, kb.id, first.document.id)).toMatchObject({
      status: 'ready',
      progress: 100,
      chunk_count: 1,
    });

    const again = await addDocument(ctx, {
      knowledge_base_id: kb.id,
      name: 'policy.md',
      content: text('# Returns\n\nParcels can be returned within thirty days.'),
    });
    expect(again).toMatchObject({ unchanged: true, document: { id: first.document.id, status: 'ready' } });

    const update = await addDocument(ctx, {
      knowledge_base_id: kb.id,
      name: 'policy.md',
      content: text('# Returns\n\nRefunds are issued within fourteen days.'),
    });
    expect(update).toMatchObject({ unchanged: false, document: { id: first.document.id, status: 'processing' } });
    // Until the job has run, the index still holds the whole previous version.
    const during = await searchKnowledgeBases(ctx, { knowledge_base_id: kb.id, query: 'thirty' });
    expect(during.results.map((r) => r.content)).toEqual([expect.stringContaining('returned within thirty days')]);
    expect(during.results).toHaveLength(1);
    expect((await searchKnowledgeBases(ctx, { knowledge_base_id: kb.id, query: 'fourteen' })).results).toEqual([]);
    await runJob(first.document.id);
    expect((await searchKnowledgeBases(ctx, { knowledge_base_id: kb.id, query: 'thirty' })).results).toEqual([]);
    const after = await searchKnowledgeBases(ctx, { knowledge_base_id: kb.id, query: 'refunds fourteen' });
    expect(after).toMatchObject({
      mode: 'fulltext',
      results: [
        { document_name: 'policy.md', document_id: first.document.id, location: { heading_path: ['Returns'] } },
      ],
    });
    expect(after.results[0]!.snippet).toMatch(/\*\*Refunds\*\*/);
    expect(after.results[0]!.score).toBeGreaterThan(0);
    expect(after.results[0]!.score).toBeLessThanOrEqual(1);

    // Running the same job twice (a retry after a crash) changes nothing.
    await runJob(first.document.id);
    expect((await getDocument(ctx, kb.id, first.document.id)).chunk_count).toBe(1);
  });

  it('marks a corrupt file failed with the reason, and indexes nothing of it', async () => {
    const kb = await createKnowledgeBase(ctx, { name: 'Files' });
    const bad = await addDocument(ctx, {
      knowledge_base_id: kb.id,
      name: 'broken.pdf',
      content: text('%PDF-1.7\nthis is not really a pdf'),
    });
    await runJob(bad.document.id);
    const doc = await getDocument(ctx, kb.id, bad.document.id);
    expect(doc.status).toBe('failed');
    expect(doc.error).toMatch(/PDF/);
    expect(doc.chunk_count).toBe(0);
    const events = await t.app.db
      .selectFrom('events')
      .select('type')
      .where('workspace_id', '=', ctx.workspace.id)
      .where('type', '=', 'document.failed')
      .execute();
    expect(events).toHaveLength(1);
  });

  it('rejects unsupported, empty, mislabelled and oversized files before storing anything', async () => {
    const kb = await createKnowledgeBase(ctx, { name: 'Strict' });
    await expect(
      addDocument(ctx, { knowledge_base_id: kb.id, name: 'tool.exe', content: text('MZ') }),
    ).rejects.toMatchObject({ code: 'invalid_request', message: /Unsupported file type/ });
    await expect(
      addDocument(ctx, { knowledge_base_id: kb.id, name: 'empty.txt', content: new Uint8Array() }),
    ).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(
      addDocument(ctx, { knowledge_base_id: kb.id, name: 'fake.docx', content: text('not a zip') }),
    ).rejects.toMatchObject({ message: /not a DOCX/ });
    await expect(
      addDocument(ctx, { knowledge_base_id: kb.id, name: 'huge.txt', content: new Uint8Array(50 * 1024 * 1024 + 1) }),
    ).rejects.toMatchObject({ code: 'file_too_large' });
    expect((await listDocuments(ctx, kb.id, {}, {})).items).toEqual([]);
  });

  it('ranks by language-aware matches, with phrases, prefixes and an any-word fallback', async () => {
    const en = await createKnowledgeBase(ctx, { name: 'EN', language: 'english' });
    const fr = await createKnowledgeBase(ctx, { name: 'FR', language: 'french' });
    const docs = [
      await addDocument(ctx, {
        knowledge_base_id: en.id,
        name: 'shipping.md',
        content: text(
          '# Shipping\n\nOrders ship within two business days from our warehouse.\n\n# Payments\n\nWe accept cards and bank transfers.',
        ),
      }),
      await addDocument(ctx, {
        knowledge_base_id: fr.id,
        name: 'livraison.md',
        content: text('# Livraison\n\nLes commandes livrées en France arrivent en deux jours ouvrés.'),
      }),
    ];
    for (const d of docs) await runJob(d.document.id);

    const shipped = await searchKnowledgeBases(ctx, { knowledge_base_id: en.id, query: 'shipping orders' });
    expect(shipped.results[0]!.location).toMatchObject({ heading_path: ['Shipping'] });
    expect(
      (await searchKnowledgeBases(ctx, { knowledge_base_id: en.id, query: '"two business days"' })).results,
    ).toHaveLength(1);
    expect(
      (await searchKnowledgeBases(ctx, { knowledge_base_id: en.id, query: '"days business two"' })).results,
    ).toEqual([]);
    expect((await searchKnowledgeBases(ctx, { knowledge_base_id: en.id, query: 'warehou*' })).results).toHaveLength(1);
    const anyWord = await searchKnowledgeBases(ctx, { knowledge_base_id: en.id, query: 'transfers unicorn' });
    expect(anyWord.results).toHaveLength(1);
    expect(anyWord.results[0]!.location).toMatchObject({ heading_path: ['Payments'] });

    const french = await searchKnowledgeBases(ctx, { knowledge_base_id: fr.id, query: 'commande livrée' });
    expect(french.results.map((r) => r.document_name)).toEqual(['livraison.md']);
    const everywhere = await searchKnowledgeBases(ctx, { query: 'commandes' });
    expect(everywhere.results.map((r) => r.document_name)).toContain('livraison.md');
    expect((await searchKnowledgeBases(other, { query: 'commandes' })).results).toEqual([]);
    await expect(searchKnowledgeBases(other, { knowledge_base_id: fr.id, query: 'commandes' })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});

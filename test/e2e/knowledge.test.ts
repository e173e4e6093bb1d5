import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers } from '../../src/workers.js';
import { type RunningServer, startHttpServer } from '../../src/transport/http/server.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp } from '../helpers/app.js';
import { TEST_DB_KIND } from '../helpers/db.js';
import { makeDocx, makePdf } from '../helpers/documents.js';
import { type FakeEmbeddingsServer, startFakeEmbeddings } from '../helpers/fake-embeddings.js';
import { callErr, callOk, connectHttp } from '../helpers/mcp.js';
import { until } from '../helpers/wait.js';

// PGlite loads pgvector, so search there is hybrid; the CI PostgreSQL has no pgvector, so it stays full-text.
const EXPECTED_MODE = TEST_DB_KIND === 'pglite' ? 'hybrid' : 'fulltext';

describe('knowledge bases end to end: REST uploads, ingestion jobs, kb_search over MCP', () => {
  let t: TestApp;
  let server: RunningServer;
  let fake: FakeEmbeddingsServer;
  let key: string;
  let otherKey: string;
  let client: Client;
  let handbook: string;
  let guide: string;

  const api = (path: string, init: RequestInit = {}, withKey = key) =>
    fetch(`${server.url}/api/v1${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${withKey}`, ...(init.headers ?? {}) },
    });
  const json = (body: unknown) => ({
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  const upload = (kb: string, name: string, type: string, bytes: Uint8Array) => {
    const form = new FormData();
    form.set('file', new Blob([Buffer.from(bytes)], { type }), name);
    return api(`/knowledge-bases/${kb}/documents`, { method: 'POST', body: form });
  };
  const waitReady = (kb: string, doc: string) =>
    until(
      `document ${doc} to finish processing`,
      async () => {
        const { document } = await (await api(`/knowledge-bases/${kb}/documents/${doc}`)).json();
        return document.status !== 'processing' && document;
      },
      { timeout: 20_000 },
    );

  beforeAll(async () => {
    fake = await startFakeEmbeddings();
    t = await createTestApp({
      embeddings: { url: fake.url, model: 'fake-embed-1', apiKey: 'test-embed-key', provider: 'voyage' },
    });
    await startWorkers(t.app);
    const org = await createOrg(t.app);
    const ws = await addWorkspace(t.app, org, 'main');
    key = await addKey(t.app, org, ['*'], [ws]);
    otherKey = await addKey(t.app, org, ['*'], [await addWorkspace(t.app, org, 'other')]);
    server = await startHttpServer(t.app, { port: 0 });
    client = await connectHttp(server.url, key);
    handbook = (await (await api('/knowledge-bases', json({ name: 'Handbook', language: 'english' }))).json())
      .knowledge_base.id;
    guide = (await (await api('/knowledge-bases', json({ name: 'Guide', language: 'french' }))).json()).knowledge_base
      .id;
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
    await t?.close();
    await fake?.close();
  });

  it('ingests an uploaded PDF and DOCX, and kb_search cites the right passages', async () => {
    const pdf = await makePdf([
      ['Welcome to the customer handbook.', 'It explains how we work with you.'],
      ['Refund policy', 'Customers can request a refund within 30 days of delivery.'],
    ]);
    const docx = await makeDocx([
      { heading: 'Shipping', paragraphs: ['Orders ship within two business days from the warehouse.'] },
      {
        heading: 'Carriers',
        paragraphs: ['We work with these carriers:'],
        table: [
          ['Carrier', 'Region'],
          ['Postal Express', 'Europe'],
          ['Ocean Freight', 'Overseas'],
        ],
      },
    ]);
    const pdfRes = await upload(handbook, 'handbook.pdf', 'application/pdf', pdf);
    expect(pdfRes.status).toBe(201);
    const docxRes = await upload(
      handbook,
      'shipping.docx',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      docx,
    );
    const pdfDoc = (await pdfRes.json()).document;
    const docxDoc = (await docxRes.json()).document;
    expect(pdfDoc.status).toBe('processing');
    expect(await waitReady(handbook, pdfDoc.id)).toMatchObject({ status: 'ready', progress: 100 });
    expect((await waitReady(handbook, docxDoc.id)).chunk_count).toBeGreaterThan(0);

    const refund = await callOk(client, 'kb_search', { knowledge_base_id: handbook, query: 'refund within 30 days' });
    expect(refund.mode).toBe(EXPECTED_MODE);
    expect(refund.results[0]).toMatchObject({
      document_name: 'handbook.pdf',
      document_id: pdfDoc.id,
      location: { page: 2 },
    });
    expect(refund.results[0].snippet).toMatch(/\*\*refund\*\*/i);

    const carriers = await callOk(client, 'kb_search', { query: 'Ocean Freight carrier', limit: 3 });
    expect(carriers.results[0]).toMatchObject({
      document_name: 'shipping.docx',
      location: { heading_path: ['Carriers'] },
    });
    expect(carriers.results[0].content).toContain('Ocean Freight');

    const rest = await (
      await api(`/knowledge-bases/${handbook}/search`, json({ query: 'business days', limit: 1 }))
    ).json();
    expect(rest.results).toHaveLength(1);
    expect(rest.results[0].document_name).toBe('shipping.docx');
  });

  it('answers in French from a French knowledge base added over MCP, waiting for ingestion', async () => {
    const added = await callOk(client, 'add_document', {
      knowledge_base_id: guide,
      name: 'livraison.md',
      content:
        '# Livraison\n\nLes commandes livrées en France arrivent en deux jours ouvrés.\n\n# Retours\n\nVous pouvez retourner un article pendant trente jours.',
      wait: true,
    });
    expect(added.document).toMatchObject({ status: 'ready', progress: 100 });
    const found = await callOk(client, 'kb_search', { knowledge_base_id: guide, query: 'commande livrée' });
    expect(found.results[0]).toMatchObject({
      document_name: 'livraison.md',
      location: { heading_path: ['Livraison'] },
    });
    const again = await callOk(client, 'add_document', {
      knowledge_base_id: guide,
      name: 'livraison.md',
      content:
        '# Livraison\n\nLes commandes livrées en France arrivent en deux jours ouvrés.\n\n# Retours\n\nVous pouvez retourner un article pendant trente jours.',
    });
    expect(again.unchanged).toBe(true);
  });

  for (const stateless of [false, true]) {
    it(`reports ingestion progress to an MCP client that asks for it (${stateless ? 'stateless' : 'session'} mode)`, async () => {
      const http = stateless
        ? await startHttpServer(
            { ...t.app, config: { ...t.app.config, mcp: { ...t.app.config.mcp, stateless: true } } },
            { port: 0 },
          )
        : server;
      const c = stateless ? await connectHttp(http.url, key) : client;
      const updates: { progress: number; total?: number; message?: string }[] = [];
      const result = await c.callTool(
        {
          name: 'add_document',
          arguments: {
            knowledge_base_id: guide,
            name: `progress-${stateless}.md`,
            content: '# Suivi\n\nLe suivi des colis est disponible en ligne.',
            wait: true,
          },
        },
        undefined,
        { onprogress: (p) => void updates.push(p) },
      );
      expect(result.isError).toBeFalsy();
      expect((result.structuredContent as { document: { status: string } }).document.status).toBe('ready');
      expect(updates.length).toBeGreaterThan(0);
      expect(updates.at(-1)).toMatchObject({ progress: 100, total: 100 });
      if (stateless) {
        await c.close();
        await http.close();
      }
    });
  }

  it('sends documents and queries to the embeddings provider in its wire format', async () => {
    if (EXPECTED_MODE !== 'hybrid') {
      expect(fake.requests).toEqual([]);
      return;
    }
    expect(fake.requests.some((r) => r.input_type === 'document' && r.input.some((i) => i.includes('refund')))).toBe(
      true,
    );
    expect(fake.requests.some((r) => r.input_type === 'query' && r.input[0] === 'refund within 30 days')).toBe(true);
    expect(fake.requests.every((r) => r.model === 'fake-embed-1' && r.authorization === 'Bearer test-embed-key')).toBe(
      true,
    );
  });

  it('refuses oversized, unsupported and mislabelled uploads with clear errors, storing nothing', async () => {
    const big = await upload(handbook, 'big.txt', 'text/plain', new Uint8Array(50 * 1024 * 1024 + 10).fill(65));
    expect(big.status).toBe(413);
    expect((await big.json()).error.code).toBe('file_too_large');
    const exe = await upload(handbook, 'tool.exe', 'application/octet-stream', new Uint8Array([0x4d, 0x5a]));
    expect(exe.status).toBe(400);
    expect((await exe.json()).error.message).toMatch(/Unsupported file type/);
    const fakePdf = await upload(handbook, 'fake.pdf', 'application/pdf', new TextEncoder().encode('hello'));
    expect(fakePdf.status).toBe(400);
    const names = (await (await api(`/knowledge-bases/${handbook}/documents`)).json()).documents.map(
      (d: { name: string }) => d.name,
    );
    expect(names.sort()).toEqual(['handbook.pdf', 'shipping.docx']);
  });

  it('reports a corrupt file as failed with the reason', async () => {
    const res = await upload(
      handbook,
      'corrupt.pdf',
      'application/pdf',
      new TextEncoder().encode('%PDF-1.4\n%%garbage that is not a pdf body'),
    );
    const doc = await waitReady(handbook, (await res.json()).document.id);
    expect(doc).toMatchObject({ status: 'failed', chunk_count: 0 });
    expect(doc.error).toMatch(/PDF/);
    const deleted = await api(`/knowledge-bases/${handbook}/documents/${doc.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
  });

  it('never shows one workspace the knowledge of another', async () => {
    const outsider = await connectHttp(server.url, otherKey);
    expect((await callOk(outsider, 'list_knowledge_bases')).knowledge_bases).toEqual([]);
    expect(await callErr(outsider, 'kb_search', { knowledge_base_id: handbook, query: 'refund' })).toMatch(
      /^not_found/,
    );
    expect((await callOk(outsider, 'kb_search', { query: 'refund' })).results).toEqual([]);
    expect(
      await callErr(outsider, 'add_document', { knowledge_base_id: handbook, name: 'x.md', content: 'x' }),
    ).toMatch(/^not_found/);
    const rest = await api(`/knowledge-bases/${handbook}/documents`, {}, otherKey);
    expect(rest.status).toBe(404);
    await outsider.close();
  });
});

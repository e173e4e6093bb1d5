import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers } from '../../src/workers.js';
import { type RunningServer, startHttpServer } from '../../src/transport/http/server.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp } from '../helpers/app.js';
import { makeDocx } from '../helpers/documents.js';
import { until } from '../helpers/wait.js';
import { docxBomb, pdfBomb } from '../domains/knowledge/ingest/bombs.js';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/**
 * Asks the server for /health over and over while something runs, as a monitor would: every
 * answer must come, none may be slow enough to look like a dead server, and this process (the
 * server's) must not balloon.
 */
function probe(url: string) {
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  let maxMs = 0;
  let answered = 0;
  const failures: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const res = await fetch(`${url}/api/v1/health`).catch((err: Error) => err);
      maxMs = Math.max(maxMs, performance.now() - started);
      if (res instanceof Error || res.status !== 200)
        failures.push(res instanceof Error ? res.message : `HTTP ${res.status}`);
      else answered++;
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return async () => {
    running = false;
    await loop;
    return { answered, failures, maxMs, rssGrowthMb: (peakRss - rssBefore) / 2 ** 20 };
  };
}

describe('decompression bombs uploaded over REST fail cleanly, and the server stays up', () => {
  let t: TestApp;
  let server: RunningServer;
  let key: string;
  let kb: string;

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}/api/v1${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${key}`, ...(init.headers ?? {}) },
    });
  const upload = async (name: string, type: string, bytes: Uint8Array) => {
    const form = new FormData();
    form.set('file', new Blob([Buffer.from(bytes)], { type }), name);
    const res = await api(`/knowledge-bases/${kb}/documents`, { method: 'POST', body: form });
    expect(res.status).toBe(201);
    return (await res.json()).document as { id: string };
  };
  const settled = (id: string) =>
    until(
      `document ${id} to finish processing`,
      async () => {
        const { document } = await (await api(`/knowledge-bases/${kb}/documents/${id}`)).json();
        return document.status !== 'processing' && document;
      },
      { timeout: 25_000, interval: 100 },
    );
  const attempts = async (id: string) =>
    (
      await sql<{
        state: string;
        retry_count: number;
      }>`select state, retry_count from pgboss.job where name = 'kb.ingest' and data->>'document_id' = ${id}`.execute(
        t.app.db,
      )
    ).rows;
  const search = async (query: string) =>
    (
      await (
        await api(`/knowledge-bases/${kb}/search`, {
          method: 'POST',
          body: JSON.stringify({ query }),
          headers: { 'content-type': 'application/json' },
        })
      ).json()
    ).results as { document_name: string }[];

  beforeAll(async () => {
    t = await createTestApp();
    await startWorkers(t.app);
    const org = await createOrg(t.app);
    key = await addKey(t.app, org, ['kb:read', 'kb:write'], [await addWorkspace(t.app, org, 'main')]);
    server = await startHttpServer(t.app, { port: 0 });
    const res = await api('/knowledge-bases', {
      method: 'POST',
      body: JSON.stringify({ name: 'Reports' }),
      headers: { 'content-type': 'application/json' },
    });
    kb = (await res.json()).knowledge_base.id;
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  it('fails a DOCX that expands to 300 MB, keeps the previous version searchable, and does not retry it', async () => {
    const good = await upload(
      'report.docx',
      DOCX,
      await makeDocx([{ heading: 'Revenue', paragraphs: ['Revenue grew by twelve percent in the northern region.'] }]),
    );
    expect(await settled(good.id)).toMatchObject({ status: 'ready' });

    const bomb = await docxBomb(300);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const stop = probe(server.url);
    const doc = await upload('report.docx', DOCX, bomb);
    expect(doc.id).toBe(good.id);
    const failed = await settled(doc.id);
    const health = await stop();

    expect(failed).toMatchObject({ status: 'failed', chunk_count: 1 });
    expect(failed.error).toMatch(/Word document \(DOCX\) expands to more than 100 MB/);
    expect(health.failures).toEqual([]);
    expect(health.answered).toBeGreaterThan(0);
    expect(health.maxMs).toBeLessThan(2000);
    expect(health.rssGrowthMb).toBeLessThan(200);
    // Two jobs for this document (the good version, then the bomb), each run once.
    expect(await attempts(doc.id)).toEqual([
      { state: 'completed', retry_count: 0 },
      { state: 'completed', retry_count: 0 },
    ]);
    expect((await search('revenue northern region'))[0]).toMatchObject({ document_name: 'report.docx' });
  });

  it('fails a PDF whose page content expands to 240 MB, quickly, while the server keeps answering', async () => {
    const bomb = await pdfBomb(240);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const stop = probe(server.url);
    const doc = await upload('quarterly.pdf', 'application/pdf', bomb);
    const failed = await settled(doc.id);
    const health = await stop();

    expect(failed).toMatchObject({ status: 'failed', chunk_count: 0 });
    expect(failed.error).toMatch(/PDF expands to more than 64 MB/);
    expect(health.failures).toEqual([]);
    expect(health.maxMs).toBeLessThan(2000);
    expect(health.rssGrowthMb).toBeLessThan(200);
    expect(await attempts(doc.id)).toEqual([{ state: 'completed', retry_count: 0 }]);
  });
});

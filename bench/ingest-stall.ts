/**
 * How long one large ingestion stalls the server on PGlite, which has a single connection on the
 * server's own thread: while a 24 MB Markdown document is ingested (the kb.ingest job body, as a
 * worker runs it), a cheap request (list_documents over REST) goes out every 20 ms; the slowest
 * answer is the stall a user would see. The upload (addDocument) and the deletion (delete_document
 * and the kb.purge job that follows it) are measured the same way. Latency counts from when the request was due, so a
 * blocked event loop counts too. See bench/README.md. Run with `npm run bench:ingest-stall`.
 *
 * Env knobs: BENCH_STALL_MB (24), BENCH_STALL_INTERVAL_MS (20), BENCH_STALL_BASELINE (a git ref:
 * also measure that commit's code, in a temporary worktree, side by side with this tree),
 * BENCH_STALL_TRACE=1 (print the slowest answers of each phase, with the document's progress then).
 * Internal: --measure runs one measurement in this tree and prints it as JSON.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pino from 'pino';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/adapters/db/connect.js';
import { addDocument, deleteDocument } from '../src/domains/knowledge/documents.service.js';
import { createKnowledgeBase } from '../src/domains/knowledge/bases.service.js';
import { ingestDocument } from '../src/domains/knowledge/ingest.job.js';
import { authenticateKey } from '../src/domains/tenancy/auth.js';
import { insertKey } from '../src/domains/tenancy/keys.service.js';
import { insertWorkspace, resolveWorkspace } from '../src/domains/tenancy/workspaces.service.js';
import { newId } from '../src/kernel/ids.js';
import { startHttpServer } from '../src/transport/http/server.js';
import { buildVocabulary, markdownDocument } from './kb/corpus.js';

const MB = Number(process.env.BENCH_STALL_MB ?? 24);
const INTERVAL_MS = Number(process.env.BENCH_STALL_INTERVAL_MS ?? 20);
const TARGET_MS = 200;
const TRACE = process.env.BENCH_STALL_TRACE === '1';
const log = (msg: string) => process.stderr.write(`[bench:ingest-stall] ${msg}\n`);

interface Phase {
  requests: number;
  maxMs: number;
  p99Ms: number;
  p50Ms: number;
  wallMs: number;
}
interface Measurement {
  tree: string;
  bytes: number;
  chunks: number;
  upload: Phase;
  ingest: Phase;
  /** delete_document, then (where the code has it) the kb.purge job that removes the chunks. */
  remove: Phase;
}

/** Sends `request` every INTERVAL_MS until `work` settles; latency counts from when each was due. */
async function underLoad(request: () => Promise<unknown>, work: () => Promise<void>, label = ''): Promise<Phase> {
  const latencies: number[] = [];
  const seen: { ms: number; at: number; answer: unknown }[] = [];
  let done = false;
  const started = performance.now();
  const prober = (async () => {
    for (let due = performance.now(); !done; ) {
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
      // Sent even when the work has just ended: a timer held back by a blocked event loop is the stall.
      // After a long block the server may have closed the idle keep-alive socket: then once more.
      const answer = await request().catch(() => request());
      const end = performance.now();
      latencies.push(end - due);
      seen.push({ ms: end - due, at: due - started, answer });
      due = Math.max(due + INTERVAL_MS, end);
    }
  })();
  await work().finally(() => {
    done = true;
  });
  const wallMs = performance.now() - started;
  await prober;
  // Where the slowest answers fell (and what the server said then, e.g. the ingestion's progress).
  if (TRACE)
    for (const w of seen.sort((a, b) => b.ms - a.ms).slice(0, 8))
      log(`${label} slow: ${Math.round(w.ms)} ms at +${Math.round(w.at)} ms, answer ${JSON.stringify(w.answer)}`);
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? Number.NaN;
  return { requests: latencies.length, maxMs: latencies.at(-1) ?? Number.NaN, p99Ms: at(0.99), p50Ms: at(0.5), wallMs };
}

async function measure(): Promise<Measurement> {
  const silent = pino({ level: 'silent' });
  const database = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
  // A request every 20 ms from one key is over any preset's limit: what is measured is the stall, not the limiter.
  const app = await createApp(
    loadConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', SWITCHBOARD_RATE_LIMITS: 'off' }),
    silent,
    {
      database,
      embeddings: null,
    },
  );
  const server = await startHttpServer(app, { port: 0 });
  try {
    const orgId = newId('org');
    await app.db
      .insertInto('organizations')
      .values({ id: orgId, name: 'Bench', created_at: app.clock.now() })
      .execute();
    const workspace = await insertWorkspace(app.db, app.clock, orgId, { name: 'main', slug: 'main' });
    const { secret } = await insertKey(app.db, orgId, app.clock.now(), {
      name: 'bench',
      scopes: ['*'],
      allWorkspaces: false,
      workspaceIds: [workspace.id],
      expiresAt: null,
    });
    const principal = (await authenticateKey(app.db, app.clock, secret))!;
    const ctx = {
      ...app,
      log: silent,
      requestId: 'bench',
      actor: { type: 'key' as const, id: principal.keyId },
      workspace: await resolveWorkspace(app.db, principal, workspace.id),
    };
    const kb = await createKnowledgeBase(ctx, { name: 'manuals' });
    const content = new TextEncoder().encode(markdownDocument(buildVocabulary(), 2026, MB * 1024 * 1024));
    const list = async () => {
      const res = await fetch(`${server.url}/api/v1/knowledge-bases/${kb.id}/documents?limit=5`, {
        headers: { authorization: `Bearer ${secret}` },
      });
      if (res.status !== 200) throw new Error(`list_documents answered ${res.status}`);
      const { documents } = (await res.json()) as { documents: { status: string; progress: number }[] };
      return documents.map((d) => `${d.status} ${d.progress}`).join(',');
    };
    for (let i = 0; i < 20; i++) await list(); // warm up the route, the key cache and the plan

    let documentId = '';
    const upload = await underLoad(
      list,
      async () => {
        documentId = (
          await addDocument(ctx, {
            knowledge_base_id: kb.id,
            name: 'manual.md',
            content,
            content_type: 'text/markdown',
          })
        ).document.id;
      },
      'upload',
    );
    const ingest = await underLoad(
      list,
      () =>
        ingestDocument(
          app,
          silent,
          { workspace_id: workspace.id, document_id: documentId },
          { attempt: 1, lastAttempt: false },
        ),
      'ingest',
    );
    const doc = await app.db
      .selectFrom('kb_documents')
      .select(['status', 'chunk_count', 'error'])
      .where('id', '=', documentId)
      .executeTakeFirstOrThrow();
    if (doc.status !== 'ready') throw new Error(`the document ended ${doc.status}: ${doc.error}`);
    // Older trees delete the chunks in the service's own transaction and have no purge job.
    const purge = await import('../src/domains/knowledge/purge.job.js' as string).catch(() => null);
    const remove = await underLoad(
      list,
      async () => {
        await deleteDocument(ctx, kb.id, documentId);
        await purge?.purgeKnowledge(
          app,
          silent,
          { workspace_id: workspace.id, document_id: documentId },
          { attempt: 1, lastAttempt: false },
        );
      },
      'delete',
    );
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from kb_chunks`.execute(app.db);
    if (rows[0]!.n !== 0) throw new Error(`${rows[0]!.n} chunks left after the deletion`);
    return { tree: '', bytes: content.length, chunks: doc.chunk_count, upload, ingest, remove };
  } finally {
    await server.close();
    await app.close();
  }
}

/** Runs --measure in `root` (a checkout of this repository) in a fresh process. */
function measureIn(root: string, label: string): Measurement {
  log(`measuring ${label} (${root})`);
  const script = path.join(root, 'bench', 'ingest-stall.ts');
  const child = spawnSync(process.execPath, ['--import', 'tsx', script, '--measure'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: process.env,
  });
  if (child.status !== 0) throw new Error(`${label}: measurement failed (exit ${child.status})`);
  return { ...(JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Measurement), tree: label };
}

/** A temporary worktree of `ref` holding this script (the older code has none) and our node_modules. */
function baselineTree(repo: string, ref: string): { root: string; remove(): void } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'sb-stall-'));
  rmSync(root, { recursive: true });
  execFileSync('git', ['-C', repo, 'worktree', 'add', '--detach', root, ref], { stdio: 'ignore' });
  const remove = () => execFileSync('git', ['-C', repo, 'worktree', 'remove', '--force', root], { stdio: 'ignore' });
  try {
    symlinkSync(path.join(repo, 'node_modules'), path.join(root, 'node_modules'));
    execFileSync('cp', [fileURLToPath(import.meta.url), path.join(root, 'bench', 'ingest-stall.ts')]);
  } catch (err) {
    remove();
    throw err;
  }
  return { root, remove };
}

const ms = (n: number) => `${Math.round(n)} ms`;

if (process.argv.includes('--measure')) {
  process.stdout.write(`${JSON.stringify(await measure())}\n`);
} else {
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const runs: Measurement[] = [];
  const baseline = process.env.BENCH_STALL_BASELINE;
  if (baseline) {
    const tree = baselineTree(repo, baseline);
    try {
      runs.push(measureIn(tree.root, `before (${baseline})`));
    } finally {
      tree.remove();
    }
  }
  runs.push(measureIn(repo, 'this tree'));
  const rows = runs.map(
    (r) =>
      `| ${r.tree} | ${r.chunks} | ${ms(r.ingest.wallMs)} | ${r.ingest.requests} | ${ms(r.ingest.p50Ms)} | ${ms(r.ingest.p99Ms)} | **${ms(r.ingest.maxMs)}** | ${ms(r.upload.wallMs)} | **${ms(r.upload.maxMs)}** | ${ms(r.remove.wallMs)} | **${ms(r.remove.maxMs)}** |`,
  );
  console.log(
    `${(runs[0]!.bytes / 2 ** 20).toFixed(1)} MB Markdown on in-memory PGlite, list_documents every ${INTERVAL_MS} ms, target max < ${TARGET_MS} ms; node ${process.version}, ${os.cpus().length} CPUs, load ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' / ')}\n`,
  );
  console.log(
    '| code | chunks | ingestion | requests | p50 | p99 | max (stall) | upload | max during upload | delete | max during delete |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  console.log(rows.join('\n'));
}

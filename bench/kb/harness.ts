/**
 * What the knowledge-base benchmarks share: a throwaway database of either kind, an App over it,
 * and a RequestContext built the way the registry builds one (as test/helpers/app.ts does; that
 * file is not imported because its database helper needs the vitest runner).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { authenticateKey } from '../../src/domains/tenancy/auth.js';
import type { RequestContext } from '../../src/kernel/context.js';
import { addDocument } from '../../src/domains/knowledge/documents.service.js';
import { ingestDocument } from '../../src/domains/knowledge/ingest.job.js';
import { newId } from '../../src/kernel/ids.js';
import { insertKey } from '../../src/domains/tenancy/keys.service.js';
import { insertWorkspace, resolveWorkspace } from '../../src/domains/tenancy/workspaces.service.js';
import { type DatabaseHandle, openDatabase } from '../../src/adapters/db/connect.js';
import type { Embedder } from '../../src/kernel/ports.js';

export const silentLog = pino({ level: 'silent' });
export type DbKind = 'pglite' | 'postgres';
/** The server the postgres runs create (and drop) their database on; trust auth assumed. */
export const PG_ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  handle: DatabaseHandle;
  /** Drops the PostgreSQL database (after the handle is closed); nothing for PGlite. */
  drop(): Promise<void>;
}

async function admin(statement: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

/** In-memory PGlite (with pgvector), or a fresh uniquely named PostgreSQL database. */
export async function openBenchDatabase(kind: DbKind): Promise<BenchDatabase> {
  if (kind === 'pglite')
    return { handle: await openDatabase({ kind: 'pglite', dataDir: 'memory://' }), drop: async () => {} };
  const name = `sb_bench_kb_${randomBytes(5).toString('hex')}`;
  await admin(`create database ${name}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const drop = () => admin(`drop database if exists ${name} with (force)`);
  try {
    return { handle: await openDatabase({ kind: 'postgres', url: url.toString(), poolSize: 10 }), drop };
  } catch (err) {
    await drop();
    throw err;
  }
}

export interface BenchApp {
  app: App;
  /** Context for workspace `main`. */
  ctx: RequestContext;
  /** Context for another workspace of the same organization. */
  otherWorkspace(): Promise<RequestContext>;
  close(): Promise<void>;
}

/** An App (migrated, job queue started, no workers) with one organization, workspace and key. */
export async function benchApp(kind: DbKind, embeddings: Embedder | null): Promise<BenchApp> {
  const database = await openBenchDatabase(kind);
  let app: App;
  try {
    app = await createApp(loadConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent' }), silentLog, {
      database: database.handle,
      embeddings,
    });
  } catch (err) {
    await database.drop();
    throw err;
  }
  const orgId = newId('org');
  await app.db.insertInto('organizations').values({ id: orgId, name: 'Bench', created_at: app.clock.now() }).execute();
  const contextIn = async (slug: string): Promise<RequestContext> => {
    const workspace = await insertWorkspace(app.db, app.clock, orgId, { name: slug, slug });
    const { secret } = await insertKey(app.db, orgId, app.clock.now(), {
      name: slug,
      scopes: ['*'],
      allWorkspaces: false,
      workspaceIds: [workspace.id],
      expiresAt: null,
    });
    const principal = await authenticateKey(app.db, app.clock, secret);
    if (!principal) throw new Error('bench key does not authenticate');
    const resolved = await resolveWorkspace(app.db, principal, workspace.id);
    return {
      ...app,
      log: silentLog,
      requestId: 'bench',
      actor: { type: 'key' as const, id: principal.keyId },
      workspace: resolved,
    };
  };
  let closed = false;
  return {
    app,
    ctx: await contextIn('main'),
    otherWorkspace: () => contextIn(`other-${randomBytes(3).toString('hex')}`),
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
      await database.drop();
    },
  };
}

/** Adds and ingests one document through the real path (addDocument, then the job body inline). */
export async function ingest(
  app: App,
  ctx: RequestContext,
  knowledgeBaseId: string,
  name: string,
  content: Uint8Array,
): Promise<{ documentId: string; chunks: number }> {
  const { document } = await addDocument(ctx, {
    knowledge_base_id: knowledgeBaseId,
    name,
    content,
    content_type: 'text/markdown',
  });
  await ingestDocument(
    app,
    silentLog,
    { workspace_id: ctx.workspace.id, document_id: document.id },
    { attempt: 1, lastAttempt: false },
  );
  const row = await app.db
    .selectFrom('kb_documents')
    .select(['status', 'chunk_count', 'error'])
    .where('workspace_id', '=', ctx.workspace.id)
    .where('id', '=', document.id)
    .executeTakeFirstOrThrow();
  if (row.status !== 'ready') throw new Error(`${name} ended ${row.status}: ${row.error}`);
  return { documentId: document.id, chunks: row.chunk_count };
}

/** The q-quantile (0..1) of an ascending-sorted array, nearest-rank method. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export const fmt = (n: number, digits = 1): string => (Number.isNaN(n) ? '—' : n.toFixed(digits));

export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

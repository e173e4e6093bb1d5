import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../adapters/db/schema.js';
import type { Services } from '../../kernel/context.js';
import type { JobContext, JobDefinition, JobPayloads } from '../../kernel/ports.js';
import { deleteGenerations, yieldToOthers } from './chunks.queries.js';
import { maintainSearchIndex } from './maintenance.queries.js';
import { deleteParts } from './parts.queries.js';

declare module '../../kernel/ports.js' {
  interface JobPayloads {
    /**
     * One of: a deleted document (`document_id`), a deleted knowledge base (`knowledge_base_id`), or
     * the parts of one upload (`document_id` and `upload`) unless its document points to them.
     */
    'kb.purge': { workspace_id: string; document_id?: string; knowledge_base_id?: string; upload?: string };
  }
}

/**
 * A document or knowledge base with its chunks held PGlite's only connection (and locks on
 * PostgreSQL) for as long as one cascading DELETE took. Deleting now marks the row deleted (every
 * read skips it from then on) and queues this job, which deletes the rest in short batches and the
 * row last: a crash part-way leaves only invisible rows, and the retried job picks up where it was.
 */
export interface PurgeOptions {
  /** Chunks per statement. */
  chunkBatch: number;
  /** Runs after each batch: tests stop the job there, as a crash would. */
  afterBatch?: () => Promise<void> | void;
}

const DEFAULTS: PurgeOptions = { chunkBatch: 1000 };

/** The `kb.purge` job; idempotent, so a retry after a crash, or a second delivery, is safe. */
export async function purgeKnowledge(
  services: Services,
  _log: Logger,
  data: JobPayloads['kb.purge'],
  _job: JobContext,
  options: Partial<PurgeOptions> = {},
): Promise<void> {
  const opts = { ...DEFAULTS, ...options };
  const { db } = services;
  const ws = data.workspace_id;
  if (data.document_id !== undefined && data.upload !== undefined) {
    const linked = await db
      .selectFrom('kb_documents')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('id', '=', data.document_id)
      .where('content_upload', '=', data.upload)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!linked) await deleteParts(db, ws, data.document_id, data.upload, opts.afterBatch ?? (() => {}));
    return;
  }
  if (data.document_id !== undefined) {
    await purgeDocument(db, ws, data.document_id, opts, { onlyDeleted: true });
    return;
  }
  if (data.knowledge_base_id === undefined) return;
  const kb = await db
    .selectFrom('knowledge_bases')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('id', '=', data.knowledge_base_id)
    .where('deleted_at', 'is not', null)
    .executeTakeFirst();
  if (!kb) return;
  // Every document of the base, marked or not: one added while the base was being deleted goes too.
  for (;;) {
    const docs = await db
      .selectFrom('kb_documents')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('knowledge_base_id', '=', kb.id)
      .limit(100)
      .execute();
    if (!docs.length) break;
    for (const doc of docs) await purgeDocument(db, ws, doc.id, opts, { onlyDeleted: false });
  }
  await db.deleteFrom('knowledge_bases').where('workspace_id', '=', ws).where('id', '=', kb.id).execute();
}

async function purgeDocument(
  db: Kysely<Database>,
  ws: string,
  documentId: string,
  opts: PurgeOptions,
  { onlyDeleted }: { onlyDeleted: boolean },
): Promise<void> {
  let doc = db.selectFrom('kb_documents').select('id').where('workspace_id', '=', ws).where('id', '=', documentId);
  if (onlyDeleted) doc = doc.where('deleted_at', 'is not', null);
  if (!(await doc.executeTakeFirst())) return;
  const deleted = await deleteGenerations(db, ws, documentId, 'all', {
    batch: opts.chunkBatch,
    afterBatch: opts.afterBatch,
  });
  await deleteParts(db, ws, documentId, undefined, opts.afterBatch ?? (() => {}));
  await yieldToOthers();
  // Last, and small by now: only a file stored before kb_document_parts still sits in the row.
  await db.deleteFrom('kb_documents').where('workspace_id', '=', ws).where('id', '=', documentId).execute();
  await maintainSearchIndex(db, { written: 0, deleted });
}

export const purgeJob: JobDefinition<'kb.purge'> = { name: 'kb.purge', run: purgeKnowledge };

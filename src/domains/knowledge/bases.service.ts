import { sql } from 'kysely';
import { transact } from '../../kernel/transact.js';
import type { RequestContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { appendEvent } from '../../kernel/outbox.js';
import { newId } from '../../kernel/ids.js';
import { markDocumentsDeleted } from './documents.queries.js';

export interface KnowledgeBase {
  id: string;
  name: string;
  description: string | null;
  /** The PostgreSQL text-search configuration (`english`, `french`, `simple`, ...). */
  language: string;
  chunk_size: number;
  chunk_overlap: number;
  /** Groups of words or phrases that kb_search treats as one another. */
  synonyms: string[][];
  document_count: number;
  created_at: string;
  updated_at: string;
}

export const DEFAULT_CHUNK_SIZE = 1200;
export const DEFAULT_CHUNK_OVERLAP = 150;

const COLUMNS = [
  'kb.id',
  'kb.name',
  'kb.description',
  'kb.language',
  'kb.chunk_size',
  'kb.chunk_overlap',
  'kb.synonyms',
  'kb.created_at',
  'kb.updated_at',
] as const;

type KbRow = Omit<KnowledgeBase, 'document_count' | 'created_at' | 'updated_at'> & {
  created_at: Date;
  updated_at: Date;
  document_count: string | number | null;
};

function toKnowledgeBase(row: KbRow): KnowledgeBase {
  return {
    ...row,
    document_count: Number(row.document_count),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

function selectKnowledgeBases(ctx: RequestContext) {
  return ctx.db
    .selectFrom('knowledge_bases as kb')
    .select(COLUMNS)
    .select((eb) =>
      eb
        .selectFrom('kb_documents as d')
        .whereRef('d.workspace_id', '=', 'kb.workspace_id')
        .whereRef('d.knowledge_base_id', '=', 'kb.id')
        .where('d.deleted_at', 'is', null)
        .select((e) => e.fn.countAll<string>().as('n'))
        .as('document_count'),
    )
    .where('kb.workspace_id', '=', ctx.workspace.id)
    .where('kb.deleted_at', 'is', null);
}

/** Checks a language against the text-search configurations the database has. */
async function checkLanguage(ctx: RequestContext, language: string): Promise<void> {
  const { rows } = await sql<{ cfgname: string }>`select cfgname from pg_ts_config order by cfgname`.execute(ctx.db);
  if (!rows.some((r) => r.cfgname === language)) {
    throw new AppError(
      'invalid_request',
      `language "${language}" is not available; use one of ${rows.map((r) => r.cfgname).join(', ')}`,
      { param: 'language' },
    );
  }
}

function checkChunking(size: number, overlap: number): void {
  if (overlap >= size / 2)
    throw new AppError('invalid_request', 'chunk_overlap must be less than half of chunk_size', {
      param: 'chunk_overlap',
    });
}

export interface KnowledgeBaseInput {
  name: string;
  description?: string | null | undefined;
  language?: string | undefined;
  chunk_size?: number | undefined;
  chunk_overlap?: number | undefined;
  synonyms?: string[][] | undefined;
}

/**
 * Trims and de-duplicates synonym groups (case- and accent-insensitively, as search compares them);
 * a group must keep two different entries, each holding a letter or digit.
 */
export function normalizeSynonyms(groups: string[][]): string[][] {
  const key = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  return groups.map((group, i) => {
    const seen = new Set<string>();
    const kept = group
      .map((s) => s.trim().replace(/\s+/g, ' '))
      .filter((s) => {
        const k = key(s);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    if (kept.length < 2 || kept.some((s) => !/[\p{L}\p{N}]/u.test(s)))
      throw new AppError(
        'invalid_request',
        `synonyms[${i}] must hold at least two different words or phrases, each with a letter or digit`,
        { param: 'synonyms' },
      );
    return kept;
  });
}

/** Creates a knowledge base. */
export async function createKnowledgeBase(ctx: RequestContext, input: KnowledgeBaseInput): Promise<KnowledgeBase> {
  const language = input.language ?? 'english';
  const chunkSize = input.chunk_size ?? DEFAULT_CHUNK_SIZE;
  const overlap = input.chunk_overlap ?? DEFAULT_CHUNK_OVERLAP;
  await checkLanguage(ctx, language);
  checkChunking(chunkSize, overlap);
  const now = ctx.clock.now();
  const id = newId('kb', now);
  await transact(ctx.db, async (trx) => {
    await trx
      .insertInto('knowledge_bases')
      .values({
        workspace_id: ctx.workspace.id,
        id,
        name: input.name,
        description: input.description ?? null,
        language,
        chunk_size: chunkSize,
        chunk_overlap: overlap,
        synonyms: JSON.stringify(normalizeSynonyms(input.synonyms ?? [])),
        created_at: now,
        updated_at: now,
      })
      .execute();
    await appendEvent(trx, ctx, 'knowledge_base.created', { knowledge_base_id: id, name: input.name }, { at: now });
  });
  return getKnowledgeBase(ctx, id);
}

/** Knowledge bases of the workspace, oldest first. */
export async function listKnowledgeBases(ctx: RequestContext): Promise<KnowledgeBase[]> {
  return (await selectKnowledgeBases(ctx).orderBy('kb.created_at').orderBy('kb.id').execute()).map(toKnowledgeBase);
}

export async function getKnowledgeBase(ctx: RequestContext, id: string): Promise<KnowledgeBase> {
  const row = await selectKnowledgeBases(ctx).where('kb.id', '=', id).executeTakeFirst();
  if (!row) throw new AppError('not_found', `Knowledge base ${id} not found`, { param: 'knowledge_base_id' });
  return toKnowledgeBase(row);
}

/**
 * Changes name, description, language, chunking or synonyms. A new language or chunking applies to
 * documents added or re-ingested afterwards (the existing index is left as it was); synonyms apply
 * to the next search.
 */
export async function updateKnowledgeBase(
  ctx: RequestContext,
  id: string,
  input: Partial<KnowledgeBaseInput>,
): Promise<KnowledgeBase> {
  const current = await getKnowledgeBase(ctx, id);
  if (input.language !== undefined) await checkLanguage(ctx, input.language);
  checkChunking(input.chunk_size ?? current.chunk_size, input.chunk_overlap ?? current.chunk_overlap);
  const { synonyms, ...rest } = input;
  const changes: Record<string, unknown> = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  if (synonyms !== undefined) changes.synonyms = JSON.stringify(normalizeSynonyms(synonyms));
  if (Object.keys(changes).length) {
    await ctx.db
      .updateTable('knowledge_bases')
      .set({ ...changes, updated_at: ctx.clock.now() })
      .where('workspace_id', '=', ctx.workspace.id)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .execute();
  }
  return getKnowledgeBase(ctx, id);
}

/**
 * Deletes a knowledge base with its documents: they disappear from every read and search at once;
 * the kb.purge job removes their chunks and files in short batches afterwards.
 */
export async function deleteKnowledgeBase(ctx: RequestContext, id: string): Promise<KnowledgeBase> {
  const kb = await getKnowledgeBase(ctx, id);
  await transact(ctx.db, async (trx) => {
    const now = ctx.clock.now();
    const marked = await trx
      .updateTable('knowledge_bases')
      .set({ deleted_at: now })
      .where('workspace_id', '=', ctx.workspace.id)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!marked) throw new AppError('not_found', `Knowledge base ${id} not found`, { param: 'knowledge_base_id' });
    await markDocumentsDeleted(trx, ctx.workspace.id, { knowledgeBaseId: id }, now).execute();
    await ctx.jobs.enqueue(trx, 'kb.purge', { workspace_id: ctx.workspace.id, knowledge_base_id: id });
    await appendEvent(trx, ctx, 'knowledge_base.deleted', { knowledge_base_id: id, name: kb.name }, { at: now });
  });
  return kb;
}

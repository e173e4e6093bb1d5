import { type Kysely, sql } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';
import type { RequestContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';

export interface SearchResult {
  chunk_id: string;
  content: string;
  /** 0-1, higher is better; comparable within one response. */
  score: number;
  /** The best-matching passage with matches wrapped in ** **. */
  snippet: string;
  document_id: string;
  document_name: string;
  knowledge_base_id: string;
  /** Where the passage is, for citations: page, heading_path, rows, json_path as they apply. */
  location: Record<string, unknown>;
}

export interface SearchInput {
  knowledge_base_id?: string | undefined;
  query: string;
  limit?: number | undefined;
  document_ids?: string[] | undefined;
}

export interface SearchResponse {
  /** `hybrid` when embeddings were fused with full-text results, else `fulltext`. */
  mode: 'fulltext' | 'hybrid';
  results: SearchResult[];
}

// Reciprocal rank fusion's usual constant: damps the weight of the very first ranks.
const RRF_K = 60;
// Ranking reads every matching chunk from the heap (~1 ms per 300 on a 2-core machine), so a query
// matching much of a large knowledge base (a common word, a short prefix, the any-term fallback)
// would take hundreds of ms. Past this many matches the query says too little for a full ranking
// to matter: rank the first ones found.
const MAX_RANKED = 1000;
const HEADLINE_OPTIONS = 'StartSel=**, StopSel=**, MaxWords=35, MinWords=15, MaxFragments=2, FragmentDelimiter=" … "';

interface Candidate {
  id: string;
  rank: number;
}

/**
 * Words ending in `*` become prefix terms; the rest is read like a web search box ("quoted
 * phrase", -excluded, or). All terms must match; when nothing does, any term may.
 */
export function tsQuery(language: string, query: string, mode: 'all' | 'any') {
  const prefixes = [...query.matchAll(/([\p{L}\p{N}]+)\*/gu)].map((m) => m[1]!.toLowerCase());
  const rest = query.replace(/[\p{L}\p{N}]+\*/gu, ' ').trim();
  const parts = [];
  if (rest) {
    parts.push(
      mode === 'all'
        ? sql`websearch_to_tsquery(${language}::regconfig, ${rest})`
        : sql`replace(websearch_to_tsquery(${language}::regconfig, ${rest})::text, '&', '|')::tsquery`,
    );
  }
  for (const p of prefixes) parts.push(sql`to_tsquery(${language}::regconfig, ${`${p}:*`})`);
  if (!parts.length) return null;
  return sql.join(parts, sql.raw(mode === 'all' ? ' && ' : ' || '));
}

// Only chunks of their document's current generation are visible: an ingestion writes the next
// generation beside the current one and switches over in one step (see chunks.queries.ts).
async function fullTextCandidates(
  db: Kysely<Database>,
  workspaceId: string,
  kbIds: string[],
  language: string,
  query: string,
  documentIds: string[] | undefined,
  n: number,
  mode: 'all' | 'any',
): Promise<Candidate[]> {
  const q = tsQuery(language, query, mode);
  if (!q) return [];
  const { rows } = await sql<Candidate>`
    select m.id, ts_rank_cd(m.tsv, m.query, 32) as rank
    from (
      select c.id, c.tsv, q.query
      from kb_chunks c
      join kb_documents d on d.workspace_id = c.workspace_id and d.id = c.document_id and d.generation = c.generation,
      (select ${q} as query) q
      where c.workspace_id = ${workspaceId}
        and c.knowledge_base_id in (${sql.join(kbIds)})
        ${documentIds?.length ? sql`and c.document_id in (${sql.join(documentIds)})` : sql``}
        and c.tsv @@ q.query
      limit ${MAX_RANKED}
    ) m
    order by rank desc, m.id
    limit ${n}`.execute(db);
  return rows.map((r) => ({ id: r.id, rank: Number(r.rank) }));
}

async function vectorCandidates(
  db: Kysely<Database>,
  workspaceId: string,
  model: string,
  vector: number[],
  kbIds: string[],
  documentIds: string[] | undefined,
  n: number,
): Promise<Candidate[]> {
  const { rows } = await sql<Candidate>`
    select e.chunk_id as id, 1 - (e.embedding <=> ${JSON.stringify(vector)}::vector) as rank
    from kb_chunk_embeddings e
    join kb_chunks c on c.workspace_id = e.workspace_id and c.id = e.chunk_id
      ${documentIds?.length ? sql`and c.document_id in (${sql.join(documentIds)})` : sql``}
    join kb_documents d on d.workspace_id = c.workspace_id and d.id = c.document_id and d.generation = c.generation
    where e.workspace_id = ${workspaceId} and e.knowledge_base_id in (${sql.join(kbIds)}) and e.model = ${model}
    order by e.embedding <=> ${JSON.stringify(vector)}::vector
    limit ${n}`.execute(db);
  return rows.map((r) => ({ id: r.id, rank: Number(r.rank) }));
}

/** Reciprocal rank fusion, scaled so a chunk ranked first in every list scores 1. */
function fuse(lists: Candidate[][]): Candidate[] {
  const scores = new Map<string, number>();
  for (const list of lists) {
    for (const [i, c] of list.entries()) scores.set(c.id, (scores.get(c.id) ?? 0) + 1 / (RRF_K + i + 1));
  }
  const max = lists.length / (RRF_K + 1);
  return [...scores]
    .map(([id, s]) => ({ id, rank: s / max }))
    .sort((a, b) => b.rank - a.rank || (a.id < b.id ? -1 : 1));
}

/** Searches the workspace's knowledge bases (or one) for passages answering `query`. */
export async function searchKnowledgeBases(ctx: RequestContext, input: SearchInput): Promise<SearchResponse> {
  const query = input.query.trim();
  if (!query) throw new AppError('invalid_request', 'query is empty', { param: 'query' });
  checkQueryBounds(query);
  const limit = input.limit ?? 5;
  const kbs = await searchedKnowledgeBases(ctx, input.knowledge_base_id);
  if (!kbs.length) return { mode: 'fulltext', results: [] };
  const byLanguage = new Map<string, string[]>();
  for (const kb of kbs) byLanguage.set(kb.language, [...(byLanguage.get(kb.language) ?? []), kb.id]);
  const embedder = ctx.embeddings;
  // Fetched before the search takes a slot and a transaction: neither waits on a network call.
  const vector = embedder ? (await embedder.embed([query], 'query'))[0] : undefined;
  const mode = embedder ? 'hybrid' : 'fulltext';

  const results = await ctx.search.gate.run(ctx.workspace.organization_id, () =>
    withStatementTimeout(ctx, async (trx) => {
      const pool = Math.max(limit * 4, 20);
      const lexicalIn = async (mode: 'all' | 'any') =>
        (
          await Promise.all(
            [...byLanguage].map(([language, ids]) =>
              fullTextCandidates(trx, ctx.workspace.id, ids, language, query, input.document_ids, pool, mode),
            ),
          )
        ).flat();
      // Any term only when no knowledge base has a passage with all of them: a per-language fallback
      // would mix weak matches from one language with strong ones from another, and cost a wide scan.
      let lexical = await lexicalIn('all');
      if (!lexical.length) lexical = await lexicalIn('any');
      lexical.sort((a, b) => b.rank - a.rank);
      const ranked =
        embedder && vector
          ? fuse([
              lexical,
              await vectorCandidates(
                trx,
                ctx.workspace.id,
                embedder.model,
                vector,
                kbs.map((k) => k.id),
                input.document_ids,
                pool,
              ),
            ])
          : lexical;
      const top = ranked.slice(0, limit);
      return top.length ? withSnippets(trx, ctx.workspace.id, top, byLanguage, query) : [];
    }),
  );
  return { mode, results };
}

/**
 * Every word costs an index lookup and a share of the ranking, a prefix term a scan of the index
 * range it opens: a few hundred of them made one search take seconds. Bounded here with a message
 * that says what to change.
 */
export const MAX_QUERY_WORDS = 32;
export const MAX_PREFIX_TERMS = 5;

function checkQueryBounds(query: string): void {
  const words = query.match(/[\p{L}\p{N}]+/gu)?.length ?? 0;
  if (words > MAX_QUERY_WORDS) {
    throw new AppError(
      'invalid_request',
      `query has ${words} words; at most ${MAX_QUERY_WORDS} are searched: keep the words that matter`,
      { param: 'query' },
    );
  }
  const prefixes = query.match(/[\p{L}\p{N}]+\*/gu)?.length ?? 0;
  if (prefixes > MAX_PREFIX_TERMS) {
    throw new AppError(
      'invalid_request',
      `query has ${prefixes} prefix terms (word*); at most ${MAX_PREFIX_TERMS} are accepted`,
      { param: 'query' },
    );
  }
}

/**
 * Runs `fn` in a transaction whose statements are cancelled after `ctx.search.timeoutMs`: a search
 * too costly for the data it meets stops with a clear error instead of holding a connection.
 * (PGlite runs a statement to its end: there, the bounds and the gate do the work.)
 */
async function withStatementTimeout<T>(ctx: RequestContext, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  const ms = ctx.search.timeoutMs;
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      await sql`select set_config('statement_timeout', ${String(ms)}, true)`.execute(trx);
      return fn(trx);
    });
  } catch (err) {
    // 57014 query_canceled: the statement timeout fired.
    if ((err as { code?: unknown }).code !== '57014') throw err;
    throw new AppError(
      'invalid_request',
      `The search took longer than ${ms} ms and was stopped: use fewer or more specific words and fewer prefix* terms, or search one knowledge base (knowledge_base_id) or some documents (filters.document_ids)`,
      { param: 'query' },
    );
  }
}

/** Id and language of the knowledge bases searched (all of the workspace's, or the one named). */
async function searchedKnowledgeBases(
  ctx: RequestContext,
  id: string | undefined,
): Promise<{ id: string; language: string }[]> {
  let q = ctx.db
    .selectFrom('knowledge_bases')
    .select(['id', 'language'])
    .where('workspace_id', '=', ctx.workspace.id)
    .where('deleted_at', 'is', null);
  if (id !== undefined) q = q.where('id', '=', id);
  const rows = await q.orderBy('created_at').orderBy('id').execute();
  if (id !== undefined && !rows.length)
    throw new AppError('not_found', `Knowledge base ${id} not found`, { param: 'knowledge_base_id' });
  return rows;
}

/**
 * The chunks ranked `top`, with document names and highlighted passages: one statement per
 * language, ts_headline computed only for these rows (it is costly).
 */
async function withSnippets(
  db: Kysely<Database>,
  workspaceId: string,
  top: Candidate[],
  kbsByLanguage: Map<string, string[]>,
  query: string,
): Promise<SearchResult[]> {
  const ids = top.map((t) => t.id);
  const found = new Map<string, Omit<SearchResult, 'score' | 'snippet'> & { snippet: string | null }>();
  for (const [language, kbIds] of kbsByLanguage) {
    const q = tsQuery(language, query, 'any');
    const { rows } = await sql<Omit<SearchResult, 'score' | 'snippet'> & { snippet: string | null }>`
      select c.id as chunk_id, c.content, c.location, c.document_id, c.knowledge_base_id, d.name as document_name,
        ${q ? sql`ts_headline(${language}::regconfig, c.content, ${q}, ${HEADLINE_OPTIONS})` : sql`null`} as snippet
      from kb_chunks c join kb_documents d on d.workspace_id = c.workspace_id and d.id = c.document_id and d.generation = c.generation
      where c.workspace_id = ${workspaceId} and c.knowledge_base_id in (${sql.join(kbIds)}) and c.id in (${sql.join(ids)})`.execute(
      db,
    );
    for (const r of rows) found.set(r.chunk_id, r);
    if (found.size === ids.length) break;
  }
  return top.flatMap((t) => {
    const c = found.get(t.id);
    if (!c) return [];
    const score = Math.round(Math.min(1, Math.max(0, t.rank)) * 1e4) / 1e4;
    const snippet = c.snippet ?? c.content.slice(0, 240);
    return [
      {
        chunk_id: c.chunk_id,
        content: c.content,
        score,
        snippet,
        document_id: c.document_id,
        document_name: c.document_name,
        knowledge_base_id: c.knowledge_base_id,
        location: c.location,
      },
    ];
  });
}

import { type Kysely, sql } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';
import type { RequestContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { type SearchTerms, type Unit, parseQuery, searchTerms } from './search-terms.js';
import { snippetsFor } from './snippets.js';

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
// matching much of a large knowledge base (a common word, a short prefix) would take hundreds of ms.
// Past this many matches the query says too little for a full ranking to matter: rank the first
// ones found, and, found apart, those holding every word.
const MAX_RANKED = 1000;
const MAX_ALL_TERMS = 200;
// Ranking weights: a word matched only loosely (prefix, joined to its neighbour) counts this much
// of an exact stem match; a match in the passage's headings counts this much more.
const LOOSE = 0.6;
const HEADING = 1.25;

interface Candidate {
  id: string;
  rank: number;
}

interface Scope {
  workspaceId: string;
  kbIds: string[];
  documentIds: string[] | undefined;
  /** Chunks searched, for the rarity of each word (inverse document frequency). */
  chunks: number;
}

/** The same tsquery restricted to heading matches (weight A). */
const inHeadings = (q: string) =>
  q.replace(/('(?:[^']|'')*')(:\*)?/g, (_, lex: string, star?: string) => `${lex}:${star ? '*' : ''}A`);

/**
 * Passages holding any of the query's units, ranked by how many of them they hold weighted by each
 * one's rarity (a BM25-like idf over the chunks searched), exact stems over loose matches, headings
 * over body, then by ts_rank_cd (proximity). Only chunks of their document's current generation are
 * visible: an ingestion writes the next generation beside the current one and switches over in one
 * step (see chunks.queries.ts).
 */
async function fullTextCandidates(
  db: Kysely<Database>,
  scope: Scope,
  terms: SearchTerms,
  n: number,
): Promise<Candidate[]> {
  const { units } = terms;
  if (!units.length) return [];
  const any = units.map((u) => `(${u.loose})`).join(' | ');
  const all = units.map((u) => `(${u.exact})`).join(' & ');
  const matching = (q: string, cap: number) => sql`
    select c.id, c.tsv from kb_chunks c
    join kb_documents d on d.workspace_id = c.workspace_id and d.id = c.document_id and d.generation = c.generation
    where c.workspace_id = ${scope.workspaceId}
      and c.knowledge_base_id in (${sql.join(scope.kbIds)})
      ${scope.documentIds?.length ? sql`and c.document_id in (${sql.join(scope.documentIds)})` : sql``}
      and c.tsv @@ ${q}::tsquery
      ${terms.excluded ? sql`and not (c.tsv @@ ${terms.excluded}::tsquery)` : sql``}
    limit ${cap}`;
  const flags = (f: (u: Unit) => string) => sql.join(units.map((u) => sql`tsv @@ ${f(u)}::tsquery`));
  const at = (i: number) => sql.lit(i + 1);
  const idf = units.map(
    (_, i) =>
      sql`case when hit[${at(i)}] then ln(1 + (${scope.chunks}::float8 - df[${at(i)}] + 0.5) / (df[${at(i)}] + 0.5)) else 0 end`,
  );
  const { rows } = await sql<{
    id: string;
    hit: boolean[];
    exact: boolean[];
    head: boolean[];
    df: number[];
    cd: number;
  }>`
    with m as (
      select distinct on (id) id, tsv from (
        ${units.length > 1 ? sql`(${matching(all, MAX_ALL_TERMS)}) union all` : sql``}
        (${matching(any, MAX_RANKED)})
      ) found
    ), f as (
      select id, tsv, array[${flags((u) => u.loose)}] as hit from m
    ), d as (
      select id, tsv, hit, array[${sql.join(units.map((_, i) => sql`sum(hit[${at(i)}]::int) over ()`))}]::float8[] as df
      from f
    ), top as (
      select id, tsv, hit, df from d order by ${sql.join(idf, sql` + `)} desc, id limit ${Math.max(n, 50)}
    )
    -- Computed for the few rows kept only: the flags and ts_rank_cd cost per row and per unit.
    select id, hit, df, array[${flags((u) => u.exact)}] as exact, array[${flags((u) => inHeadings(u.loose))}] as head,
      ts_rank_cd(tsv, ${any}::tsquery, 32) as cd
    from top
    `.execute(db);
  const weights = rows[0]?.df.map((df) => Math.log(1 + (Math.max(scope.chunks, df) - df + 0.5) / (df + 0.5))) ?? [];
  const best = weights.reduce((a, w) => a + w * HEADING, 0) || 1;
  return rows
    .map((r) => {
      const raw = weights.reduce(
        (a, w, i) => a + w * (r.exact[i] ? 1 : r.hit[i] ? LOOSE : 0) * (r.head[i] ? HEADING : 1),
        0,
      );
      return { id: r.id, rank: 0.9 * (raw / best) + 0.1 * Number(r.cd) };
    })
    .sort((a, b) => b.rank - a.rank || (a.id < b.id ? -1 : 1))
    .slice(0, n);
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
  const scope: Scope = {
    workspaceId: ctx.workspace.id,
    kbIds: kbs.map((k) => k.id),
    documentIds: input.document_ids,
    chunks: kbs.reduce((a, k) => a + Number(k.chunks), 0),
  };
  const languages = [...new Set(kbs.flatMap((k) => [k.language, ...k.languages]))];
  const synonyms = kbs.flatMap((k) => k.synonyms);
  const embedder = ctx.embeddings;
  // Fetched before the search takes a slot and a transaction: neither waits on a network call.
  const vector = embedder ? (await embedder.embed([query], 'query'))[0] : undefined;
  const mode = embedder ? 'hybrid' : 'fulltext';

  const results = await ctx.search.gate.run(ctx.workspace.organization_id, () =>
    withStatementTimeout(ctx, async (trx) => {
      const pool = Math.max(limit * 4, 20);
      const terms = await searchTerms(trx, parseQuery(query), languages, synonyms);
      const lexical = await fullTextCandidates(trx, scope, terms, pool);
      const ranked =
        embedder && vector
          ? fuse([
              lexical,
              await vectorCandidates(
                trx,
                ctx.workspace.id,
                embedder.model,
                vector,
                scope.kbIds,
                input.document_ids,
                pool,
              ),
            ])
          : lexical;
      const top = ranked.slice(0, limit);
      return top.length ? withSnippets(trx, ctx.workspace.id, top, terms.highlight) : [];
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

/**
 * The knowledge bases searched (all of the workspace's, or the one named), with the languages their
 * documents were indexed in, their synonyms and how many chunks they hold.
 */
async function searchedKnowledgeBases(
  ctx: RequestContext,
  id: string | undefined,
): Promise<{ id: string; language: string; languages: string[]; synonyms: string[][]; chunks: number | string }[]> {
  const { rows } = await sql<{
    id: string;
    language: string;
    languages: string[];
    synonyms: string[][];
    chunks: number | string;
  }>`
    select kb.id, kb.language, kb.synonyms,
      array(select distinct d.language from kb_documents d
        where d.workspace_id = kb.workspace_id and d.knowledge_base_id = kb.id and d.deleted_at is null
          and d.language is not null) as languages,
      (select coalesce(sum(d.chunk_count), 0) from kb_documents d
        where d.workspace_id = kb.workspace_id and d.knowledge_base_id = kb.id and d.deleted_at is null) as chunks
    from knowledge_bases kb
    where kb.workspace_id = ${ctx.workspace.id} and kb.deleted_at is null
      ${id !== undefined ? sql`and kb.id = ${id}` : sql``}
    order by kb.created_at, kb.id`.execute(ctx.db);
  if (id !== undefined && !rows.length)
    throw new AppError('not_found', `Knowledge base ${id} not found`, { param: 'knowledge_base_id' });
  return rows;
}

type ChunkRow = Omit<SearchResult, 'score' | 'snippet'> & { language: string };

/** The chunks ranked `top`, with document names and a highlighted passage of each (see snippets.ts). */
async function withSnippets(
  db: Kysely<Database>,
  workspaceId: string,
  top: Candidate[],
  highlight: Set<string>,
): Promise<SearchResult[]> {
  const { rows } = await sql<ChunkRow>`
    select c.id as chunk_id, c.content, c.location, c.document_id, c.knowledge_base_id, d.name as document_name,
      coalesce(d.language, kb.language) as language
    from kb_chunks c
    join kb_documents d on d.workspace_id = c.workspace_id and d.id = c.document_id and d.generation = c.generation
    join knowledge_bases kb on kb.workspace_id = c.workspace_id and kb.id = c.knowledge_base_id
    where c.workspace_id = ${workspaceId} and c.id in (${sql.join(top.map((t) => t.id))})`.execute(db);
  const found = new Map(rows.map((r) => [r.chunk_id, r]));
  const chunks = top.flatMap((t) => {
    const c = found.get(t.id);
    return c ? [{ c, rank: t.rank }] : [];
  });
  const snippets = await snippetsFor(
    db,
    chunks.map(({ c }) => c),
    highlight,
  );
  return chunks.map(({ c, rank }, i) => ({
    chunk_id: c.chunk_id,
    content: c.content,
    score: Math.round(Math.min(1, Math.max(0, rank)) * 1e4) / 1e4,
    snippet: snippets[i]!,
    document_id: c.document_id,
    document_name: c.document_name,
    knowledge_base_id: c.knowledge_base_id,
    location: c.location,
  }));
}

import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';
import type { RequestContext } from './context.js';
import { AppError } from './errors.js';
import { getKnowledgeBase, listKnowledgeBases } from './knowledge-bases.js';

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
const HEADLINE_OPTIONS = 'StartSel=**, StopSel=**, MaxWords=35, MinWords=15, MaxFragments=2, FragmentDelimiter=" … "';

interface Candidate {
  id: string;
  rank: number;
}

/**
 * Words ending in `*` become prefix terms; the rest is read like a web search box ("quoted
 * phrase", -excluded, or). All terms must match; when nothing does, any term may.
 */
function tsQuery(language: string, query: string, mode: 'all' | 'any') {
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

async function fullTextCandidates(db: Kysely<Database>, workspaceId: string, kbIds: string[], language: string, query: string, documentIds: string[] | undefined, n: number): Promise<Candidate[]> {
  for (const mode of ['all', 'any'] as const) {
    const q = tsQuery(language, query, mode);
    if (!q) return [];
    const { rows } = await sql<Candidate>`
      select c.id, ts_rank_cd(c.tsv, q.query, 32) as rank
      from kb_chunks c, (select ${q} as query) q
      where c.workspace_id = ${workspaceId}
        and c.knowledge_base_id in (${sql.join(kbIds)})
        ${documentIds?.length ? sql`and c.document_id in (${sql.join(documentIds)})` : sql``}
        and c.tsv @@ q.query
      order by rank desc, c.id
      limit ${n}`.execute(db);
    if (rows.length) return rows.map((r) => ({ id: r.id, rank: Number(r.rank) }));
  }
  return [];
}

async function vectorCandidates(ctx: RequestContext, kbIds: string[], query: string, documentIds: string[] | undefined, n: number): Promise<Candidate[]> {
  const embedder = ctx.embeddings!;
  const [vector] = await embedder.embed([query], 'query');
  const { rows } = await sql<Candidate>`
    select e.chunk_id as id, 1 - (e.embedding <=> ${JSON.stringify(vector)}::vector) as rank
    from kb_chunk_embeddings e
    ${documentIds?.length ? sql`join kb_chunks c on c.workspace_id = e.workspace_id and c.id = e.chunk_id and c.document_id in (${sql.join(documentIds)})` : sql``}
    where e.workspace_id = ${ctx.workspace.id} and e.knowledge_base_id in (${sql.join(kbIds)}) and e.model = ${embedder.model}
    order by e.embedding <=> ${JSON.stringify(vector)}::vector
    limit ${n}`.execute(ctx.db);
  return rows.map((r) => ({ id: r.id, rank: Number(r.rank) }));
}

/** Reciprocal rank fusion, scaled so a chunk ranked first in every list scores 1. */
function fuse(lists: Candidate[][]): Candidate[] {
  const scores = new Map<string, number>();
  for (const list of lists) list.forEach((c, i) => scores.set(c.id, (scores.get(c.id) ?? 0) + 1 / (RRF_K + i + 1)));
  const max = lists.length / (RRF_K + 1);
  return [...scores].map(([id, s]) => ({ id, rank: s / max })).sort((a, b) => b.rank - a.rank || (a.id < b.id ? -1 : 1));
}

/** Searches the workspace's knowledge bases (or one) for passages answering `query`. */
export async function searchKnowledgeBases(ctx: RequestContext, input: SearchInput): Promise<SearchResponse> {
  const query = input.query.trim();
  if (!query) throw new AppError('invalid_request', 'query is empty', { param: 'query' });
  const limit = input.limit ?? 5;
  const kbs = input.knowledge_base_id ? [await getKnowledgeBase(ctx, input.knowledge_base_id)] : await listKnowledgeBases(ctx);
  if (!kbs.length) return { mode: 'fulltext', results: [] };

  const pool = Math.max(limit * 4, 20);
  const byLanguage = new Map<string, string[]>();
  for (const kb of kbs) byLanguage.set(kb.language, [...(byLanguage.get(kb.language) ?? []), kb.id]);
  const lexical = (
    await Promise.all([...byLanguage].map(([language, ids]) => fullTextCandidates(ctx.db, ctx.workspace.id, ids, language, query, input.document_ids, pool)))
  )
    .flat()
    .sort((a, b) => b.rank - a.rank);

  const hybrid = ctx.embeddings !== null;
  const ranked = hybrid ? fuse([lexical, await vectorCandidates(ctx, kbs.map((k) => k.id), query, input.document_ids, pool)]) : lexical;
  const top = ranked.slice(0, limit);
  if (!top.length) return { mode: hybrid ? 'hybrid' : 'fulltext', results: [] };

  const languageOf = new Map(kbs.map((k) => [k.id, k.language]));
  const chunks = await ctx.db
    .selectFrom('kb_chunks as c')
    .innerJoin('kb_documents as d', (j) => j.onRef('d.workspace_id', '=', 'c.workspace_id').onRef('d.id', '=', 'c.document_id'))
    .select(['c.id', 'c.content', 'c.location', 'c.document_id', 'c.knowledge_base_id', 'd.name as document_name'])
    .where('c.workspace_id', '=', ctx.workspace.id)
    .where('c.id', 'in', top.map((t) => t.id))
    .execute();
  const byId = new Map(chunks.map((c) => [c.id, c]));
  const snippets = await headlines(ctx, chunks.map((c) => ({ id: c.id, language: languageOf.get(c.knowledge_base_id)! })), query);
  return {
    mode: hybrid ? 'hybrid' : 'fulltext',
    results: top
      .filter((t) => byId.has(t.id))
      .map((t) => {
        const c = byId.get(t.id)!;
        return {
          chunk_id: c.id,
          content: c.content,
          score: Math.round(Math.min(1, Math.max(0, t.rank)) * 1e4) / 1e4,
          snippet: snippets.get(c.id) ?? c.content.slice(0, 240),
          document_id: c.document_id,
          document_name: c.document_name,
          knowledge_base_id: c.knowledge_base_id,
          location: c.location,
        };
      }),
  };
}

/** Highlighted passages, computed only for the chunks returned (ts_headline is costly). */
async function headlines(ctx: RequestContext, chunks: { id: string; language: string }[], query: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const byLanguage = new Map<string, string[]>();
  for (const c of chunks) byLanguage.set(c.language, [...(byLanguage.get(c.language) ?? []), c.id]);
  for (const [language, ids] of byLanguage) {
    const q = tsQuery(language, query, 'any');
    if (!q) continue;
    const { rows } = await sql<{ id: string; snippet: string }>`
      select c.id, ts_headline(${language}::regconfig, c.content, ${q}, ${HEADLINE_OPTIONS}) as snippet
      from kb_chunks c where c.workspace_id = ${ctx.workspace.id} and c.id in (${sql.join(ids)})`.execute(ctx.db);
    for (const r of rows) out.set(r.id, r.snippet);
  }
  return out;
}

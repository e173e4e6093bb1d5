/**
 * How many chunks a query matches, the way src/domains/knowledge/search.service.ts reads it (all terms, else any
 * term). Used only to explain latencies (outside the timed calls): ranking cost grows with matches.
 */
import { type Kysely, sql } from 'kysely';
import { tsQuery } from '../../src/domains/knowledge/search.service.js';
import type { Database } from '../../src/adapters/db/schema.js';

export interface MatchCount {
  /** Chunks matched by the query that kb_search ranks: the all-terms one, or the any-term fallback. */
  matched: number;
  fellBack: boolean;
}

export async function countMatches(
  db: Kysely<Database>,
  workspaceId: string,
  kbId: string,
  language: string,
  query: string,
): Promise<MatchCount> {
  for (const mode of ['all', 'any'] as const) {
    const q = tsQuery(language, query, mode);
    if (!q) return { matched: 0, fellBack: false };
    const { rows } = await sql<{ n: string }>`
      select count(*) as n from kb_chunks c, (select ${q} as query) q
      where c.workspace_id = ${workspaceId} and c.knowledge_base_id = ${kbId} and c.tsv @@ q.query`.execute(db);
    const n = Number(rows[0]!.n);
    if (n > 0 || mode === 'any') return { matched: n, fellBack: mode === 'any' };
  }
  return { matched: 0, fellBack: true };
}

/** Buckets for a latency breakdown by match count. */
export function matchBucket(n: number): string {
  if (n === 0) return '0';
  if (n <= 100) return '1–100';
  if (n <= 1000) return '101–1k';
  if (n <= 10_000) return '1k–10k';
  return '>10k';
}
export const MATCH_BUCKETS = ['0', '1–100', '101–1k', '1k–10k', '>10k'];

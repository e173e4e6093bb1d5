/**
 * How many chunks a query matches, the way src/domains/knowledge/search.service.ts reads it (any of
 * its words, stems, prefixes and joined neighbours). Used only to explain latencies (outside the
 * timed calls): ranking cost grows with matches, up to the cap.
 */
import { type Kysely, sql } from 'kysely';
import { parseQuery, searchTerms } from '../../src/domains/knowledge/search-terms.js';
import type { Database } from '../../src/adapters/db/schema.js';

export interface MatchCount {
  /** Chunks matched by any of the query's words. */
  matched: number;
}

export async function countMatches(
  db: Kysely<Database>,
  workspaceId: string,
  kbId: string,
  language: string,
  query: string,
): Promise<MatchCount> {
  const { units } = await searchTerms(db, parseQuery(query), [language], []);
  if (!units.length) return { matched: 0 };
  const any = units.map((u) => `(${u.loose})`).join(' | ');
  const { rows } = await sql<{ n: string }>`
    select count(*) as n from kb_chunks c
    where c.workspace_id = ${workspaceId} and c.knowledge_base_id = ${kbId} and c.tsv @@ ${any}::tsquery`.execute(db);
  return { matched: Number(rows[0]!.n) };
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

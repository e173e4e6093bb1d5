import { sql } from 'kysely';
import type { RequestContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { type SearchResult, listKnowledgeBases, searchKnowledgeBases } from '../knowledge/index.js';
import type { Citation, ExecutionStep } from './agents.model.js';

// Offline answers are extractive: the best passages of the agent's knowledge bases, quoted with
// their source. When no passage covers the question well enough, nothing is said but that a person
// will answer: an offline agent never writes an answer of its own.

/** At least this share of the question's words (stems, stop words left out) must appear in a passage for it to count. */
const MIN_COVERAGE = 0.6;
const MAX_PASSAGES = 2;
const MAX_QUERY_WORDS = 32;

export interface OfflineAnswer {
  answer: string | null;
  citations: Citation[];
  steps: ExecutionStep[];
  /** Set when nothing relevant was found: why a person should answer. */
  unanswered: string | null;
}

const GREETING =
  /^\s*(hi|hello|hey|good (morning|afternoon|evening)|bonjour|bonsoir|salut|coucou|hola)( there)?\s*[!.,]*\s*$/i;

/** The question as full-text search words: punctuation and search operators removed, bounded. */
export function searchWords(question: string): string {
  // Words longer than any real word say nothing (and PostgreSQL ignores words over 2047 bytes).
  const words = (question.match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length <= 60);
  return words
    .filter((w) => !/^(or|and|not)$/i.test(w))
    .slice(0, MAX_QUERY_WORDS)
    .join(' ');
}

/** Stems of `text` in a search configuration, stop words left out. */
async function lexemes(ctx: RequestContext, language: string, text: string): Promise<Set<string>> {
  const { rows } = await sql<{ l: string[] | null }>`
    select tsvector_to_array(to_tsvector(${language}::regconfig, ${text})) as l`.execute(ctx.db);
  return new Set(rows[0]?.l ?? []);
}

export function formatLocation(location: Record<string, unknown>): string {
  const parts = Object.entries(location).flatMap(([k, v]) => {
    if (v === null || v === undefined || (Array.isArray(v) && !v.length)) return [];
    const value = Array.isArray(v) ? v.join(' > ') : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return [k === 'page' ? `page ${value}` : k === 'heading_path' ? value : `${k.replace(/_/g, ' ')} ${value}`];
  });
  return parts.join(', ');
}

const plain = (snippet: string) => snippet.replace(/\*\*/g, '').replace(/\s+/g, ' ').trim();

export function toCitation(n: number, r: SearchResult): Citation {
  return {
    n,
    document_id: r.document_id,
    document_name: r.document_name,
    knowledge_base_id: r.knowledge_base_id,
    chunk_id: r.chunk_id,
    location: r.location,
    snippet: plain(r.snippet),
  };
}

/** Answers from the knowledge bases by quoting them, or says why it cannot. */
export async function answerOffline(
  ctx: RequestContext,
  knowledgeBaseIds: string[],
  question: string,
): Promise<OfflineAnswer> {
  if (GREETING.test(question)) {
    return { answer: 'Hello! What can I help you with?', citations: [], steps: [], unanswered: null };
  }
  const steps: ExecutionStep[] = [];
  const languages = new Map((await listKnowledgeBases(ctx)).map((kb) => [kb.id, kb.language]));
  const kbIds = knowledgeBaseIds.filter((id) => languages.has(id));
  if (!kbIds.length) {
    return { answer: null, citations: [], steps, unanswered: 'the agent has no knowledge base to answer from' };
  }
  const query = searchWords(question);
  if (!query) return { answer: null, citations: [], steps, unanswered: 'the message has no words to search for' };
  const relevant: { result: SearchResult; coverage: number }[] = [];
  for (const kbId of kbIds) {
    const started = performance.now();
    let results: SearchResult[] = [];
    let error: string | null = null;
    try {
      results = (await searchKnowledgeBases(ctx, { knowledge_base_id: kbId, query, limit: 3 })).results;
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      error = `${err.code}: ${err.message}`;
    }
    const language = languages.get(kbId)!;
    const asked = await lexemes(ctx, language, query);
    const scored = [];
    for (const result of results) {
      const found = await lexemes(ctx, language, result.content);
      const covered = [...asked].filter((l) => found.has(l)).length;
      const coverage = asked.size ? covered / asked.size : 0;
      scored.push({ chunk_id: result.chunk_id, score: result.score, coverage: Math.round(coverage * 100) / 100 });
      if (coverage >= MIN_COVERAGE) relevant.push({ result, coverage });
    }
    steps.push({
      type: 'search',
      name: 'kb_search',
      input: JSON.stringify({ knowledge_base_id: kbId, query }),
      output: JSON.stringify({ results: scored }),
      status: error ? 'error' : 'ok',
      error,
      latency_ms: Math.round(performance.now() - started),
    });
  }
  if (!relevant.length) {
    return { answer: null, citations: [], steps, unanswered: 'no passage of the knowledge base answers the question' };
  }
  relevant.sort((a, b) => b.coverage - a.coverage || b.result.score - a.result.score);
  const citations = relevant.slice(0, MAX_PASSAGES).map((r, i) => toCitation(i + 1, r.result));
  const quoted = citations.map((c) => {
    const where = formatLocation(c.location);
    return `[${c.n}] "${c.snippet}" (${c.document_name}${where ? `, ${where}` : ''})`;
  });
  return {
    answer: `Here is what our documentation says:\n\n${quoted.join('\n\n')}`,
    citations,
    steps,
    unanswered: null,
  };
}

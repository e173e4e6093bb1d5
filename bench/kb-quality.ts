/**
 * Knowledge-base retrieval quality: recall@5 and MRR of searchKnowledgeBases on a small labelled
 * handbook (English and French; bench/kb/handbook.ts), on in-memory PGlite and on PostgreSQL.
 * Modes: full-text alone; full-text with the synonyms each knowledge base declares; hybrid with the
 * local fake embedder from test/helpers/fake-embeddings.ts (a hashed bag of 5-letter stems, 64
 * dimensions: it exercises the fusion machinery, not a real embedding model).
 * Scopes: all knowledge bases, the answer's own knowledge base, and one bilingual knowledge base
 * holding every document (created with the default language, as a user who does not think about
 * languages would). See bench/README.md. Run with `npm run bench:kb-quality`
 * (BENCH_KB_DBS=pglite,postgres by default).
 */
import { createKnowledgeBase } from '../src/domains/knowledge/bases.service.js';
import { type SearchResult, searchKnowledgeBases } from '../src/domains/knowledge/search.service.js';
import { HttpEmbedder } from '../src/adapters/llm/embeddings.js';
import { startFakeEmbeddings } from '../test/helpers/fake-embeddings.js';
import { DOCUMENTS, type LabelledQuery, QUERIES, SYNONYMS } from './kb/handbook.js';
import { type DbKind, benchApp, fmt, ingest, markdownTable } from './kb/harness.js';

type Mode = 'full-text' | 'full-text + KB synonyms' | 'hybrid (fake embedder)';
type Scope = 'all KBs' | 'its KB' | 'one bilingual KB';
const SCOPES: Scope[] = ['all KBs', 'its KB', 'one bilingual KB'];
const KINDS: LabelledQuery['kind'][] = [
  'lexical',
  'paraphrase',
  'accents',
  'inflection',
  'compound',
  'cross-language',
  'synonym',
];

interface Ranks {
  /** 1-based rank of the first result from the right document / section, or null if not in the top 5. */
  doc: number | null;
  section: number | null;
}

const LIMIT = 5;

function ranksOf(results: SearchResult[], q: LabelledQuery): Ranks {
  const docRank = results.findIndex((r) => r.document_name === q.doc);
  const sectionRank = results.findIndex(
    (r) => r.document_name === q.doc && ((r.location.heading_path as string[] | undefined) ?? []).includes(q.section),
  );
  return { doc: docRank < 0 ? null : docRank + 1, section: sectionRank < 0 ? null : sectionRank + 1 };
}

/** Ranks per query and scope, for one mode on one database. */
async function evaluate(db: DbKind, mode: Mode, embeddingsUrl: string | null): Promise<Map<Scope, Ranks[]> | null> {
  const embedder = embeddingsUrl
    ? new HttpEmbedder({ url: embeddingsUrl, model: 'fake', apiKey: undefined, provider: 'voyage' })
    : null;
  const withSynonyms = mode === 'full-text + KB synonyms';
  const b = await benchApp(db, embedder);
  if (embedder && !b.ctx.embeddings) {
    console.log(`${db}: no pgvector, so no hybrid run`);
    await b.close();
    return null;
  }
  try {
    // Loosely typed so that this file also runs against a tree without the synonyms field.
    const other = await b.otherWorkspace();
    const create = (input: { name: string; language?: string; synonyms?: string[][] }, ctx = b.ctx) =>
      createKnowledgeBase(ctx, input as Parameters<typeof createKnowledgeBase>[1]);
    const kbs = {
      handbook: await create({
        name: 'Kettleworks handbook',
        language: 'english',
        ...(withSynonyms ? { synonyms: SYNONYMS.handbook } : {}),
      }),
      manuel: await create({
        name: 'Manuel du personnel',
        language: 'french',
        ...(withSynonyms ? { synonyms: SYNONYMS.manuel } : {}),
      }),
    };
    const bilingual = await create(
      { name: 'Everything', ...(withSynonyms ? { synonyms: [...SYNONYMS.handbook, ...SYNONYMS.manuel] } : {}) },
      other,
    );
    for (const d of DOCUMENTS) {
      await ingest(b.app, b.ctx, kbs[d.kb].id, d.name, new TextEncoder().encode(d.markdown));
      await ingest(b.app, other, bilingual.id, d.name, new TextEncoder().encode(d.markdown));
    }
    const kbOf = new Map(DOCUMENTS.map((d) => [d.name, kbs[d.kb].id]));
    const out = new Map<Scope, Ranks[]>();
    for (const scope of SCOPES) {
      const ranks: Ranks[] = [];
      for (const q of QUERIES) {
        const response = await searchKnowledgeBases(scope === 'one bilingual KB' ? other : b.ctx, {
          query: q.query,
          limit: LIMIT,
          knowledge_base_id: scope === 'its KB' ? kbOf.get(q.doc) : scope === 'all KBs' ? undefined : bilingual.id,
        });
        const expected = embedder ? 'hybrid' : 'fulltext';
        if (response.mode !== expected) throw new Error(`${mode}: search answered in ${response.mode} mode`);
        ranks.push(ranksOf(response.results, q));
      }
      out.set(scope, ranks);
    }
    return out;
  } finally {
    await b.close();
  }
}

const recall = (ranks: (number | null)[]) => ranks.filter((r) => r !== null).length / ranks.length;
const mrr = (ranks: (number | null)[]) =>
  ranks.reduce<number>((a, r) => a + (r === null ? 0 : 1 / r), 0) / ranks.length;
/** The queries a mode is judged on: synonym queries only count where the synonyms are declared. */
const judged = (mode: Mode) => (q: LabelledQuery) => q.kind !== 'synonym' || mode === 'full-text + KB synonyms';

function summaryRow(db: DbKind, mode: Mode, scope: Scope, all: Ranks[]): string[] {
  const keep = QUERIES.map(judged(mode));
  const ranks = all.filter((_, i) => keep[i]);
  const kindRecall = (kind: LabelledQuery['kind']) => {
    const r = all.filter((_, i) => QUERIES[i]!.kind === kind).map((x) => x.doc);
    return `${fmt(recall(r), 2)}`;
  };
  return [
    db,
    mode,
    scope,
    String(ranks.length),
    fmt(recall(ranks.map((r) => r.doc)), 2),
    fmt(mrr(ranks.map((r) => r.doc)), 2),
    fmt(recall(ranks.map((r) => r.section)), 2),
    fmt(mrr(ranks.map((r) => r.section)), 2),
    ...KINDS.map(kindRecall),
  ];
}

async function main(): Promise<void> {
  const dbs = (process.env.BENCH_KB_DBS ?? 'pglite,postgres').split(',').map((s) => s.trim()) as DbKind[];
  const modes = (process.env.BENCH_KB_MODES ?? 'full-text,full-text + KB synonyms,hybrid (fake embedder)').split(
    ',',
  ) as Mode[];
  const fake = await startFakeEmbeddings();
  try {
    const results: { db: DbKind; mode: Mode; byScope: Map<Scope, Ranks[]> }[] = [];
    for (const db of dbs)
      for (const mode of modes) {
        const byScope = await evaluate(db, mode, mode === 'hybrid (fake embedder)' ? fake.url : null);
        if (byScope) results.push({ db, mode, byScope });
      }
    const counts = KINDS.map((k) => `${QUERIES.filter((q) => q.kind === k).length} ${k}`).join(', ');
    console.log(
      `${DOCUMENTS.length} documents (${DOCUMENTS.filter((d) => d.kb === 'manuel').length} French), ${QUERIES.length} queries (${counts}); limit ${LIMIT}.`,
    );
    console.log('Synonym queries count only in the "+ KB synonyms" mode; the per-kind columns show all.\n');
    console.log(
      markdownTable(
        [
          'db',
          'mode',
          'scope',
          'queries',
          'recall@5 (document)',
          'MRR (document)',
          'recall@5 (section)',
          'MRR (section)',
          ...KINDS.map((k) => `r@5 ${k}`),
        ],
        results.flatMap(({ db, mode, byScope }) =>
          [...byScope].map(([scope, ranks]) => summaryRow(db, mode, scope, ranks)),
        ),
      ),
    );
    const first = results.filter((r) => r.db === dbs[0]);
    const rank = (r: number | null) => (r === null ? 'miss' : String(r));
    console.log(
      `\nPer query (${dbs[0]}; rank of the right section, document in parentheses; all KBs / one bilingual KB):\n`,
    );
    console.log(
      markdownTable(
        ['query', 'kind', 'answer', ...first.map((r) => r.mode)],
        QUERIES.map((q, i) => [
          q.query,
          q.kind,
          `${q.doc} § ${q.section}`,
          ...first.map((r) =>
            (['all KBs', 'one bilingual KB'] as const)
              .map((s) => {
                const x = r.byScope.get(s)![i]!;
                return `${rank(x.section)} (${rank(x.doc)})`;
              })
              .join(' / '),
          ),
        ]),
      ),
    );
  } finally {
    await fake.close();
  }
}

await main();

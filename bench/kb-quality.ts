/**
 * Knowledge-base retrieval quality: recall@5 and MRR of searchKnowledgeBases on a small labelled
 * handbook (English and French), full-text only and hybrid, on in-memory PGlite.
 * The "hybrid" embedder is the local fake from test/helpers/fake-embeddings.ts (a hashed bag of
 * 5-letter stems, 64 dimensions): it exercises the fusion machinery, not a real embedding model.
 * See bench/KB.md. Run with `npm run bench:kb-quality`.
 */
import { createKnowledgeBase } from '../src/domains/knowledge/bases.service.js';
import { type SearchResult, searchKnowledgeBases } from '../src/domains/knowledge/search.service.js';
import { HttpEmbedder } from '../src/adapters/llm/embeddings.js';
import { startFakeEmbeddings } from '../test/helpers/fake-embeddings.js';
import { DOCUMENTS, type LabelledQuery, QUERIES } from './kb/handbook.js';
import { benchApp, fmt, ingest, markdownTable } from './kb/harness.js';

type Mode = 'full-text' | 'hybrid (fake embedder)';
type Scope = 'all KBs' | 'its KB';

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

/** Ranks per query and scope, for one mode. */
async function evaluate(mode: Mode, embeddingsUrl: string | null): Promise<Map<Scope, Ranks[]>> {
  const embedder = embeddingsUrl
    ? new HttpEmbedder({ url: embeddingsUrl, model: 'fake', apiKey: undefined, provider: 'voyage' })
    : null;
  const b = await benchApp('pglite', embedder);
  try {
    const kbs = {
      handbook: await createKnowledgeBase(b.ctx, { name: 'Kettleworks handbook', language: 'english' }),
      manuel: await createKnowledgeBase(b.ctx, { name: 'Manuel du personnel', language: 'french' }),
    };
    for (const d of DOCUMENTS) await ingest(b.app, b.ctx, kbs[d.kb].id, d.name, new TextEncoder().encode(d.markdown));
    const kbOf = new Map(DOCUMENTS.map((d) => [d.name, kbs[d.kb].id]));
    const out = new Map<Scope, Ranks[]>();
    for (const scope of ['all KBs', 'its KB'] as const) {
      const ranks: Ranks[] = [];
      for (const q of QUERIES) {
        const response = await searchKnowledgeBases(b.ctx, {
          query: q.query,
          limit: LIMIT,
          knowledge_base_id: scope === 'its KB' ? kbOf.get(q.doc) : undefined,
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

function summaryRows(mode: Mode, scope: Scope, ranks: Ranks[]): string[] {
  const subset = (kind: LabelledQuery['kind']) => ranks.filter((_, i) => QUERIES[i]!.kind === kind).map((r) => r.doc);
  return [
    mode,
    scope,
    fmt(recall(ranks.map((r) => r.doc)), 2),
    fmt(mrr(ranks.map((r) => r.doc)), 2),
    fmt(recall(ranks.map((r) => r.section)), 2),
    fmt(mrr(ranks.map((r) => r.section)), 2),
    fmt(recall(subset('lexical')), 2),
    fmt(recall(subset('paraphrase')), 2),
  ];
}

async function main(): Promise<void> {
  const fake = await startFakeEmbeddings();
  try {
    const results = new Map<Mode, Map<Scope, Ranks[]>>([
      ['full-text', await evaluate('full-text', null)],
      ['hybrid (fake embedder)', await evaluate('hybrid (fake embedder)', fake.url)],
    ]);
    const lexical = QUERIES.filter((q) => q.kind === 'lexical').length;
    console.log(
      `${DOCUMENTS.length} documents (${DOCUMENTS.filter((d) => d.kb === 'manuel').length} French), ${QUERIES.length} queries (${lexical} lexical, ${QUERIES.length - lexical} paraphrases); limit ${LIMIT}.\n`,
    );
    console.log(
      markdownTable(
        [
          'mode',
          'scope',
          'recall@5 (document)',
          'MRR (document)',
          'recall@5 (section)',
          'MRR (section)',
          'recall@5 lexical (document)',
          'recall@5 paraphrase (document)',
        ],
        [...results].flatMap(([mode, byScope]) =>
          [...byScope].map(([scope, ranks]) => summaryRows(mode, scope, ranks)),
        ),
      ),
    );
    const fullText = results.get('full-text')!.get('all KBs')!;
    const hybrid = results.get('hybrid (fake embedder)')!.get('all KBs')!;
    const rank = (r: number | null) => (r === null ? 'miss' : String(r));
    console.log('\nPer query (all KBs; rank of the right section, document in parentheses):\n');
    console.log(
      markdownTable(
        ['query', 'kind', 'answer', 'full-text', 'hybrid'],
        QUERIES.map((q, i) => [
          q.query,
          q.kind,
          `${q.doc} § ${q.section}`,
          `${rank(fullText[i]!.section)} (${rank(fullText[i]!.doc)})`,
          `${rank(hybrid[i]!.section)} (${rank(hybrid[i]!.doc)})`,
        ]),
      ),
    );
  } finally {
    await fake.close();
  }
}

await main();

/**
 * Knowledge-base benchmark: kb_search latency through the service layer (searchKnowledgeBases)
 * over 100,000+ chunks in one workspace, and ingestion time of a 10 MB Markdown document
 * (addDocument + the kb.ingest job body), on in-memory PGlite and on real PostgreSQL.
 * See bench/KB.md. Run with `npm run bench:kb`.
 *
 * Env knobs: BENCH_KB_DBS (pglite,postgres), BENCH_KB_CHUNKS (100000), BENCH_KB_QUERIES (500),
 * BENCH_KB_COLD_QUERIES (300), BENCH_KB_WARMUP (50), BENCH_KB_BIG_MB (10), BENCH_KB_BIG_RUNS (3),
 * BENCH_PG_ADMIN_URL, BENCH_KB_JSON_OUT (raw results).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { sql } from 'kysely';
import { type KnowledgeBase, createKnowledgeBase } from '../src/domains/knowledge/bases.service.js';
import { searchKnowledgeBases } from '../src/domains/knowledge/search.service.js';
import type { RequestContext } from '../src/kernel/context.js';
import { extractBlocks } from '../src/domains/knowledge/ingest/extract.js';
import { chunkBlocks } from '../src/domains/knowledge/ingest/chunk.js';
import {
  type BenchQuery,
  type QueryKind,
  type Vocabulary,
  benchQueries,
  buildVocabulary,
  markdownDocument,
} from './kb/corpus.js';
import { type BenchApp, type DbKind, benchApp, fmt, ingest, markdownTable, quantile } from './kb/harness.js';
import { MATCH_BUCKETS, countMatches, matchBucket } from './kb/matches.js';

const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const SETTINGS = {
  dbs: (process.env.BENCH_KB_DBS ?? 'pglite,postgres').split(',') as DbKind[],
  chunks: num('BENCH_KB_CHUNKS', 100_000),
  queries: num('BENCH_KB_QUERIES', 500),
  /** Queries timed before VACUUM ANALYZE: fewer, since that state is slow and one scope tells the story. */
  coldQueries: num('BENCH_KB_COLD_QUERIES', 300),
  warmup: num('BENCH_KB_WARMUP', 50),
  bigBytes: num('BENCH_KB_BIG_MB', 10) * 1024 * 1024,
  bigRuns: num('BENCH_KB_BIG_RUNS', 3),
  docBytes: 500_000,
  chunkSize: 500,
  chunkOverlap: 50,
};
const TARGET = { p50Ms: 15, p99Ms: 50, ingestMs: 10_000 };
const SEED = 20_261_122;

interface Sample {
  kind: QueryKind;
  ms: number;
  results: number;
  matched?: number;
}
interface SearchRun {
  db: DbKind;
  state: string;
  scope: string;
  samples: Sample[];
}
interface IngestRun {
  db: DbKind;
  what: string;
  bytes: number;
  chunks: number;
  docs: number;
  ms: number;
  parseMs?: number;
}

/** Facts about the run printed above the tables. */
const runNotes: string[] = [];
const loadAverage = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ');
const log = (msg: string) => process.stderr.write(`[bench:kb] ${msg}\n`);
const encode = (s: string) => new TextEncoder().encode(s);

/** The 100k-chunk KB, plus two small ones so that "all knowledge bases" spans several (and two languages). */
async function buildCorpus(
  b: BenchApp,
  v: Vocabulary,
  db: DbKind,
): Promise<{ main: KnowledgeBase; small: KnowledgeBase; run: IngestRun }> {
  const main = await createKnowledgeBase(b.ctx, {
    name: 'handbook',
    chunk_size: SETTINGS.chunkSize,
    chunk_overlap: SETTINGS.chunkOverlap,
  });
  const notes = await createKnowledgeBase(b.ctx, { name: 'notes' });
  const archive = await createKnowledgeBase(b.ctx, { name: 'archive', language: 'french' });
  for (let i = 0; i < 3; i++)
    await ingest(b.app, b.ctx, notes.id, `notes-${i}.md`, encode(markdownDocument(v, SEED + 500 + i, 300_000)));
  await ingest(b.app, b.ctx, archive.id, 'archive.md', encode(markdownDocument(v, SEED + 600, 300_000)));

  const run: IngestRun = {
    db,
    what: `corpus: ${SETTINGS.docBytes / 1000} kB docs, chunk_size ${SETTINGS.chunkSize}`,
    bytes: 0,
    chunks: 0,
    docs: 0,
    ms: 0,
  };
  while (run.chunks < SETTINGS.chunks) {
    const content = encode(markdownDocument(v, SEED + run.docs, SETTINGS.docBytes));
    const t0 = performance.now();
    const { chunks } = await ingest(b.app, b.ctx, main.id, `handbook-${String(run.docs).padStart(3, '0')}.md`, content);
    run.ms += performance.now() - t0;
    run.bytes += content.byteLength;
    run.chunks += chunks;
    run.docs++;
    if (run.docs % 10 === 0) log(`${db}: ${run.docs} documents, ${run.chunks} chunks, ${(run.ms / 1000).toFixed(1)} s`);
  }
  const { rows } = await sql<{
    n: string;
  }>`select count(*) as n from kb_chunks where workspace_id = ${b.ctx.workspace.id} and knowledge_base_id = ${main.id}`.execute(
    b.app.db,
  );
  const counted = Number(rows[0]!.n);
  if (counted < SETTINGS.chunks || counted !== run.chunks)
    throw new Error(`expected ${run.chunks} (>= ${SETTINGS.chunks}) chunks, kb_chunks has ${counted}`);
  if (db === SETTINGS.dbs[0]) {
    const sizes = await sql<{ name: string; language: string; n: string }>`
      select kb.name, kb.language, count(*) as n from kb_chunks c join knowledge_bases kb on kb.workspace_id = c.workspace_id and kb.id = c.knowledge_base_id
      where c.workspace_id = ${b.ctx.workspace.id} group by kb.name, kb.language order by count(*) desc`.execute(
      b.app.db,
    );
    runNotes.push(`Workspace: ${sizes.rows.map((r) => `${r.name} (${r.language}) ${r.n} chunks`).join(', ')}.`);
  }
  return { main, small: notes, run };
}

/**
 * One 10 MB Markdown document into a fresh knowledge base (default chunking) of a fresh workspace,
 * `bigRuns` times (each into a new workspace, so each is a first upload); the median run is kept.
 */
async function timeBigDocument(b: BenchApp, v: Vocabulary, db: DbKind, when: string): Promise<IngestRun> {
  const content = encode(markdownDocument(v, SEED + 1_000_000, SETTINGS.bigBytes));
  const runs: { ms: number; parseMs: number; chunks: number }[] = [];
  for (let i = 0; i < SETTINGS.bigRuns; i++) {
    const ctx = await b.otherWorkspace();
    const kb = await createKnowledgeBase(ctx, { name: 'big' });
    const p0 = performance.now();
    chunkBlocks(await extractBlocks(content, 'text/markdown'), { chunkSize: kb.chunk_size, overlap: kb.chunk_overlap });
    const parseMs = performance.now() - p0;
    const t0 = performance.now();
    const { chunks } = await ingest(b.app, ctx, kb.id, 'big.md', content);
    runs.push({ ms: performance.now() - t0, parseMs, chunks });
  }
  const times = runs.map((r) => r.ms);
  const median = [...runs].sort((x, y) => x.ms - y.ms)[Math.floor(runs.length / 2)]!;
  log(
    `${db}: ${(SETTINGS.bigBytes / 2 ** 20).toFixed(0)} MB document ${when}: ${median.chunks} chunks, runs ${times.map((t) => (t / 1000).toFixed(2)).join(', ')} s`,
  );
  const what = `one ${(SETTINGS.bigBytes / 2 ** 20).toFixed(0)} MB document, ${when}; median of ${runs.length} (${times.map((t) => (t / 1000).toFixed(1)).join(' / ')} s)`;
  return {
    db,
    what,
    bytes: content.byteLength,
    chunks: median.chunks,
    docs: 1,
    ms: median.ms,
    parseMs: median.parseMs,
  };
}

async function timeSearches(ctx: RequestContext, queries: BenchQuery[], kbId: string | undefined): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (const q of queries) {
    const t0 = performance.now();
    const { results } = await searchKnowledgeBases(ctx, { knowledge_base_id: kbId, query: q.query, limit: 5 });
    samples.push({ kind: q.kind, ms: performance.now() - t0, results: results.length });
  }
  return samples;
}

// The big KB alone, all three KBs, and a small KB (4k chunks) searched while the big one shares the index.
const SCOPES = [
  ['one KB (knowledge_base_id)', 'one'],
  ['all KBs (no knowledge_base_id)', 'all'],
  ['small KB next to the big one', 'small'],
] as const;

/** Warm-up, then the timed queries in each scope, in this database state. */
async function searchRuns(
  b: BenchApp,
  db: DbKind,
  state: string,
  kbs: { main: KnowledgeBase; small: KnowledgeBase },
  warmup: BenchQuery[],
  queries: BenchQuery[],
  scopes: readonly (typeof SCOPES)[number][],
): Promise<SearchRun[]> {
  await timeSearches(b.ctx, warmup, kbs.main.id);
  const runs: SearchRun[] = [];
  for (const [scope, which] of scopes) {
    const kbId = which === 'one' ? kbs.main.id : which === 'small' ? kbs.small.id : undefined;
    const samples = await timeSearches(b.ctx, queries, kbId);
    runs.push({ db, state, scope, samples });
    const sorted = samples.map((s) => s.ms).sort((x, y) => x - y);
    log(`${db} ${state} ${scope}: p50 ${fmt(quantile(sorted, 0.5))} ms, p99 ${fmt(quantile(sorted, 0.99))} ms`);
  }
  return runs;
}

async function benchDatabase(
  db: DbKind,
  v: Vocabulary,
  warmup: BenchQuery[],
  queries: BenchQuery[],
): Promise<{ searches: SearchRun[]; ingests: IngestRun[] }> {
  const b = await benchApp(db, null);
  if (db === 'postgres') {
    const { rows } = await sql<{ autovacuum: string }>`show autovacuum`.execute(b.app.db);
    runNotes.push(`PostgreSQL server: autovacuum ${rows[0]?.autovacuum}.`);
  }
  const stop = () => void b.close().finally(() => process.exit(130));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, stop);
  try {
    const ingests = [await timeBigDocument(b, v, db, 'before the corpus')];
    const { main, small, run } = await buildCorpus(b, v, db);
    ingests.push(run);
    const searches = await searchRuns(
      b,
      db,
      'as ingested',
      { main, small },
      warmup,
      queries.slice(0, SETTINGS.coldQueries),
      SCOPES.slice(0, 1),
    );
    // What autovacuum eventually does on PostgreSQL (when it is on); nothing ever does it on PGlite.
    await sql`vacuum analyze`.execute(b.app.db);
    searches.push(...(await searchRuns(b, db, 'after VACUUM ANALYZE', { main, small }, warmup, queries, SCOPES)));
    for (const run of searches.filter((r) => r.state !== 'as ingested' && r.scope.startsWith('one'))) {
      for (const [i, s] of run.samples.entries())
        s.matched = (
          await countMatches(b.app.db, b.ctx.workspace.id, main.id, main.language, queries[i]!.query)
        ).matched;
    }
    ingests.push(await timeBigDocument(b, v, db, `after the corpus (${run.chunks}+ chunks indexed)`));
    return { searches, ingests };
  } finally {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.off(signal, stop);
    await b.close();
  }
}

function stats(samples: Sample[]) {
  const sorted = samples.map((s) => s.ms).sort((x, y) => x - y);
  const mean = sorted.reduce((a, x) => a + x, 0) / (sorted.length || 1);
  return {
    n: sorted.length,
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    p99: quantile(sorted, 0.99),
    max: sorted.at(-1) ?? Number.NaN,
    mean,
  };
}

function report(searches: SearchRun[], ingests: IngestRun[]): string {
  const out: string[] = [];
  out.push('### kb_search latency (sequential, limit 5, ms)', '');
  out.push(
    markdownTable(
      [
        'database',
        'state',
        'scope',
        'n',
        'p50',
        'p95',
        'p99',
        'mean',
        'max',
        'mean results',
        'zero results',
        `target (p50 < ${TARGET.p50Ms}, p99 < ${TARGET.p99Ms})`,
      ],
      searches.map((r) => {
        const s = stats(r.samples);
        const zero = r.samples.filter((x) => x.results === 0).length;
        const met = s.p50 < TARGET.p50Ms && s.p99 < TARGET.p99Ms;
        return [
          r.db,
          r.state,
          r.scope,
          String(s.n),
          fmt(s.p50),
          fmt(s.p95),
          fmt(s.p99),
          fmt(s.mean),
          fmt(s.max),
          fmt(r.samples.reduce((a, x) => a + x.results, 0) / s.n, 2),
          `${zero}`,
          met ? 'met' : 'missed',
        ];
      }),
    ),
  );
  const detailed = searches.filter((r) => r.samples.some((s) => s.matched !== undefined));
  out.push('', '### By query kind (one KB, after VACUUM ANALYZE; p50 / p99 ms)', '');
  const kinds = [...new Set(detailed.flatMap((r) => r.samples.map((s) => s.kind)))];
  out.push(
    markdownTable(
      ['query kind', 'n', ...detailed.map((r) => r.db)],
      kinds.map((k) => [
        k,
        String(detailed[0]!.samples.filter((s) => s.kind === k).length),
        ...detailed.map((r) => {
          const s = stats(r.samples.filter((x) => x.kind === k));
          return `${fmt(s.p50)} / ${fmt(s.p99)}`;
        }),
      ]),
    ),
  );
  out.push('', '### By chunks matched (one KB, after VACUUM ANALYZE; p50 / p99 ms)', '');
  out.push(
    markdownTable(
      ['chunks matched', 'n', ...detailed.map((r) => r.db)],
      MATCH_BUCKETS.map((bucket) => [
        bucket,
        String(detailed[0]!.samples.filter((s) => matchBucket(s.matched!) === bucket).length),
        ...detailed.map((r) => {
          const s = stats(r.samples.filter((x) => matchBucket(x.matched!) === bucket));
          return `${fmt(s.p50)} / ${fmt(s.p99)}`;
        }),
      ]),
    ),
  );
  out.push('', '### Ingestion (addDocument + kb.ingest job body)', '');
  out.push(
    markdownTable(
      [
        'database',
        'what',
        'documents',
        'MB',
        'chunks',
        'seconds',
        'MB/s',
        'chunks/s',
        'of which parse+chunk (s)',
        `target (10 MB < ${TARGET.ingestMs / 1000} s)`,
      ],
      ingests.map((r) => [
        r.db,
        r.what,
        String(r.docs),
        fmt(r.bytes / 2 ** 20),
        String(r.chunks),
        fmt(r.ms / 1000, 2),
        fmt(r.bytes / 2 ** 20 / (r.ms / 1000), 2),
        fmt(r.chunks / (r.ms / 1000), 0),
        r.parseMs === undefined ? '—' : fmt(r.parseMs / 1000, 2),
        r.docs === 1 ? (r.ms < TARGET.ingestMs ? 'met' : 'missed') : '—',
      ]),
    ),
  );
  return out.join('\n');
}

async function main(): Promise<void> {
  const v = buildVocabulary(SEED);
  const sample = markdownDocument(v, SEED, 200_000);
  const warmup = benchQueries(v, SEED + 1, SETTINGS.warmup, sample);
  const queries = benchQueries(v, SEED + 2, SETTINGS.queries, sample);
  const searches: SearchRun[] = [];
  const ingests: IngestRun[] = [];
  const loadBefore = loadAverage();
  for (const db of SETTINGS.dbs) {
    log(`${db}: starting`);
    const r = await benchDatabase(db, v, warmup, queries);
    searches.push(...r.searches);
    ingests.push(...r.ingests);
  }
  const cpus = os.cpus();
  console.log(
    `Machine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, Node ${process.version}; load average (1/5/15 min) ${loadBefore} before, ${loadAverage()} after.`,
  );
  console.log(
    `${SETTINGS.queries} queries (${SETTINGS.coldQueries} as ingested) after ${SETTINGS.warmup} warm-up, concurrency 1. ${runNotes.join(' ')}\n`,
  );
  console.log(report(searches, ingests));
  if (process.env.BENCH_KB_JSON_OUT)
    writeFileSync(
      process.env.BENCH_KB_JSON_OUT,
      JSON.stringify({ settings: SETTINGS, queries, searches, ingests }, null, 2),
    );
}

await main();

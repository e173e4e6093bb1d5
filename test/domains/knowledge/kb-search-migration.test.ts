import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as migration from '../../../src/adapters/db/migrations/2026_12_05_1200_kb_search.js';
import { searchKnowledgeBases } from '../../../src/domains/knowledge/search.service.js';
import type { RequestContext } from '../../../src/kernel/context.js';
import { type TestApp, addKey, addWorkspace, contextFor, createOrg, createTestApp } from '../../helpers/app.js';

describe('the kb_search migration', () => {
  let t: TestApp;
  let ctx: RequestContext;

  beforeAll(async () => {
    t = await createTestApp();
    const org = await createOrg(t.app);
    ctx = await contextFor(t.app, await addKey(t.app, org, ['*'], [await addWorkspace(t.app, org, 'a')]));
  });
  afterAll(() => t?.close());

  it('re-indexes the chunks already there with accents folded, in their knowledge base language', async () => {
    const db = t.app.db;
    await migration.down(db);
    const now = new Date();
    const ws = ctx.workspace.id;
    await sql`insert into knowledge_bases (workspace_id, id, name, description, language, chunk_size, chunk_overlap, created_at, updated_at)
      values (${ws}, 'kb_old', 'Old', null, 'french', 1200, 150, ${now}, ${now})`.execute(db);
    await sql`insert into kb_documents (workspace_id, id, knowledge_base_id, name, content_type, size_bytes, content_hash, content,
        status, progress, chunk_count, generation, created_at, updated_at)
      values (${ws}, 'doc_old', 'kb_old', 'old.md', 'text/markdown', 1, 'x', '\\x78', 'ready', 100, 1, 'gen_1', ${now}, ${now})`.execute(
      db,
    );
    // As the previous version indexed it: no folding.
    const content = 'Délais\nLe remboursement est versé sous 10 jours ouvrés.';
    await sql`insert into kb_chunks (workspace_id, id, knowledge_base_id, document_id, generation, ordinal, content, location, tsv)
      values (${ws}, 'chk_old', 'kb_old', 'doc_old', 'gen_1', 0, ${content}, ${JSON.stringify({ heading_path: ['Délais'] })},
        setweight(to_tsvector('french', 'Délais'), 'A') || to_tsvector('french', ${content}))`.execute(db);

    await migration.up(db);

    const { rows } = await sql<{ language: string; folded: boolean }>`
      select d.language, c.tsv @@ to_tsquery('french', 'delai:A') as folded
      from kb_chunks c join kb_documents d on d.workspace_id = c.workspace_id and d.id = c.document_id
      where c.workspace_id = ${ws} and c.id = 'chk_old'`.execute(db);
    expect(rows).toEqual([{ language: 'french', folded: true }]);
    const { results } = await searchKnowledgeBases(ctx, { query: 'delai ouvres', knowledge_base_id: 'kb_old' });
    expect(results.map((r) => r.chunk_id)).toEqual(['chk_old']);
    expect(results[0]!.snippet).toContain('**ouvrés**');
    const kb = await db.selectFrom('knowledge_bases').select('synonyms').where('id', '=', 'kb_old').executeTakeFirst();
    expect(kb?.synonyms).toEqual([]);
  });
});

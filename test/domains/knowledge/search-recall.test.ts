import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../../src/kernel/context.js';
import { addDocument } from '../../../src/domains/knowledge/documents.service.js';
import { ingestDocument } from '../../../src/domains/knowledge/ingest.job.js';
import { searchKnowledgeBases } from '../../../src/domains/knowledge/search.service.js';
import { createKnowledgeBase, updateKnowledgeBase } from '../../../src/domains/knowledge/bases.service.js';
import { detectLanguage } from '../../../src/domains/knowledge/language.js';
import { parseQuery } from '../../../src/domains/knowledge/search-terms.js';
import {
  type TestApp,
  addKey,
  addWorkspace,
  contextFor,
  createOrg,
  createTestApp,
  silentLog,
} from '../../helpers/app.js';

const FRENCH = `# Politique de remboursement

## Délais
Le client peut demander un remboursement dans les 30 jours suivant la livraison. Le remboursement est
versé sur le moyen de paiement d'origine sous 5 à 10 jours ouvrés.

## Entretien
Ne mettez jamais la bouilloire ni son socle au lave-vaisselle ; détartrez-la toutes les quatre semaines.
`;
const ENGLISH = `# Handbook

## Cleaning
Wipe the outside with a damp cloth and never put the kettle or its base in the dishwasher. Customers get two
years of cover on the kettle.

## Pay dates
Salaries are paid on the 25th of each month. Payslips are available in the HR portal.

## Cafés and offices
Cafés ordering 20 units or more get 15% off; offices get a dedicated account manager.

## Parcels
A parcel with no tracking movement for 7 days is investigated with the carrier; customers get a replacement.
`;

describe('detectLanguage', () => {
  it('tells English from French by their function words, and keeps the default when unsure', () => {
    expect(detectLanguage(FRENCH, 'english')).toBe('french');
    expect(detectLanguage(ENGLISH, 'french')).toBe('english');
    expect(detectLanguage('Kettle 2000 XL', 'english')).toBe('english');
    expect(detectLanguage('Kettle 2000 XL', 'french')).toBe('french');
    // `simple` (or any configuration it cannot tell) is an explicit choice: no detection.
    expect(detectLanguage(FRENCH, 'simple')).toBe('simple');
  });
});

describe('parseQuery', () => {
  it('reads words, "phrases", prefix* and -excluded terms, splitting hyphens and apostrophes', () => {
    expect(parseQuery(`lave-vaisselle "mot de passe" pay* -cash or d'année`)).toEqual({
      words: ['lave', 'vaisselle', 'd', 'année'],
      prefixes: ['pay'],
      phrases: ['mot de passe'],
      excluded: ['cash'],
    });
  });
});

describe('kb_search recall', () => {
  let t: TestApp;
  let ctx: RequestContext;
  let kbId: string;
  const search = async (query: string, limit = 3) =>
    (await searchKnowledgeBases(ctx, { knowledge_base_id: kbId, query, limit })).results;
  const top = async (query: string) => {
    const [r] = await search(query);
    return r ? `${r.document_name} § ${(r.location.heading_path as string[]).at(-1)}` : null;
  };

  beforeAll(async () => {
    t = await createTestApp();
    const org = await createOrg(t.app);
    ctx = await contextFor(t.app, await addKey(t.app, org, ['*'], [await addWorkspace(t.app, org, 'a')]));
    // One knowledge base, default language, both languages in it: each document is stemmed in its own.
    kbId = (await createKnowledgeBase(ctx, { name: 'Everything' })).id;
    for (const [name, body] of [
      ['remboursement.md', FRENCH],
      ['handbook.md', ENGLISH],
    ] as const) {
      const { document } = await addDocument(ctx, {
        knowledge_base_id: kbId,
        name,
        content: new TextEncoder().encode(body),
        content_type: 'text/markdown',
      });
      await ingestDocument(
        t.app,
        silentLog,
        { workspace_id: ctx.workspace.id, document_id: document.id },
        { attempt: 1, lastAttempt: false },
      );
    }
  });
  afterAll(() => t?.close());

  it('records the language detected for each document', async () => {
    const rows = await t.app.db
      .selectFrom('kb_documents')
      .select(['name', 'language'])
      .where('workspace_id', '=', ctx.workspace.id)
      .orderBy('name')
      .execute();
    expect(rows).toEqual([
      { name: 'handbook.md', language: 'english' },
      { name: 'remboursement.md', language: 'french' },
    ]);
  });

  it('matches French inflections with the French stemmer in an English knowledge base', async () => {
    expect(await top('remboursements')).toBe('remboursement.md § Délais');
    expect(await top('détartrer')).toBe('remboursement.md § Entretien');
  });

  it('ignores accents on both sides', async () => {
    expect(await top('delai de remboursement')).toBe('remboursement.md § Délais');
    expect(await top('cafe discount')).toBe('handbook.md § Cafés and offices');
    expect(await top('CAFÉS')).toBe('handbook.md § Cafés and offices');
  });

  it('does not need every word: passages holding more of the rarer ones rank first', async () => {
    // No passage holds both "get" and "paid"; "paid" is the rarer, so it decides.
    expect(await top('when do we get paid')).toBe('handbook.md § Pay dates');
    const results = await search('kettle dishwasher payslips zebra', 5);
    expect(results[0]!.location.heading_path).toContain('Cleaning');
    expect(results.map((r) => (r.location.heading_path as string[]).at(-1))).toContain('Pay dates');
    expect(results[0]!.score).toBeGreaterThan(results.at(-1)!.score);
    expect(results[0]!.score).toBeLessThanOrEqual(1);
  });

  it('finds a compound from its parts (joined neighbours) and from a prefix', async () => {
    expect(await top('dish washer')).toBe('handbook.md § Cleaning');
    expect(await top('pay slips')).toBe('handbook.md § Pay dates');
    expect(await top('lave vaisselle')).toBe('remboursement.md § Entretien');
  });

  it('still honours "phrases", prefix* and -exclusions', async () => {
    expect(await top('"damp cloth"')).toBe('handbook.md § Cleaning');
    expect(await search('"cloth damp"')).toEqual([]);
    expect(await top('investig*')).toBe('handbook.md § Parcels');
    const withoutKettle = await search('kettle -dishwasher', 5);
    expect(withoutKettle.map((r) => (r.location.heading_path as string[]).at(-1))).not.toContain('Cleaning');
    expect(await search('the of and')).toEqual([]);
  });

  it('expands a query with the synonyms the knowledge base declares, and only then', async () => {
    expect(await search('package')).toEqual([]);
    expect(await search('money back')).toEqual([]);
    await expect(updateKnowledgeBase(ctx, kbId, { synonyms: [['parcel']] })).rejects.toMatchObject({
      code: 'invalid_request',
      details: { param: 'synonyms' },
    });
    const kb = await updateKnowledgeBase(ctx, kbId, {
      synonyms: [
        [' parcel ', 'package', 'Package'],
        ['remboursement', 'money back'],
      ],
    });
    expect(kb.synonyms).toEqual([
      ['parcel', 'package'],
      ['remboursement', 'money back'],
    ]);
    expect(await top('packages')).toBe('handbook.md § Parcels');
    expect(await top('money back')).toBe('remboursement.md § Délais');
    const created = await createKnowledgeBase(ctx, { name: 'Glossary', synonyms: [['car', 'automobile']] });
    expect(created.synonyms).toEqual([['car', 'automobile']]);
  });

  it('highlights the matched words of the passage, accents and inflections included', async () => {
    const [r] = await search('delai remboursements');
    expect(r!.snippet).toContain('**remboursement**');
    expect(r!.snippet).toContain('**Délais**');
    const [c] = await search('dish washer');
    expect(c!.snippet).toContain('**dishwasher**');
    expect(c!.snippet.length).toBeLessThan(c!.content.length + 40);
  });
});

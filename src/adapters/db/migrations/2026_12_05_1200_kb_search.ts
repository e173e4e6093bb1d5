import { type Kysely, sql } from 'kysely';

// Full-text recall (issue #13).
// - kb_fold(text) folds accents (é → e, œ → oe, ß → ss) before stemming, on the indexed text and on
//   the query alike, so "delai" finds "délai" and "café" finds "cafe". The `unaccent` extension would
//   do it as a dictionary, but PGlite does not ship it; translate() exists everywhere, and a SQL
//   function this simple is inlined by the planner.
// - knowledge_bases.synonyms: groups of words or phrases the knowledge base declares equivalent.
// - kb_documents.language: the text-search configuration a document was indexed with (detected
//   from its text; the knowledge base's language when unsure), so one knowledge base can hold
//   documents in several languages, each stemmed by its own.
// Existing chunks are re-indexed with the folding, in the knowledge base's language.
const FROM =
  'ÀÁÂÃÄÅĀĂĄàáâãäåāăąÇĆČçćčĎďÈÉÊËĒĖĘĚèéêëēėęěÌÍÎÏĪĮìíîïīįıŁłÑŃŇñńňÒÓÔÕÖØŌŐòóôõöøōőŔŘŕřŚŠŞśšşŤťÙÚÛÜŪŮŰŲùúûüūůűųÝŸýÿŹŻŽźżž';
const TO =
  'AAAAAAAAAaaaaaaaaaCCCcccDdEEEEEEEEeeeeeeeeIIIIIIiiiiiiiLlNNNnnnOOOOOOOOooooooooRRrrSSSsssTtUUUUUUUUuuuuuuuuYYyyZZZzzz';

export async function up(db: Kysely<any>): Promise<void> {
  if ([...FROM].length !== [...TO].length) throw new Error('kb_fold: FROM and TO differ in length');
  await sql`
    create or replace function kb_fold(t text) returns text
    language sql immutable strict parallel safe
    as ${sql.raw(`$$ select replace(replace(replace(replace(replace(translate(t, '${FROM}', '${TO}'), 'œ', 'oe'), 'Œ', 'OE'), 'æ', 'ae'), 'Æ', 'AE'), 'ß', 'ss') $$`)}`.execute(
    db,
  );
  await db.schema
    .alterTable('knowledge_bases')
    .addColumn('synonyms', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();
  await db.schema.alterTable('kb_documents').addColumn('language', 'text').execute();
  await sql`
    update kb_documents d set language = kb.language
    from knowledge_bases kb where kb.workspace_id = d.workspace_id and kb.id = d.knowledge_base_id`.execute(db);
  await sql`
    update kb_chunks c
    set tsv = setweight(to_tsvector(d.language::regconfig, kb_fold(coalesce(
          (select string_agg(h, ' ') from jsonb_array_elements_text(c.location -> 'heading_path') h), ''))), 'A')
        || to_tsvector(d.language::regconfig, kb_fold(c.content))
    from kb_documents d
    where d.workspace_id = c.workspace_id and d.id = c.document_id and d.language is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('kb_documents').dropColumn('language').execute();
  await db.schema.alterTable('knowledge_bases').dropColumn('synonyms').execute();
  await sql`drop function if exists kb_fold(text)`.execute(db);
}

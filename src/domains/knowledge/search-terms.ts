import { type Kysely, sql } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';

/**
 * A query read like a web search box: words, "quoted phrases", word* prefixes, -excluded words
 * (`or` is implied: a passage need not hold every word).
 */
export interface ParsedQuery {
  words: string[];
  prefixes: string[];
  phrases: string[];
  excluded: string[];
}

const WORD = /[\p{L}\p{N}]+/gu;

export function parseQuery(query: string): ParsedQuery {
  const out: ParsedQuery = { words: [], prefixes: [], phrases: [], excluded: [] };
  const rest = query.replace(/(^|\s)(-?)"([^"]*)"/g, (_, _lead, minus: string, phrase: string) => {
    if (phrase.match(WORD)) (minus ? out.excluded : out.phrases).push(phrase);
    return ' ';
  });
  for (const raw of rest.split(/\s+/)) {
    const words = raw.match(WORD) ?? [];
    if (!words.length || /^or$/i.test(raw)) continue;
    if (raw.startsWith('-')) out.excluded.push(words.join(' '));
    else if (raw.endsWith('*')) {
      out.words.push(...words.slice(0, -1));
      out.prefixes.push(words.at(-1)!);
    } else out.words.push(...words);
  }
  return out;
}

/** One thing the query asks for: a word (with its inflections, compounds and synonyms), a prefix or a phrase. */
export interface Unit {
  label: string;
  /** tsquery text: the word's stem in each language, or the declared synonyms. */
  exact: string;
  /** exact, or a looser form: the stem as a prefix, the word joined to its neighbour. */
  loose: string;
}

export interface SearchTerms {
  units: Unit[];
  /** tsquery text of the excluded words, or null. */
  excluded: string | null;
  /** Stems (and prefixes, ending in `*`) to highlight, folded and lower-case. */
  highlight: Set<string>;
}

const LEXEME = /'((?:[^']|'')*)'(:\*)?/g;
const lexemesOf = (tsquery: string) => [...tsquery.matchAll(LEXEME)].map((m) => m[1]!.replace(/''/g, "'"));
const isSingleLexeme = (tsquery: string) => /^'(?:[^']|'')*'$/.test(tsquery);
const anyOf = (parts: Iterable<string>) => {
  const unique = [...new Set([...parts].filter(Boolean))];
  return unique.length > 1 ? unique.map((p) => `(${p})`).join(' | ') : (unique[0] ?? '');
};
const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

// Stems this long are also matched as prefixes: compounds (German Kundendienst for Kunde) and derived
// words the stemmer leaves apart. Shorter ones would open too wide a range of the index.
const MIN_AUTO_PREFIX = 5;
const MAX_PAIRS = 8;

interface Lexized {
  /** Per language: tsquery text of the item, '' for a stop word. */
  q: Map<string, string>;
  stopIn: Set<string>;
}

/**
 * Turns a parsed query into units, stemming every word in each language searched (one statement):
 * stop words of the query's language are dropped, adjacent words are also tried joined
 * ("dish washer" finds "dishwasher"), long stems also as prefixes, and the knowledge bases'
 * synonym groups whose stems appear in the query are added to the words they stand for.
 */
export async function searchTerms(
  db: Kysely<Database>,
  query: ParsedQuery,
  languages: string[],
  synonyms: string[][],
): Promise<SearchTerms> {
  const pairs = query.words
    .slice(0, -1)
    .map((w, i) => w + query.words[i + 1])
    .slice(0, MAX_PAIRS);
  const queryFolded = new Set(query.words.map((w) => fold(w).slice(0, 3)));
  // Only groups sharing a word's first letters with the query can match it: the rest are not stemmed.
  const groups = synonyms.filter((g) =>
    g.some((m) => (fold(m).match(WORD) ?? []).some((w) => queryFolded.has(w.slice(0, 3)))),
  );
  const items = [
    ...new Set([
      ...query.words,
      ...query.prefixes,
      ...query.phrases,
      ...query.excluded,
      ...pairs,
      ...groups.flat(),
      ...groups.flat().flatMap((m) => m.match(WORD) ?? []),
    ]),
  ];
  const lexized = await lexize(db, items, languages);
  const get = (item: string) => lexized.get(item) ?? { q: new Map<string, string>(), stopIn: new Set<string>() };

  // The query's language: the one in which most of its words are stop words, when there is one.
  const stopCounts = languages.map((l) => query.words.filter((w) => get(w).stopIn.has(l)).length);
  const top = Math.max(0, ...stopCounts);
  const queryLanguage =
    top > 0 && stopCounts.filter((n) => n === top).length === 1 ? languages[stopCounts.indexOf(top)] : undefined;
  const isStop = (w: string) => (queryLanguage ? get(w).stopIn.has(queryLanguage) : get(w).stopIn.size > 0);

  const highlight = new Set<string>();
  const words: { word: string; index: number; exact: string[]; loose: string[]; stems: Map<string, string> }[] = [];
  query.words.forEach((word, index) => {
    if (isStop(word)) return;
    const stems = new Map<string, string>();
    const exact: string[] = [];
    const loose: string[] = [];
    for (const [language, q] of get(word).q) {
      if (!q) continue;
      exact.push(q);
      for (const lex of lexemesOf(q)) highlight.add(lex);
      if (isSingleLexeme(q)) {
        stems.set(language, lexemesOf(q)[0]!);
        if (lexemesOf(q)[0]!.length >= MIN_AUTO_PREFIX && !/^\p{N}+$/u.test(word)) {
          loose.push(`${q}:*`);
          highlight.add(`${lexemesOf(q)[0]}*`);
        }
      }
    }
    if (exact.length) words.push({ word, index, exact, loose, stems });
  });
  // Joined neighbours: credit to both words.
  for (const [i, w] of words.entries()) {
    const next = words[i + 1];
    if (!next || next.index !== w.index + 1 || w.index >= MAX_PAIRS) continue;
    const joined = anyOf(get(w.word + next.word).q.values());
    if (!joined) continue;
    w.loose.push(joined);
    next.loose.push(joined);
    for (const lex of lexemesOf(joined)) highlight.add(lex);
  }
  // Synonyms: a member whose stems appear in a row of the query's words adds the other members to them.
  for (const group of groups) {
    for (const member of group) {
      for (const language of languages) {
        // Word by word, its stop words dropped as the query's were (folded first, `à` would stay as `a`).
        const stems = (member.match(WORD) ?? [])
          .filter((w) => !get(w).stopIn.has(language))
          .map((w) => get(w).q.get(language) ?? '');
        if (!stems.length || !stems.every(isSingleLexeme)) continue;
        const at = words.findIndex((_, i) =>
          stems.every((s, k) => `'${words[i + k]?.stems.get(language)?.replace(/'/g, "''")}'` === s),
        );
        if (at < 0) continue;
        const others = group.filter((m) => m !== member).flatMap((m) => [...get(m).q.values()]);
        for (const w of words.slice(at, at + stems.length)) w.exact.push(...others);
        for (const lex of others.flatMap(lexemesOf)) highlight.add(lex);
      }
    }
  }
  // A word said twice is one unit: it would otherwise count twice, and cost twice.
  const units: Unit[] = [];
  for (const w of words) {
    const exact = anyOf(w.exact);
    const loose = anyOf([exact, ...w.loose]);
    if (!units.some((u) => u.loose === loose)) units.push({ label: w.word, exact, loose });
  }
  for (const p of query.prefixes) {
    const stems = [...get(p).q.values()].flatMap((q) => (isSingleLexeme(q) ? lexemesOf(q) : []));
    if (!stems.length) stems.push(fold(p));
    const q = anyOf(stems.map((s) => `'${s.replace(/'/g, "''")}':*`));
    for (const s of stems) highlight.add(`${s}*`);
    units.push({ label: `${p}*`, exact: q, loose: q });
  }
  for (const p of query.phrases) {
    const q = anyOf(get(p).q.values());
    for (const lex of lexemesOf(q)) highlight.add(lex);
    if (q) units.push({ label: `"${p}"`, exact: q, loose: q });
  }
  const excluded = anyOf(query.excluded.flatMap((e) => [...get(e).q.values()]));
  return { units, excluded: excluded || null, highlight };
}

async function lexize(db: Kysely<Database>, items: string[], languages: string[]): Promise<Map<string, Lexized>> {
  const out = new Map<string, Lexized>();
  if (!items.length) return out;
  const { rows } = await sql<{ i: number; language: string; q: string; stop: boolean }>`
    select t.i::int as i, l.l as language,
      phraseto_tsquery(l.l::regconfig, kb_fold(t.s))::text as q,
      phraseto_tsquery(l.l::regconfig, lower(t.s))::text = '' or phraseto_tsquery(l.l::regconfig, kb_fold(t.s))::text = '' as stop
    from unnest(${items}::text[]) with ordinality as t(s, i), unnest(${languages}::text[]) as l(l)`.execute(db);
  for (const r of rows) {
    const item = items[r.i - 1]!;
    const entry = out.get(item) ?? { q: new Map(), stopIn: new Set() };
    entry.q.set(r.language, r.q);
    if (r.stop) entry.stopIn.add(r.language);
    out.set(item, entry);
  }
  return out;
}

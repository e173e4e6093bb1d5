import { type Kysely, sql } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';

const WINDOW_WORDS = 30;
const WORD = /[\p{L}\p{N}]+/gu;

interface Passage {
  content: string;
  language: string;
}

/**
 * The stems of every word of the passages, in each passage's language, in one statement: the same
 * folding and stemming the index used, so a highlighted word is one the search matched
 * (`délais` for the query "delai"), which ts_headline over the unfolded text cannot tell.
 */
async function stemsOfWords(db: Kysely<Database>, passages: Passage[]): Promise<Map<string, string[]>> {
  const keys = new Map<string, [string, string]>();
  for (const p of passages)
    for (const w of p.content.match(WORD) ?? []) keys.set(`${p.language}\u0000${w}`, [w, p.language]);
  if (!keys.size) return new Map();
  const words = [...keys.values()];
  const { rows } = await sql<{ i: number; stems: string[] }>`
    select t.i::int as i, tsvector_to_array(to_tsvector(t.l::regconfig, kb_fold(t.w))) as stems
    from unnest(${words.map((w) => w[0])}::text[], ${words.map((w) => w[1])}::text[]) with ordinality as t(w, l, i)`.execute(
    db,
  );
  const out = new Map<string, string[]>();
  const names = [...keys.keys()];
  for (const r of rows) out.set(names[r.i - 1]!, r.stems);
  return out;
}

/**
 * For each passage, the window of about WINDOW_WORDS words holding the most different matched
 * stems (then the most matches), with the matched words in **bold** and … where it was cut.
 */
export async function snippetsFor(
  db: Kysely<Database>,
  passages: Passage[],
  highlight: Set<string>,
): Promise<string[]> {
  const stems = await stemsOfWords(db, passages);
  const prefixes = [...highlight].filter((h) => h.endsWith('*')).map((h) => h.slice(0, -1));
  const matchOf = (language: string, word: string): string | null => {
    for (const s of stems.get(`${language}\u0000${word}`) ?? []) {
      if (highlight.has(s)) return s;
      const p = prefixes.find((x) => s.startsWith(x));
      if (p) return `${p}*`;
    }
    return null;
  };
  return passages.map((p) => {
    const words = [...p.content.matchAll(WORD)].map((m) => ({
      start: m.index,
      end: m.index + m[0].length,
      match: matchOf(p.language, m[0]),
    }));
    if (!words.length) return p.content.slice(0, 240);
    // Ties go to the window whose first match comes a few words in, so it reads in its sentence.
    let best = { from: 0, score: -1, lead: Number.POSITIVE_INFINITY };
    for (let from = 0; from < Math.max(1, words.length - WINDOW_WORDS + 1); from++) {
      const window = words.slice(from, from + WINDOW_WORDS);
      const inWindow = window.filter((w) => w.match);
      const score = new Set(inWindow.map((w) => w.match)).size * 100 + inWindow.length;
      const first = window.findIndex((w) => w.match);
      const lead = first < 0 ? 0 : Math.abs(first - 3);
      if (score > best.score || (score === best.score && lead < best.lead)) best = { from, score, lead };
    }
    const chosen = words.slice(best.from, best.from + WINDOW_WORDS);
    const start = chosen[0]!.start;
    const end = chosen.at(-1)!.end;
    let text = '';
    let at = start;
    for (const w of chosen) {
      text += p.content.slice(at, w.start);
      text += w.match ? `**${p.content.slice(w.start, w.end)}**` : p.content.slice(w.start, w.end);
      at = w.end;
    }
    const trimmed = text.replace(/\s+/g, ' ').trim();
    return `${start > 0 ? '… ' : ''}${trimmed}${end < p.content.trimEnd().length ? ' …' : ''}`;
  });
}

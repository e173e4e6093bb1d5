/**
 * Which language a document is written in, from its commonest function words: enough to pick the
 * stemmer (a French text stemmed as English finds none of its inflections). Only languages whose
 * PostgreSQL text-search configuration ships with every server (and PGlite) are told apart.
 */
const FUNCTION_WORDS: Record<string, string> = {
  english:
    'the and of to is in that it for are with as was be by this on not or have from at which but they you we an has were their been will would there what all can your our its when if',
  french:
    'le la les des est et du une dans pour que qui pas sur au aux avec sont ce cette par ne plus nous vous ou son ses leur mais comme être été avez sous chaque',
  german:
    'der die das und ist nicht mit den dem sich auf für ein eine einer auch es von zu im wird werden sind oder bei aus wie nach wir ihr sie',
  spanish:
    'el la los las de que y en un una es por con para del al se no su sus como más pero este esta son muy también hay está puede',
  italian:
    'il lo la gli le di che e è un una per con del della dei non sono come anche più nel nella alla questo questa si ma essere',
  portuguese:
    'o a os as de que e em um uma é para com não do da dos das no na se por mais como mas ao são também está você',
  dutch:
    'de het een en van is dat niet op te zijn met voor als maar ook er aan bij door nog wordt worden naar dit deze wij',
};

const SETS = Object.entries(FUNCTION_WORDS).map(([language, words]) => [language, new Set(words.split(' '))] as const);

/** The configurations detectLanguage can answer; a knowledge base in another one (`simple`, ...) is left as it is. */
export const DETECTABLE_LANGUAGES: readonly string[] = SETS.map(([l]) => l);

// Counted over the first words only: the opening of a document tells its language as well as the whole.
const SAMPLE_WORDS = 3000;
const MIN_HITS = 5;

/**
 * The language of `text` when its function words say so clearly (at least MIN_HITS of them, and
 * half again as many as the next language's); otherwise `fallback`.
 */
export function detectLanguage(text: string, fallback: string): string {
  if (!DETECTABLE_LANGUAGES.includes(fallback)) return fallback;
  const words = (text.toLowerCase().match(/\p{L}+/gu) ?? []).slice(0, SAMPLE_WORDS);
  const hits = SETS.map(([language, set]) => ({ language, n: words.reduce((a, w) => a + (set.has(w) ? 1 : 0), 0) }));
  hits.sort((a, b) => b.n - a.n);
  const [best, second] = hits;
  if (!best || best.n < MIN_HITS || best.n < 1.5 * (second?.n ?? 0)) return fallback;
  return best.language;
}

/**
 * The form every pattern in this folder is written against: lower case, no accents ("désinscrire"
 * -> "desinscrire"), straight apostrophes and quotes, plain spaces and hyphens. Lengths change
 * (NFD then dropping marks), so positions in the result are not positions in the input.
 */
export function normalize(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc\u2032`\u00b4]/g, "'")
    .replace(/[\u201c\u201d\u00ab\u00bb]/g, '"')
    .replace(/\u0153/g, 'oe')
    .replace(/\u00e6/g, 'ae')
    .replace(/[\u00a0\u202f\u2009\u2007]/g, ' ')
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/[ \t]+/g, ' ');
}

/**
 * Sentences of normalized text: split after . ! ? and at line breaks, keeping the punctuation, so
 * a question mark stays with the sentence it ends and one sentence's cue does not leak into the next.
 */
export function sentences(normalized: string): string[] {
  return normalized
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

// Short function words that are frequent in one language and rare in the other.
const FRENCH =
  /\b(le|la|les|des|du|je|nous|vous|est|pas|pour|une|merci|bonjour|ce|ca|avec|sur|mon|votre|vos|nos|au|aux|mais|qui|que|suis|sommes|avons|serai|jusqu|plus|tres|cordialement)\b/g;
const ENGLISH =
  /\b(the|and|to|you|we|is|not|for|of|i|it|this|our|your|thanks|hi|be|are|with|my|me|will|am|can|please|would|have|in|on|at|out)\b/g;

/** 'fr' when French function words outnumber English ones; it decides how 03/04 reads (day first in French). */
export function detectLanguage(normalized: string): 'en' | 'fr' {
  const fr = normalized.match(FRENCH)?.length ?? 0;
  const en = normalized.match(ENGLISH)?.length ?? 0;
  return fr > en ? 'fr' : 'en';
}

/**
 * A deterministic synthetic Markdown corpus for the knowledge-base benchmark: English function
 * words, a content vocabulary of a few thousand words (real business terms mixed with pronounceable
 * made-up words) drawn with a Zipf-like law, per-document topical terms, headings, lists and
 * emphasis. Same seed, same bytes; so two runs (and the two databases) index the same text.
 */

/** mulberry32: a small, fast, seedable PRNG (0 <= x < 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rng = () => number;
export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
export const between = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));

// Most frequent first; the English configuration drops these, as it would in real text.
const STOP_WORDS = (
  'the of and to a in is that for it as with was on be by this are or from at an which not have has but can will all ' +
  'their more when if they we you each should may must into than other its also only any after before per your our ' +
  'these those such then there been would could about over under between while where who what how'
).split(' ');

// Real words, scattered over the ranks of the content vocabulary so queries hit them at every frequency.
const REAL_WORDS = (
  'account address agent agreement alert allowance analysis annual answer api approval archive audit author ' +
  'backup balance bank batch benefit billing board bonus booking branch budget bug build bundle business buyer ' +
  'calendar campaign cancel capacity card carrier cart catalog certificate change channel charge checkout claim ' +
  'client cloud code commission company compliance configuration contract contractor cost coupon credit currency ' +
  'customer cycle dashboard data database deadline debit delivery department deposit design device discount ' +
  'dispatch dispute document domain draft employee encryption engineer environment equipment error escalation ' +
  'estimate event exchange expense export failure feature fee feedback file finance firewall fleet forecast form ' +
  'freight fund gateway goal grant guarantee guest handbook hardware health holiday hosting identity incident ' +
  'income insurance integration interview inventory invoice item ledger lease license limit loan logistics ' +
  'login maintenance manager margin market meeting member merchant message metric migration mobile module ' +
  'network notice notification offer office onboarding order outage overtime owner package parcel partner ' +
  'password payment payroll pension permission phone pipeline plan platform policy portal pricing printer ' +
  'privacy procedure product profile project promotion proposal purchase quality quarter quota quote receipt ' +
  'record recovery recruit refund region release reminder renewal report request reservation resource return ' +
  'revenue review risk roadmap role router salary sales schedule security server service session shift ' +
  'shipment shipping signature software staff standard statement storage subscription supplier support survey ' +
  'system tax team template tenant ticket timesheet token training transfer travel trial upgrade user vacation ' +
  'vendor vehicle version voucher wallet warehouse warranty webhook workflow workspace'
).split(' ');

const ONSETS = [
  'b',
  'br',
  'c',
  'ch',
  'cl',
  'd',
  'dr',
  'f',
  'fl',
  'g',
  'gr',
  'h',
  'j',
  'k',
  'l',
  'm',
  'n',
  'p',
  'pl',
  'pr',
  'r',
  's',
  'sh',
  'sl',
  'st',
  't',
  'th',
  'tr',
  'v',
  'w',
  'z',
];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'io', 'ou', 'y'];
const CODAS = ['', '', '', '', 'n', 'r', 'l', 's', 't', 'm', 'nd', 'st', 'rk', 'ng', 'x'];

export interface Vocabulary {
  /** Content words, most frequent first (rank 0). */
  words: string[];
  /** Cumulative Zipf weights over `words`, for sampling. */
  cdf: Float64Array;
  stopCdf: Float64Array;
  /** Per topic, the words a document on that topic uses more. */
  topics: string[][];
}

function cumulative(n: number, s: number): Float64Array {
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let r = 0; r < n; r++) cdf[r] = acc += 1 / (r + 1) ** s;
  return cdf;
}

function sampleCdf(cdf: Float64Array, x: number): number {
  const target = x * cdf[cdf.length - 1]!;
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `size` content words plus `topicCount` topics of `topicSize` words, all from `seed`. */
export function buildVocabulary(seed = 1, size = 4000, topicCount = 24, topicSize = 30): Vocabulary {
  const rng = prng(seed);
  const made = new Set<string>(REAL_WORDS);
  const invented: string[] = [];
  while (invented.length < size - REAL_WORDS.length) {
    let w = '';
    const r = rng();
    for (let s = r < 0.2 ? 1 : r < 0.85 ? 2 : 3; s > 0; s--)
      w += pick(rng, ONSETS) + pick(rng, VOWELS) + pick(rng, CODAS);
    if (w.length >= 3 && w.length <= 10 && !made.has(w) && !STOP_WORDS.includes(w)) {
      made.add(w);
      invented.push(w);
    }
  }
  // Real words land at random ranks among the invented ones.
  const words = [...invented];
  for (const w of REAL_WORDS) words.splice(Math.floor(rng() * (words.length + 1)), 0, w);
  const topics = Array.from({ length: topicCount }, () =>
    Array.from({ length: topicSize }, () => words[between(rng, 150, size - 1)]!),
  );
  return { words, cdf: cumulative(size, 1.0), stopCdf: cumulative(STOP_WORDS.length, 0.9), topics };
}

/** Writes one Markdown document's worth of text. */
class Writer {
  private readonly topic: string[];
  constructor(
    private readonly v: Vocabulary,
    private readonly rng: Rng,
    topicIndex: number,
  ) {
    this.topic = v.topics[topicIndex % v.topics.length]!;
  }

  word(): string {
    const r = this.rng();
    if (r < 0.38) return STOP_WORDS[sampleCdf(this.v.stopCdf, this.rng())]!;
    if (r < 0.5) return pick(this.rng, this.topic);
    return this.v.words[sampleCdf(this.v.cdf, this.rng())]!;
  }

  contentWord(): string {
    return this.rng() < 0.4 ? pick(this.rng, this.topic) : this.v.words[sampleCdf(this.v.cdf, this.rng())]!;
  }

  sentence(): string {
    const n = between(this.rng, 7, 24);
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      let w = this.word();
      if (i > 2 && i < n - 2 && this.rng() < 0.07) w += ',';
      else if (this.rng() < 0.015) w = `**${w}**`;
      out.push(w);
    }
    out[0] = out[0]![0]!.toUpperCase() + out[0]!.slice(1);
    return out.join(' ') + (this.rng() < 0.08 ? '?' : '.');
  }

  paragraph(): string {
    return Array.from({ length: between(this.rng, 2, 6) }, () => this.sentence()).join(' ');
  }

  heading(): string {
    const t = Array.from({ length: between(this.rng, 2, 5) }, () => this.contentWord()).join(' ');
    return t[0]!.toUpperCase() + t.slice(1);
  }

  list(): string {
    return Array.from({ length: between(this.rng, 3, 6) }, () => `- ${this.sentence()}`).join('\n');
  }
}

/** A Markdown document of about `bytes` bytes (ASCII, so characters = bytes). */
export function markdownDocument(v: Vocabulary, seed: number, bytes: number): string {
  const rng = prng(seed);
  const w = new Writer(v, rng, seed);
  const parts: string[] = [`# ${w.heading()}`, w.paragraph()];
  let size = parts[0]!.length + parts[1]!.length;
  while (size < bytes) {
    const section: string[] = [`## ${w.heading()}`];
    for (let p = between(rng, 2, 6); p > 0; p--) {
      const r = rng();
      section.push(r < 0.12 ? `### ${w.heading()}` : r < 0.25 ? w.list() : w.paragraph());
    }
    for (const s of section) size += s.length + 2;
    parts.push(...section);
  }
  return `${parts.join('\n\n')}\n`;
}

export type QueryKind = 'one word' | 'two words' | 'three-four words' | 'phrase' | 'prefix' | 'words + prefix';

export interface BenchQuery {
  kind: QueryKind;
  query: string;
}

/**
 * Queries as people type them into a search box. Words are drawn uniformly over log-rank, so
 * very frequent words (matching most chunks), middling and rare ones are all represented; phrases
 * are adjacent word pairs taken from the corpus text itself.
 */
export function benchQueries(v: Vocabulary, seed: number, n: number, sampleText: string): BenchQuery[] {
  const rng = prng(seed);
  // Log-uniform rank from 5 on: the handful of words found in nearly every chunk are left out.
  const word = () =>
    v.words[Math.min(v.words.length - 1, Math.floor(5 * Math.exp(rng() * Math.log(v.words.length / 5))))]!;
  const plain = sampleText
    .replace(/[#*\-?.,]/g, ' ')
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean);
  const isContent = (x: string) => !STOP_WORDS.includes(x);
  const phrase = () => {
    for (;;) {
      const i = Math.floor(rng() * (plain.length - 1));
      if (isContent(plain[i]!) && isContent(plain[i + 1]!)) return `"${plain[i]} ${plain[i + 1]}"`;
    }
  };
  const prefix = () => {
    const w = word();
    return `${w.slice(0, between(rng, 3, Math.min(5, w.length)))}*`;
  };
  const kinds: [QueryKind, number, () => string][] = [
    ['one word', 0.25, word],
    ['two words', 0.25, () => `${word()} ${word()}`],
    [
      'three-four words',
      0.2,
      () =>
        Array.from({ length: between(rng, 3, 4) }, (_, i) =>
          i === 1 && rng() < 0.5 ? pick(rng, ['for', 'with', 'the', 'of']) : word(),
        ).join(' '),
    ],
    ['phrase', 0.1, phrase],
    ['prefix', 0.1, prefix],
    ['words + prefix', 0.1, () => `${word()} ${prefix()}`],
  ];
  return Array.from({ length: n }, () => {
    let r = rng();
    for (const [kind, weight, make] of kinds) {
      r -= weight;
      if (r < 0 || kind === 'words + prefix') return { kind, query: make() };
    }
    throw new Error('unreachable');
  });
}

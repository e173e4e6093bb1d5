import { AppError } from '../../../kernel/errors.js';
import type { Block } from './block.js';

export interface ChunkOptions {
  /** Target maximum characters per chunk, e.g. 1200. */
  chunkSize: number;
  /** Characters carried over from the previous chunk of the same section, e.g. 150; 0 = none. */
  overlap: number;
}

export interface Chunk {
  /** The text indexed and returned to the model; table chunks repeat the table's header. */
  content: string;
  /** The headings above this chunk, outermost first. */
  headingPath: string[];
  /** PDF page (1-based) where the chunk starts, else null. */
  page: number | null;
  /** For citations, only the keys that apply: page, heading_path, section_ordinal, rows, json_path. */
  location: Record<string, unknown>;
}

interface Heading {
  level: number;
  text: string;
  page: number | undefined;
  shown: boolean;
}

interface OpenChunk {
  head: Heading[];
  headText: string;
  prefix: string;
  parts: string[];
  len: number;
  budget: number;
  hasBody: boolean;
  page: number | null;
  lastPage: number | undefined;
  rows: [number, number] | null;
}

// Sentence ends (terminal punctuation, closing quotes, then spaces), line breaks, and CJK full stops.
const SENTENCE_BREAK = /(?<=[.!?…]["'”’)\]]*)[ \t]+(?=\S)|\n+|(?<=[。！？])(?=\S)/g;
const WORD_BREAK = /\s+/g;
const TAIL_START = /(?:[.!?…。！？]["'”’)\]]*\s+|\n+)(?=\S)/;
const LIST_ITEM = /^\s*(?:[-*+•]|\d{1,9}[.)])\s/;

/** Pieces of `text` between matches of `re`, each with the separator before it (' ', '\n' or ''). */
function* pieces(text: string, re: RegExp): Generator<[string, string]> {
  let last = 0;
  let sep = '';
  for (const m of text.matchAll(re)) {
    if (m.index > last) yield [text.slice(last, m.index), sep];
    sep = m[0].includes('\n') ? '\n' : m[0] === '' ? '' : ' ';
    last = m.index + m[0].length;
  }
  if (last < text.length) yield [text.slice(last), sep];
}

/** The end of `text` in at most `max` characters, starting at a sentence if possible, else a word. */
function tail(text: string, max: number): string {
  if (text.length <= max) return text;
  const window = text.slice(text.length - max);
  const sentence = TAIL_START.exec(window);
  if (sentence) return window.slice(sentence.index + sentence[0].length).trim();
  if (/\s/.test(text[text.length - max - 1]!)) return window.trim();
  const space = window.search(/\s/);
  return space < 0 ? '' : window.slice(space).trim();
}

const tableRow = (cells: string[]): string =>
  `| ${cells.map((c) => c.replace(/\|/g, '\\|').replace(/\n/g, ' ')).join(' | ')} |`;

/** Packs blocks into chunks section by section; see `chunkBlocks`. */
class Chunker {
  readonly out: Chunk[] = [];
  private readonly stack: Heading[] = [];
  private ordinal = 0;
  private cur: OpenChunk | null = null;
  private carry = '';
  private jsonPath: string | undefined;
  private tablePrefix = '';
  private lastListItem = false;

  constructor(
    private readonly size: number,
    private readonly overlap: number,
  ) {}

  heading(b: Extract<Block, { kind: 'heading' }>): void {
    this.close();
    const popped: Heading[] = [];
    while (this.stack.length && this.stack.at(-1)!.level >= b.level) popped.unshift(this.stack.pop()!);
    // A section that ended with no text still gets its heading indexed, so no words are lost.
    if (popped.some((h) => !h.shown)) this.emitHeadings([...this.stack, ...popped]);
    this.stack.push({ level: b.level, text: b.text, page: b.page, shown: false });
    this.ordinal++;
  }

  paragraph(b: Extract<Block, { kind: 'paragraph' }>): void {
    if (b.jsonPath !== this.jsonPath) {
      this.close();
      this.jsonPath = b.jsonPath;
    }
    // A new page starts a new chunk, so a page citation covers the whole chunk.
    if (b.page !== undefined && this.cur?.hasBody && this.cur.lastPage !== b.page) this.flush(true);
    const item = LIST_ITEM.test(b.text);
    const sep = item && this.lastListItem ? '\n' : '\n\n';
    this.lastListItem = item;
    if (this.append(b.text, sep, b.page)) return;
    if (b.text.length <= this.size) {
      // It fits a chunk of its own: start one rather than cut the paragraph.
      this.flush(true);
      if (this.append(b.text, sep, b.page) || (this.dropCarry() && this.append(b.text, sep, b.page))) return;
    }
    this.stream(b.text, sep, b.page);
  }

  table(b: Extract<Block, { kind: 'table' }>): void {
    this.close();
    this.jsonPath = b.jsonPath;
    const header = b.header ? `${tableRow(b.header)}\n${tableRow(b.header.map(() => '---'))}` : '';
    if (b.rows.length === 0) {
      if (header) this.append(header, '', b.page);
      this.close();
      return;
    }
    this.tablePrefix = header;
    const first = b.firstRow ?? 1;
    b.rows.forEach((cells, i) => {
      const line = tableRow(cells);
      if (this.append(line, '\n', b.page, first + i)) return;
      this.flush(false);
      if (this.append(line, '\n', b.page, first + i)) return;
      // One row longer than a chunk: as `column: value` lines, split along them.
      const record = cells.map((v, j) => (b.header ? `${b.header[j] ?? `column ${j + 1}`}: ${v}` : v)).join('\n');
      this.stream(record, '\n', b.page, first + i);
    });
    this.close();
    this.tablePrefix = '';
  }

  finish(): Chunk[] {
    this.close();
    if (this.stack.some((h) => !h.shown)) this.emitHeadings(this.stack);
    return this.out;
  }

  /** Splits text too long for one chunk at sentences, then words, then characters. */
  private stream(text: string, sep: string, page: number | undefined, row?: number): void {
    let first = true;
    for (const [sentence, s] of pieces(text, SENTENCE_BREAK)) {
      this.unit(sentence, first ? sep : s, page, row, false);
      first = false;
    }
  }

  private unit(text: string, sep: string, page: number | undefined, row: number | undefined, word: boolean): void {
    if (this.append(text, sep, page, row)) return;
    // A sentence that fits a chunk of its own starts one; a longer one fills this chunk first.
    if (word || text.length <= this.size) {
      if (this.cur?.hasBody) {
        this.flush(row === undefined);
        if (this.append(text, sep, page, row)) return;
      }
      if (this.dropCarry() && this.append(text, sep, page, row)) return;
    }
    if (!word) {
      let first = true;
      for (const [w, s] of pieces(text, WORD_BREAK)) {
        this.unit(w, first ? sep : s, page, row, true);
        first = false;
      }
      return;
    }
    for (let i = 0; i < text.length; ) {
      const c = this.open(page);
      let end = Math.min(text.length, i + c.budget - c.len);
      if (end < text.length && end > i + 1 && /[\ud800-\udbff]/.test(text[end - 1]!)) end--; // keep surrogate pairs whole
      this.append(text.slice(i, end), '', page, row);
      i = end;
      if (i < text.length) this.flush(false);
    }
  }

  private open(page: number | undefined): OpenChunk {
    if (this.cur) return this.cur;
    const head = this.stack.filter((h) => !h.shown);
    const headText = head.map((h) => h.text).join('\n');
    const fixed = (headText ? headText.length + 2 : 0) + (this.tablePrefix ? this.tablePrefix.length + 1 : 0);
    this.cur = {
      head,
      headText,
      prefix: this.tablePrefix,
      parts: this.carry ? [this.carry] : [],
      len: this.carry.length,
      budget: Math.max(this.size - fixed, Math.ceil(this.size / 2)),
      hasBody: false,
      page: head[0]?.page ?? page ?? null,
      lastPage: page,
      rows: null,
    };
    this.carry = '';
    return this.cur;
  }

  private append(text: string, sep: string, page: number | undefined, row?: number): boolean {
    const c = this.open(page);
    const need = (c.len > 0 ? sep.length : 0) + text.length;
    if (c.len + need > c.budget) return false;
    if (c.len > 0) c.parts.push(sep);
    c.parts.push(text);
    c.len += need;
    c.lastPage = page;
    if (!c.hasBody) {
      c.hasBody = true;
      if (!c.head.length) c.page = page ?? null;
      for (const h of c.head) h.shown = true;
    }
    if (row !== undefined) c.rows = c.rows ? [c.rows[0], row] : [row, row];
    return true;
  }

  /** Removes carried-over text from an open chunk that has nothing else yet, to make room. */
  private dropCarry(): boolean {
    if (!this.cur || this.cur.hasBody || this.cur.len === 0) return false;
    this.cur.parts = [];
    this.cur.len = 0;
    return true;
  }

  private flush(withCarry: boolean): void {
    const c = this.cur;
    if (!c?.hasBody) return;
    const body = c.parts.join('');
    const content = [c.headText, c.prefix ? `${c.prefix}\n${body}` : body].filter((s) => s !== '').join('\n\n');
    this.push(content, c.page, c.rows);
    this.cur = null;
    this.carry = withCarry && this.overlap > 0 ? tail(body, this.overlap) : '';
  }

  /** Ends the current section's run: no overlap carries across a heading, table or JSON value. */
  private close(): void {
    this.flush(false);
    this.cur = null;
    this.carry = '';
    this.lastListItem = false;
  }

  private emitHeadings(path: Heading[]): void {
    const unshown = path.filter((h) => !h.shown);
    for (const h of unshown) h.shown = true;
    const saved = this.stack.splice(0, this.stack.length, ...path);
    this.push(unshown.map((h) => h.text).join('\n'), unshown[0]?.page ?? null, null);
    this.stack.splice(0, this.stack.length, ...saved);
  }

  private push(content: string, page: number | null, rows: [number, number] | null): void {
    const headingPath = this.stack.map((h) => h.text);
    const location: Record<string, unknown> = {};
    if (page !== null) location.page = page;
    if (headingPath.length) {
      location.heading_path = headingPath;
      location.section_ordinal = this.ordinal;
    }
    if (rows) location.rows = rows;
    if (this.jsonPath !== undefined) location.json_path = this.jsonPath;
    this.out.push({ content, headingPath, page, location });
  }
}

/**
 * Splits blocks into retrieval chunks that respect structure: a chunk never spans two sections,
 * the first chunk of a section starts with its heading(s), paragraphs are packed up to
 * `chunkSize` and cut at sentences (then words) only when longer, tables are split by rows with
 * their header repeated, and `overlap` characters of whole sentences or words carry over between
 * chunks of one section. Deterministic.
 */
export function chunkBlocks(blocks: Block[], opts: ChunkOptions): Chunk[] {
  if (!Number.isInteger(opts.chunkSize) || opts.chunkSize < 20) {
    throw new AppError('invalid_request', 'chunk_size must be a whole number of at least 20 characters', {
      param: 'chunk_size',
    });
  }
  if (!Number.isInteger(opts.overlap) || opts.overlap < 0 || opts.overlap >= opts.chunkSize) {
    throw new AppError('invalid_request', 'chunk_overlap must be a whole number from 0 to less than chunk_size', {
      param: 'chunk_overlap',
    });
  }
  // More than half a chunk of repeated text would crowd out new text.
  const chunker = new Chunker(opts.chunkSize, Math.min(opts.overlap, Math.floor(opts.chunkSize / 2)));
  for (const b of blocks) {
    if (b.kind === 'heading') chunker.heading(b);
    else if (b.kind === 'paragraph') chunker.paragraph(b);
    else chunker.table(b);
  }
  return chunker.finish();
}

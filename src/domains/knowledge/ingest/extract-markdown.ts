import type { Block } from './block.js';
import { cleanInline, cleanLines, decodeText } from './extract-text.js';

// A line-based reader of the CommonMark/GFM block structure we index (headings, paragraphs, list
// items, code, tables, quotes). It is linear in the input: 10 MB of Markdown is one pass.

const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const FENCE = /^( {0,3})(`{3,}|~{3,})/;
const LIST_ITEM = /^([ \t]*)([-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$/;
const DELIMITER_ROW = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
const LINK_DEFINITION = /^ {0,3}\[[^\]]+\]:[ \t]+\S+/;

/** Strips inline Markdown (emphasis, links, images, code spans, tags) to the text a reader sees. */
export function stripInline(source: string): string {
  let out = '';
  let last = 0;
  // Code spans are taken verbatim; everything between them gets the other rules.
  for (const m of source.matchAll(/(`+)([\s\S]+?)\1(?!`)/g)) {
    out += stripSpans(source.slice(last, m.index)) + m[2]!.trim();
    last = m.index + m[0].length;
  }
  return cleanInline(out + stripSpans(source.slice(last)));
}

function stripSpans(s: string): string {
  if (!/[\\[*_~<!]/.test(s)) return s;
  return s
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\(\s*<?([^)\s>]*)>?(?:\s+["'(][^)]*)?\)/g, (_, text: string, url: string) =>
      /^https?:\/\//i.test(url) && url !== text ? `${text} (${url})` : text,
    )
    .replace(/\[([^\]]+)\]\[[^\]]*\]/g, '$1')
    .replace(/<((?:https?|mailto):[^>\s]+)>/gi, '$1')
    .replace(/<\/?[a-zA-Z][\w-]*(?:\s[^<>]*)?\/?>/g, ' ')
    .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, '$2')
    .replace(/~~(?=\S)([\s\S]*?\S)~~/g, '$1')
    .replace(/\*(?=[^\s*])([^*]*?[^\s*])\*/g, '$1')
    .replace(/(^|[^\w\\])_(?=[^\s_])([^_]*?[^\s_])_(?!\w)/g, '$1$2')
    .replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

function splitRow(line: string): string[] {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  return s.split(/(?<!\\)\|/).map((cell) => stripInline(cell.replace(/\\\|/g, '|')));
}

/** Code keeps its line breaks and indentation, minus the indentation common to all lines. */
function codeText(lines: string[]): string {
  const kept = lines.map((l) => l.replace(/\t/g, '    ').replace(/\s+$/, ''));
  while (kept.length && kept[0] === '') kept.shift();
  while (kept.length && kept[kept.length - 1] === '') kept.pop();
  let indent = Infinity;
  for (const l of kept) if (l !== '') indent = Math.min(indent, l.length - l.trimStart().length);
  return kept.map((l) => l.slice(indent)).join('\n');
}

/** Reads lines into blocks; each `read*` method consumes one construct and says whether it did. */
class MarkdownReader {
  readonly blocks: Block[] = [];
  private i = 0;
  private para: string[] = [];
  private marker = '';
  private inList = false;

  constructor(private readonly lines: string[]) {}

  read(): Block[] {
    this.readFrontMatter();
    while (this.i < this.lines.length) {
      const line = this.lines[this.i]!;
      if (line.trim() === '') {
        this.flush();
        this.i++;
      } else if (
        !(
          this.readFence(line) ||
          this.readIndentedCode(line) ||
          this.readHeading(line) ||
          this.readRule(line) ||
          this.readTable(line) ||
          this.readSkipped(line) ||
          this.readListItem(line)
        )
      ) {
        if (this.para.length === 0 && !/^\s/.test(line)) this.inList = false;
        this.para.push(/^ {0,3}>/.test(line) ? line.replace(/^(?: {0,3}> ?)+/, '') : line);
        this.i++;
      }
    }
    this.flush();
    return this.blocks;
  }

  private flush(): void {
    const text = this.para.length ? stripInline(this.para.join(' ')) : '';
    if (text !== '') this.blocks.push({ kind: 'paragraph', text: this.marker + text });
    this.para = [];
    this.marker = '';
  }

  private code(lines: string[]): void {
    const text = codeText(lines);
    if (text !== '') this.blocks.push({ kind: 'paragraph', text });
  }

  /** YAML front matter: one paragraph of `key: value` lines, not misread as a setext heading. */
  private readFrontMatter(): void {
    if (!/^---[ \t]*$/.test(this.lines[0] ?? '')) return;
    const end = this.lines.findIndex((l, n) => n > 0 && /^(?:---|\.\.\.)[ \t]*$/.test(l));
    if (end < 0) return;
    const text = cleanLines(this.lines.slice(1, end).join('\n'));
    if (text !== '') this.blocks.push({ kind: 'paragraph', text });
    this.i = end + 1;
  }

  private readFence(line: string): boolean {
    const fence = FENCE.exec(line);
    if (!fence) return false;
    this.flush();
    const close = new RegExp(`^ {0,3}${fence[2]![0] === '`' ? '`' : '~'}{${fence[2]!.length},}[ \\t]*$`);
    let end = this.i + 1;
    while (end < this.lines.length && !close.test(this.lines[end]!)) end++;
    this.code(this.lines.slice(this.i + 1, end));
    this.i = end + 1;
    return true;
  }

  private readIndentedCode(line: string): boolean {
    if (this.para.length > 0 || this.inList || !/^(?: {4}|\t)/.test(line)) return false;
    let end = this.i;
    while (end < this.lines.length && (/^(?: {4}|\t)/.test(this.lines[end]!) || this.lines[end]!.trim() === '')) end++;
    this.code(this.lines.slice(this.i, end));
    this.i = end;
    return true;
  }

  private readHeading(line: string): boolean {
    const atx = ATX.exec(line);
    const setext = !atx && this.para.length > 0 && this.marker === '' && SETEXT.test(line);
    if (!atx && !setext) return false;
    const text = stripInline(atx ? (atx[2] ?? '') : this.para.join(' '));
    if (atx) this.flush();
    this.para = [];
    this.inList = false;
    const level = atx ? atx[1]!.length : line.trim()[0] === '=' ? 1 : 2;
    if (text !== '') this.blocks.push({ kind: 'heading', level, text });
    this.i++;
    return true;
  }

  private readRule(line: string): boolean {
    if (!RULE.test(line)) return false;
    this.flush();
    this.inList = false;
    this.i++;
    return true;
  }

  /** A GFM table: a header row, a delimiter row with as many cells, then rows until a blank line. */
  private readTable(line: string): boolean {
    const delimiter = this.lines[this.i + 1] ?? '';
    if (!line.includes('|') || !delimiter.includes('|') || !DELIMITER_ROW.test(delimiter)) return false;
    const header = splitRow(line);
    if (splitRow(delimiter).length !== header.length) return false;
    this.flush();
    const rows: string[][] = [];
    this.i += 2;
    while (this.i < this.lines.length && this.lines[this.i]!.trim() !== '' && this.lines[this.i]!.includes('|')) {
      const cells = splitRow(this.lines[this.i++]!);
      rows.push(header.map((_, n) => cells[n] ?? ''));
    }
    this.blocks.push({ kind: 'table', header, rows });
    return true;
  }

  /** HTML comments and link reference definitions are not text a reader sees. */
  private readSkipped(line: string): boolean {
    if (line.startsWith('<!--')) {
      this.flush();
      while (this.i < this.lines.length && !this.lines[this.i]!.includes('-->')) this.i++;
    } else if (!LINK_DEFINITION.test(line)) return false;
    this.i++;
    return true;
  }

  private readListItem(line: string): boolean {
    const item = LIST_ITEM.exec(line);
    if (!item || !(this.para.length === 0 || this.marker !== '' || this.inList || item[1] === '')) return false;
    this.flush();
    this.inList = true;
    const depth = Math.min(Math.floor(item[1]!.replace(/\t/g, '    ').length / 2), 6);
    this.marker = `${'  '.repeat(depth)}${/\d/.test(item[2]!) ? `${item[2]!.slice(0, -1)}.` : '-'} `;
    this.para = [item[3] ?? ''];
    this.i++;
    return true;
  }
}

/** Markdown: ATX and setext headings, paragraphs, list items, fenced/indented code, GFM tables. */
export function extractMarkdown(bytes: Uint8Array): Block[] {
  return new MarkdownReader(decodeText(bytes, 'Markdown file').split('\n')).read();
}

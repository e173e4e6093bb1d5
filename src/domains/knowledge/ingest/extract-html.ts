import { Parser } from 'htmlparser2';
import mammoth from 'mammoth';
import { AppError } from '../../../kernel/errors.js';
import type { Block } from './block.js';
import { cleanLines, decodeText } from './extract-text.js';
import { INGEST_LIMITS, type IngestLimits } from './limits.js';
import { checkZipBounds } from './zip-bounds.js';

// Content a reader never sees as the document's text: code, styling, navigation, widgets.
const SKIP = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'math',
  'nav',
  'iframe',
  'object',
  'embed',
  'canvas',
  'select',
  'button',
  'textarea',
]);
const BLOCK = new Set([
  'p',
  'div',
  'section',
  'article',
  'main',
  'header',
  'footer',
  'aside',
  'blockquote',
  'address',
  'figure',
  'figcaption',
  'dl',
  'dt',
  'dd',
  'ul',
  'ol',
  'form',
  'fieldset',
  'legend',
  'details',
  'summary',
  'hr',
  'center',
  'body',
  'html',
  'hgroup',
  'menu',
  'li',
  'pre',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'caption',
  'br',
]);
const HEADING = /^h([1-6])$/;

interface TableState {
  rows: string[][];
  header: string[] | null;
  row: string[] | null;
  rowAllTh: boolean;
  inHead: boolean;
  cell: boolean;
  caption: boolean;
}

/** Walks parser events into blocks: a streaming pass, no DOM, so large pages stay cheap. */
class HtmlWalker {
  readonly blocks: Block[] = [];
  title = '';
  private buf: string[] = [];
  private readonly open: boolean[] = [];
  private skipDepth = 0;
  private preDepth = 0;
  private inTitle = false;
  private marker = '';
  private readonly lists: { ordered: boolean; n: number }[] = [];
  private table: TableState | null = null;
  private tableDepth = 0;

  private get inCell(): boolean {
    return this.table !== null && (this.table.cell || this.table.caption);
  }

  onopentag(name: string, attrs: Record<string, string>): void {
    const skip = SKIP.has(name) || 'hidden' in attrs || attrs['aria-hidden'] === 'true' || attrs.role === 'navigation';
    this.open.push(skip);
    if (skip) this.skipDepth++;
    if (this.skipDepth > 0) return;
    if (name === 'title') this.inTitle = true;
    else if (name === 'table') this.openTable();
    else if (this.table && this.tableDepth === 1 && this.openTablePart(name)) return;
    else if (this.inCell) {
      if (BLOCK.has(name) || name === 'td' || name === 'th' || name === 'tr') this.buf.push(' ');
    } else if (name === 'ul' || name === 'ol') {
      this.flush();
      this.lists.push({ ordered: name === 'ol', n: Number.parseInt(attrs.start ?? '1', 10) || 1 });
    } else if (name === 'li') {
      this.flush();
      const list = this.lists.at(-1);
      const indent = '  '.repeat(Math.max(0, Math.min(this.lists.length - 1, 6)));
      this.marker = `${indent}${list?.ordered ? `${list.n++}.` : '-'} `;
    } else if (name === 'br') this.buf.push('\n');
    else if (name === 'pre') {
      if (this.preDepth++ === 0) this.flush();
    } else if (BLOCK.has(name) && this.preDepth === 0) this.flush();
  }

  onclosetag(name: string): void {
    if (this.open.pop()) this.skipDepth--;
    else if (this.skipDepth > 0) return;
    else if (name === 'title') this.inTitle = false;
    else if (name === 'table') this.closeTable();
    else if (this.table && this.tableDepth === 1 && this.closeTablePart(name)) return;
    else if (this.inCell) return;
    else if (HEADING.test(name) && this.preDepth === 0) {
      const text = this.take();
      if (text !== '') this.blocks.push({ kind: 'heading', level: Number(name[1]), text: text.replace(/\n/g, ' ') });
    } else if (name === 'ul' || name === 'ol') {
      this.flush();
      this.lists.pop();
    } else if (name === 'pre') {
      if (--this.preDepth === 0) this.flushCode();
    } else if (BLOCK.has(name) && name !== 'br' && this.preDepth === 0) {
      this.flush();
      if (name === 'li') this.marker = '';
    }
  }

  ontext(text: string): void {
    if (this.skipDepth > 0) return;
    if (this.inTitle) this.title += text;
    else if (this.table && !this.inCell) return;
    else this.buf.push(this.preDepth > 0 ? text : text.replace(/\s+/g, ' '));
  }

  finish(): Block[] {
    this.flush();
    const title = cleanLines(this.title).replace(/\n/g, ' ');
    if (title !== '' && !this.blocks.some((b) => b.kind === 'heading' && b.level === 1)) {
      this.blocks.unshift({ kind: 'heading', level: 1, text: title.normalize('NFC') });
    }
    return this.blocks;
  }

  private take(): string {
    const text = cleanLines(this.buf.join('')).normalize('NFC');
    this.buf = [];
    return text;
  }

  private flush(): void {
    const text = this.take();
    if (text === '') return;
    this.blocks.push({ kind: 'paragraph', text: this.marker + text });
    this.marker = '';
  }

  /** Preformatted text keeps its lines and relative indentation. */
  private flushCode(): void {
    const lines = this.buf
      .join('')
      .replace(/\0/g, '')
      .split('\n')
      .map((l) => l.replace(/\s+$/, ''));
    this.buf = [];
    while (lines.length && lines[0] === '') lines.shift();
    while (lines.length && lines.at(-1) === '') lines.pop();
    let indent = Infinity;
    for (const l of lines) if (l !== '') indent = Math.min(indent, l.length - l.trimStart().length);
    const text = lines
      .map((l) => l.slice(indent))
      .join('\n')
      .normalize('NFC');
    if (text !== '') this.blocks.push({ kind: 'paragraph', text });
  }

  private openTable(): void {
    if (this.tableDepth++ > 0) {
      this.buf.push(' ');
      return;
    }
    this.flush();
    this.table = { rows: [], header: null, row: null, rowAllTh: true, inHead: false, cell: false, caption: false };
  }

  private closeTable(): void {
    if (--this.tableDepth > 0) {
      this.buf.push(' ');
      return;
    }
    const t = this.table!;
    this.table = null;
    this.blocks.push({ kind: 'table', header: t.header, rows: t.rows });
  }

  /** Table structure at the outer table's own level; nested tables are read as cell text. */
  private openTablePart(name: string): boolean {
    const t = this.table!;
    if (name === 'thead') t.inHead = true;
    else if (name === 'tr') {
      t.row = [];
      t.rowAllTh = true;
    } else if (name === 'td' || name === 'th') {
      if (!t.row) t.row = [];
      if (name === 'td') t.rowAllTh = false;
      this.buf = [];
      t.cell = true;
    } else if (name === 'caption') {
      this.flush();
      t.caption = true;
    } else return false;
    return true;
  }

  private closeTablePart(name: string): boolean {
    const t = this.table!;
    if (name === 'thead') t.inHead = false;
    else if (name === 'td' || name === 'th') {
      t.row?.push(this.take().replace(/\n/g, ' '));
      t.cell = false;
    } else if (name === 'tr') {
      const row = t.row ?? [];
      t.row = null;
      if (!row.some((c) => c !== '')) return true;
      // A header is the first row of <thead>, or a first row made only of <th> cells.
      if (t.header === null && t.rows.length === 0 && (t.inHead || t.rowAllTh)) t.header = row;
      else t.rows.push(row);
    } else if (name === 'caption') {
      this.flush();
      t.caption = false;
    } else return false;
    return true;
  }
}

function walkHtml(html: string): Block[] {
  const walker = new HtmlWalker();
  const parser = new Parser(
    {
      onopentag: (n, a) => walker.onopentag(n, a),
      onclosetag: (n) => walker.onclosetag(n),
      ontext: (t) => walker.ontext(t),
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  return walker.finish();
}

/** HTML: headings, paragraphs, list items, preformatted text and tables; boilerplate skipped. */
export function extractHtml(bytes: Uint8Array): Block[] {
  return walkHtml(decodeText(bytes, 'HTML file'));
}

const DOCX_DAMAGED =
  'The Word document (DOCX) could not be read: it is damaged or not a .docx file (older .doc files must be saved as .docx first)';

/**
 * DOCX through mammoth's semantic HTML (Word heading styles become h1–h6), then the HTML path.
 * The ZIP package is checked against the bounds first: mammoth inflates whatever it is given.
 */
export async function extractDocx(bytes: Uint8Array, limits: IngestLimits = INGEST_LIMITS): Promise<Block[]> {
  checkZipBounds(bytes, 'Word document (DOCX)', DOCX_DAMAGED, limits);
  let html: string;
  try {
    const result = await mammoth.convertToHtml(
      { buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
      // Images would be inlined as base64 data URIs: wasted work for text indexing.
      { convertImage: mammoth.images.imgElement(async () => ({ src: '' })), externalFileAccess: false },
    );
    html = result.value;
  } catch (err) {
    throw new AppError('invalid_request', DOCX_DAMAGED, undefined, { cause: err });
  }
  return walkHtml(html);
}

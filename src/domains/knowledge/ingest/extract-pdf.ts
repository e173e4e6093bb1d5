import { createRequire } from 'node:module';
import path from 'node:path';
import type { TextItem } from 'pdfjs-dist/types/src/display/api.js';
import { AppError } from '../../../kernel/errors.js';
import type { Block } from './block.js';
import { cleanInline } from './extract-text.js';
import { INGEST_LIMITS, type IngestLimits, checkTextLength } from './limits.js';
import { checkPdfStreams } from './pdf-bounds.js';

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');

let pdfjs: Promise<PdfJs> | undefined;

/**
 * pdf.js parses in a worker; Node has no Web Worker, so pdf.js runs a "fake worker" on the main
 * thread. Handing it the worker module through `globalThis.pdfjsWorker` skips its dynamic import
 * by relative URL (fragile under test runners and bundlers). Loaded lazily: it costs ~1 s.
 */
function loadPdfJs(): Promise<PdfJs> {
  pdfjs ??= (async () => {
    const workerModule = 'pdfjs-dist/legacy/build/pdf.worker.mjs'; // untyped: imported by name
    (globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = await import(workerModule);
    return import('pdfjs-dist/legacy/build/pdf.mjs');
  })();
  return pdfjs;
}

// CMaps are needed to map CID fonts (CJK and many subsetted fonts) to Unicode; read from disk.
const PDFJS_DIR = path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));

interface Line {
  text: string;
  size: number;
  y: number;
  page: number;
}

const LIGATURES = /[\ufb00-\ufb06]/g;

/** Joins a page's text items into visual lines, in content order. */
function pageLines(items: TextItem[], page: number): Line[] {
  const lines: Line[] = [];
  let parts: string[] = [];
  let size = 0;
  let y = 0;
  let endX = 0;
  let breakNext = true;
  const push = () => {
    const text = cleanInline(parts.join('').replace(LIGATURES, (c) => c.normalize('NFKC'))).normalize('NFC');
    if (text !== '') lines.push({ text, size, y, page });
    parts = [];
  };
  for (const item of items) {
    const [, , c = 0, d = 0, x = 0, itemY = 0] = item.transform as number[];
    const itemSize = Math.hypot(c, d) || item.height || 1;
    if (item.str.trim() === '') {
      if (item.str !== '' && parts.length) parts.push(' ');
      breakNext ||= item.hasEOL;
      continue;
    }
    if (breakNext || parts.length === 0 || Math.abs(itemY - y) > Math.max(size, itemSize) * 0.5) {
      if (parts.length) push();
      size = itemSize;
      y = itemY;
    } else {
      // pdf.js often emits words as separate items: a visible gap between them is a space.
      const last = parts[parts.length - 1]!;
      if (x - endX > itemSize * 0.15 && !/\s$/.test(last) && !/^\s/.test(item.str)) parts.push(' ');
      size = Math.max(size, itemSize);
    }
    parts.push(item.str);
    endX = x + item.width;
    breakNext = item.hasEOL;
  }
  if (parts.length) push();
  return lines;
}

const roundSize = (s: number): number => Math.round(s * 2) / 2;
const PAGE_NUMBER = /^(?:page\s*)?\d{1,4}(?:\s*(?:of|\/)\s*\d{1,4})?$/i;

/** Drops page numbers and running headers/footers: first/last lines repeated on most pages. */
function dropRunningLines(pages: Line[][]): void {
  // Exact text only: normalising digits would also match body lines that differ by a number.
  const key = (l: Line | undefined) => l?.text ?? '';
  const counts = new Map<string, number>();
  for (const lines of pages) {
    for (const k of new Set([key(lines[0]), key(lines.at(-1))])) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const repeated = (l: Line) => (counts.get(key(l)) ?? 0) >= Math.max(3, Math.ceil(pages.length * 0.5));
  const running = (l: Line | undefined) => l !== undefined && (PAGE_NUMBER.test(l.text) || repeated(l));
  for (const lines of pages) {
    if (running(lines.at(-1))) lines.pop();
    if (running(lines[0])) lines.shift();
  }
}

/** Groups lines into headings (notably larger type) and paragraphs (by spacing and size). */
function linesToBlocks(pages: Line[][]): Block[] {
  const chars = new Map<number, number>();
  for (const l of pages.flat()) chars.set(roundSize(l.size), (chars.get(roundSize(l.size)) ?? 0) + l.text.length);
  const body = [...chars].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? 0;
  const isHeading = (l: Line) => roundSize(l.size) >= body * 1.15 && l.text.length <= 200 && /\p{L}/u.test(l.text);
  const headingSizes = [
    ...new Set(
      pages
        .flat()
        .filter(isHeading)
        .map((l) => roundSize(l.size)),
    ),
  ].sort((a, b) => b - a);

  const blocks: Block[] = [];
  for (const lines of pages) {
    let prev: Line | undefined;
    let text: string[] = [];
    let first: Line | undefined;
    const flush = () => {
      if (first && text.length) {
        const joined = text.join('');
        if (isHeading(first)) {
          blocks.push({
            kind: 'heading',
            level: Math.min(headingSizes.indexOf(roundSize(first.size)) + 1, 6),
            text: joined,
            page: first.page,
          });
        } else blocks.push({ kind: 'paragraph', text: joined, page: first.page });
      }
      text = [];
      first = undefined;
    };
    for (const line of lines) {
      const gap = prev ? prev.y - line.y : 0;
      const startsNew =
        !prev ||
        isHeading(line) !== isHeading(prev) ||
        roundSize(line.size) !== roundSize(prev.size) ||
        gap <= 0 ||
        gap > Math.max(line.size, prev.size) * 1.7 ||
        /^(?:[•▪◦‣●■–*-]|\d{1,3}[.)])\s/.test(line.text);
      if (startsNew) flush();
      if (!first) first = line;
      else if (/\p{L}-$/u.test(text[text.length - 1]!) && /^\p{Ll}/u.test(line.text)) {
        text[text.length - 1] = text[text.length - 1]!.slice(0, -1); // re-join a word hyphenated at the line end
      } else text.push(' ');
      text.push(line.text);
      prev = line;
    }
    flush();
  }
  return blocks;
}

/** PDF: text per page (1-based `page` on every block), lines and paragraphs rebuilt from positions. */
export async function extractPdf(bytes: Uint8Array, limits: IngestLimits = INGEST_LIMITS): Promise<Block[]> {
  checkPdfStreams(bytes, limits);
  const { getDocument, VerbosityLevel } = await loadPdfJs();
  // pdf.js transfers (detaches) the buffer it is given; copy so the caller's bytes stay usable.
  const task = getDocument({
    data: new Uint8Array(bytes),
    verbosity: VerbosityLevel.ERRORS,
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: true,
    cMapUrl: `${PDFJS_DIR}/cmaps/`,
    cMapPacked: true,
    standardFontDataUrl: `${PDFJS_DIR}/standard_fonts/`,
  });
  try {
    const doc = await task.promise;
    if (doc.numPages > limits.maxPdfPages)
      throw new AppError(
        'invalid_request',
        `The PDF has ${doc.numPages} pages; the limit is ${limits.maxPdfPages}. Split it into smaller files`,
      );
    const pages: Line[][] = [];
    let chars = 0;
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      const lines = pageLines(
        content.items.filter((i): i is TextItem => 'str' in i),
        n,
      );
      chars += lines.reduce((sum, l) => sum + l.text.length, 0);
      checkTextLength(chars, 'PDF', limits); // page by page, so a huge PDF stops early
      pages.push(lines);
      page.cleanup();
    }
    dropRunningLines(pages);
    return linesToBlocks(pages);
  } catch (err) {
    if (err instanceof AppError) throw err;
    const name = err instanceof Error ? err.name : '';
    const message =
      name === 'PasswordException'
        ? 'The PDF could not be read: it is password-protected. Upload a copy without a password'
        : 'The PDF could not be read: it is damaged or not a PDF';
    throw new AppError('invalid_request', message, undefined, { cause: err });
  } finally {
    await task.destroy();
  }
}

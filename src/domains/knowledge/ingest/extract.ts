import { AppError } from '../../../kernel/errors.js';
import type { Block } from './block.js';
import { type ContentType, FORMAT_LABELS } from './content-types.js';
import { extractCsv } from './extract-csv.js';
import { extractDocx, extractHtml } from './extract-html.js';
import { extractJson } from './extract-json.js';
import { extractMarkdown } from './extract-markdown.js';
import { extractPdf } from './extract-pdf.js';
import { extractPlainText } from './extract-text.js';
import { INGEST_LIMITS, type IngestLimits, checkTextLength } from './limits.js';

const EXTRACTORS: Record<ContentType, (bytes: Uint8Array, limits: IngestLimits) => Block[] | Promise<Block[]>> = {
  'text/plain': extractPlainText,
  'text/markdown': extractMarkdown,
  'text/html': extractHtml,
  'application/pdf': extractPdf,
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': extractDocx,
  'text/csv': extractCsv,
  'application/json': extractJson,
};

const hasText = (b: Block): boolean =>
  b.kind === 'table'
    ? (b.header ?? []).some((c) => c !== '') || b.rows.some((r) => r.some((c) => c !== ''))
    : b.text !== '';

const textLength = (b: Block): number =>
  b.kind === 'table'
    ? [b.header ?? [], ...b.rows].reduce((n, row) => n + row.reduce((m, c) => m + c.length, 0), 0)
    : b.text.length;

/**
 * The ordered structural blocks of a document. Throws invalid_request, naming the format and the
 * problem, when the bytes are damaged, of another format, contain no text, or exceed `limits`.
 */
export async function extractBlocks(
  bytes: Uint8Array,
  type: ContentType,
  limits: IngestLimits = INGEST_LIMITS,
): Promise<Block[]> {
  const label = FORMAT_LABELS[type];
  if (bytes.length === 0) throw new AppError('invalid_request', `The ${label} is empty: it contains no text`);
  const blocks = (await EXTRACTORS[type](bytes, limits)).filter(hasText);
  checkTextLength(
    blocks.reduce((n, b) => n + textLength(b), 0),
    label,
    limits,
  );
  if (blocks.length === 0) {
    const hint = type === 'application/pdf' ? ' (a scanned PDF needs OCR before it can be added)' : '';
    throw new AppError('invalid_request', `The ${label} contains no text${hint}`);
  }
  return blocks;
}

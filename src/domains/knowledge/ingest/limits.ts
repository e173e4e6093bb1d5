import { AppError } from '../../../kernel/errors.js';

/**
 * Bounds on reading one uploaded document. An upload is capped at 50 MB, but compressed formats
 * (DOCX is a ZIP, PDF streams are deflated) can expand a thousandfold: these bounds keep one
 * document from exhausting the server's memory or time. README → Security → Documents lists them.
 */
export interface IngestLimits {
  /** Entries in a ZIP-based document (DOCX), read from its central directory before inflating. */
  maxZipEntries: number;
  /** Total uncompressed size of a ZIP-based document: declared sizes, then actual ones while inflating. */
  maxZipExpandedBytes: number;
  /** Pages of a PDF. */
  maxPdfPages: number;
  /** Total decoded size of a PDF's deflated streams other than images (page content, fonts, objects). */
  maxPdfStreamBytes: number;
  /** Characters of text extracted from one document. */
  maxTextChars: number;
  /** Wall time to extract and chunk one document; the extraction thread is stopped past it. */
  maxWallMs: number;
  /** V8 heap of the thread that extracts documents. */
  workerHeapMb: number;
}

const MB = 1024 * 1024;

export const INGEST_LIMITS: Readonly<IngestLimits> = Object.freeze({
  maxZipEntries: 5_000,
  maxZipExpandedBytes: 100 * MB,
  maxPdfPages: 2_000,
  maxPdfStreamBytes: 64 * MB,
  maxTextChars: 32_000_000,
  maxWallMs: 120_000,
  workerHeapMb: 512,
});

/** "100 MB" for messages. */
export const megabytes = (bytes: number): string => `${Math.round(bytes / MB)} MB`;

/** Throws once `chars` passes the bound: past it, chunking and indexing would take the server's memory. */
export function checkTextLength(chars: number, label: string, limits: IngestLimits): void {
  if (chars <= limits.maxTextChars) return;
  throw new AppError(
    'invalid_request',
    `The ${label} holds more than ${limits.maxTextChars.toLocaleString('en')} characters of text; split it into smaller documents`,
  );
}

import { constants, inflateSync } from 'node:zlib';
import { AppError } from '../../../kernel/errors.js';
import { type IngestLimits, megabytes } from './limits.js';

const IMAGE = /\/Subtype\s*\/Image\b/;
const FLATE = /\/FlateDecode\b/;
const DIRECT_LENGTH = /\/Length\s+(\d+)(?!\s+\d+\s+R)/;

/**
 * Refuses a PDF whose deflated streams (page content, fonts, object streams) expand past
 * `maxPdfStreamBytes`, before pdf.js parses it: pdf.js inflates a page's content whole, so a
 * 700 kB file can hold a 240 MB content stream. Images are skipped (text extraction never
 * decodes them, and photos are legitimately large). Each stream is inflated with the remaining
 * budget as a hard cap; streams this scan cannot decode are left to pdf.js and the thread's limits.
 */
export function checkPdfStreams(bytes: Uint8Array, limits: IngestLimits): void {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let total = 0;
  let at = b.indexOf('stream');
  while (at !== -1) {
    let start = at + 6;
    if (b[start] === 0x0d) start++;
    if (b[start] === 0x0a) start++;
    const isKeyword = start > at + 6 && (at < 3 || b.toString('latin1', at - 3, at) !== 'end');
    if (!isKeyword) {
      at = b.indexOf('stream', at + 6);
      continue;
    }
    // The stream's dictionary: from the object's start to the keyword.
    const before = b.toString('latin1', Math.max(0, at - 4096), at);
    const dict = before.slice(before.lastIndexOf(' obj') + 1);
    const declared = Number(DIRECT_LENGTH.exec(dict)?.[1] ?? -1);
    const end = declared >= 0 && start + declared <= b.length ? start + declared : b.indexOf('endstream', start);
    if (end === -1) return;
    if (FLATE.test(dict) && !IMAGE.test(dict))
      total += inflatedSize(b.subarray(start, end), limits.maxPdfStreamBytes - total, limits.maxPdfStreamBytes);
    at = b.indexOf('stream', Math.max(end, start));
  }
}

function inflatedSize(data: Buffer, budget: number, limit: number): number {
  const tooBig = () =>
    new AppError(
      'invalid_request',
      `The PDF expands to more than ${megabytes(limit)} of page content when decompressed; the limit protects the server from compressed bombs. Split the PDF into smaller files`,
    );
  if (budget <= 0) throw tooBig();
  try {
    // Sync flush: a truncated stream still yields what it holds, as pdf.js reads it.
    return inflateSync(data, { maxOutputLength: budget, finishFlush: constants.Z_SYNC_FLUSH }).length;
  } catch (err) {
    if (err instanceof RangeError) throw tooBig();
    return 0;
  }
}

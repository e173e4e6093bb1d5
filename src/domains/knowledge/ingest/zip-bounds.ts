import { inflateRawSync } from 'node:zlib';
import { AppError } from '../../../kernel/errors.js';
import { type IngestLimits, megabytes } from './limits.js';

interface Entry {
  method: number;
  compressedSize: number;
  size: number;
  localHeader: number;
}

const u16 = (b: Buffer, at: number) => b.readUInt16LE(at);
const u32 = (b: Buffer, at: number) => b.readUInt32LE(at);
const u64 = (b: Buffer, at: number) => Number(b.readBigUInt64LE(at));
const FULL32 = 0xffffffff;

/** The central directory's records, as a ZIP reader (JSZip, inside mammoth) will use them. */
function* centralDirectory(b: Buffer, damaged: () => AppError): Generator<Entry, void, undefined> {
  let eocd = b.length - 22;
  while (eocd >= 0 && u32(b, eocd) !== 0x06054b50) {
    if (b.length - eocd > 22 + 0xffff) throw damaged();
    eocd--;
  }
  if (eocd < 0) throw damaged();
  let count = u16(b, eocd + 10);
  let offset = u32(b, eocd + 16);
  if (eocd >= 20 && u32(b, eocd - 20) === 0x07064b50) {
    const zip64 = u64(b, eocd - 12);
    if (zip64 + 56 > b.length || u32(b, zip64) !== 0x06064b50) throw damaged();
    count = u64(b, zip64 + 32);
    offset = u64(b, zip64 + 48);
  }
  for (let i = 0; i < count; i++) {
    if (offset + 46 > b.length || u32(b, offset) !== 0x02014b50) throw damaged();
    const entry = {
      method: u16(b, offset + 10),
      compressedSize: u32(b, offset + 20),
      size: u32(b, offset + 24),
      localHeader: u32(b, offset + 42),
    };
    const nameLength = u16(b, offset + 28);
    const extraLength = u16(b, offset + 30);
    // ZIP64 moves each 32-bit field that overflowed into extra field 0x0001, in this order.
    for (
      let at = offset + 46 + nameLength, end = Math.min(at + extraLength, b.length);
      at + 4 <= end;
      at += 4 + u16(b, at + 2)
    ) {
      if (u16(b, at) !== 0x0001) continue;
      let field = at + 4;
      for (const key of ['size', 'compressedSize', 'localHeader'] as const) {
        if (entry[key] !== FULL32 || field + 8 > end) continue;
        entry[key] = u64(b, field);
        field += 8;
      }
    }
    yield entry;
    offset += 46 + nameLength + extraLength + u16(b, offset + 32);
  }
}

/**
 * Refuses a ZIP-based document (DOCX) that would expand past the bounds, before anything parses
 * it: entry count and declared sizes from the central directory first, then each entry inflated
 * with its declared size as a hard cap, since a forged directory can understate sizes. What this
 * accepts, the real reader can inflate within `maxZipExpandedBytes`.
 */
export function checkZipBounds(bytes: Uint8Array, label: string, damagedMessage: string, limits: IngestLimits): void {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const damaged = () => new AppError('invalid_request', damagedMessage);
  const tooBig = () =>
    new AppError(
      'invalid_request',
      `The ${label} expands to more than ${megabytes(limits.maxZipExpandedBytes)}; the limit protects the server from compressed bombs. Split the document or remove embedded files`,
    );
  const entries: Entry[] = [];
  let declared = 0;
  for (const entry of centralDirectory(b, damaged)) {
    if (entries.length >= limits.maxZipEntries)
      throw new AppError(
        'invalid_request',
        `The ${label} holds more than ${limits.maxZipEntries} files; that is not a normal document`,
      );
    declared += entry.size;
    if (declared > limits.maxZipExpandedBytes) throw tooBig();
    entries.push(entry);
  }
  for (const entry of entries) {
    const header = entry.localHeader;
    if (header + 30 > b.length || u32(b, header) !== 0x04034b50) throw damaged();
    const start = header + 30 + u16(b, header + 26) + u16(b, header + 28);
    const data = b.subarray(start, Math.min(b.length, start + entry.compressedSize));
    if (entry.method === 0) {
      if (data.length > entry.size) throw tooBig();
    } else if (entry.method === 8) {
      try {
        inflateRawSync(data, { maxOutputLength: Math.max(1, entry.size) });
      } catch (err) {
        if (!(err instanceof RangeError)) throw damaged();
        throw new AppError(
          'invalid_request',
          `The ${label} is forged: a file inside expands past the size its ZIP directory declares, as compressed bombs do`,
        );
      }
    } else
      throw new AppError(
        'invalid_request',
        `The ${label} uses a compression method (${entry.method}) that documents do not use`,
      );
  }
}

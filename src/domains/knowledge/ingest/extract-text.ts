import { AppError } from '../../../kernel/errors.js';
import type { Block } from './block.js';

// Horizontal whitespace of every kind, collapsed to one space; newlines are kept apart because
// they carry paragraph and line structure.
const HSPACE = /[ \t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+/g;
// NUL and the other C0/C1 controls (except tab and newline) are never meaningful text; the soft
// hyphen only marks a possible break.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this pattern's purpose
const CONTROLS = /[\0-\x08\x0e-\x1f\x7f-\x9f\u00ad]/g;

/** One line of text: controls stripped, whitespace runs collapsed, trimmed. */
export function cleanInline(text: string): string {
  return text.replace(CONTROLS, '').replace(HSPACE, ' ').trim();
}

/** Multi-line text: each line cleaned, runs of blank lines dropped, line breaks kept. */
export function cleanLines(text: string): string {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = cleanInline(raw);
    if (line !== '') out.push(line);
  }
  return out.join('\n');
}

// windows-1252 differs from latin1 only in 0x80–0x9F; Node's decoder treats it as latin1.
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

function decodeCp1252(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += 8192) {
    const slice = bytes.subarray(i, i + 8192);
    parts.push(String.fromCharCode(...slice));
  }
  return parts.join('').replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!);
}

function looksBinary(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, 65536);
  let control = 0;
  for (const b of sample) if (b < 0x09 || (b > 0x0d && b < 0x20 && b !== 0x1b)) control++;
  return control > sample.length * 0.02;
}

/**
 * Decodes a text upload: UTF-8 (BOM dropped), UTF-16 when it has a BOM, else windows-1252 for
 * legacy files; line endings become `\n`, Unicode is NFC, NUL and control bytes are removed.
 * Throws invalid_request when the bytes are plainly not text.
 */
export function decodeText(bytes: Uint8Array, label: string): string {
  let text: string;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) text = new TextDecoder('utf-16le').decode(bytes);
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) text = new TextDecoder('utf-16be').decode(bytes);
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      if (looksBinary(bytes)) {
        throw new AppError(
          'invalid_request',
          `The ${label} could not be read: it is not text (it looks like a binary file). Upload it in its real format, or save it as UTF-8 text`,
        );
      }
      text = decodeCp1252(bytes);
    }
  }
  return text.replace(/\r\n?/g, '\n').replace(CONTROLS, '').normalize('NFC');
}

/** Plain text: paragraphs are separated by blank lines; line breaks inside a paragraph are kept. */
export function extractPlainText(bytes: Uint8Array): Block[] {
  const blocks: Block[] = [];
  for (const para of decodeText(bytes, 'text file').split(/\n(?:[ \t\f\v]*\n)+/)) {
    const text = cleanLines(para);
    if (text !== '') blocks.push({ kind: 'paragraph', text });
  }
  return blocks;
}

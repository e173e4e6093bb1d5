import { randomBytes } from 'node:crypto';

// Crockford base32: sortable, case-insensitive, no ambiguous letters.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

function encodeBase32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

let lastMs = -1;
let lastRandom = new Uint8Array(10);

/**
 * A prefixed id like `pro_06h07...`: 48 bits of milliseconds then 80 random bits, so ids sort by
 * creation time (good index locality) and cannot be guessed. Within one millisecond the random
 * part counts up (as in monotonic ULIDs), so rows created in order also sort in order.
 */
export function newId(prefix: string, at: Date = new Date()): string {
  const bytes = new Uint8Array(16);
  const time = at.getTime();
  let ms = time;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  if (time === lastMs) {
    for (let i = 9; i >= 0 && ++lastRandom[i]! === 256; i--) lastRandom[i] = 0;
  } else {
    lastMs = time;
    lastRandom = new Uint8Array(randomBytes(10));
  }
  bytes.set(lastRandom, 6);
  return `${prefix}_${encodeBase32(bytes)}`;
}

/** A secret of `bytes` random bytes, base32-encoded. */
export function randomToken(bytes: number): string {
  return encodeBase32(randomBytes(bytes));
}

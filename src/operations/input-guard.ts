import { AppError } from '../kernel/errors.js';

/** Objects and arrays nested deeper than this are refused: no operation needs it, and deep values overflow the stack of whatever walks them later (zod, JSON.stringify, pino). */
export const MAX_INPUT_DEPTH = 20;

// With the u flag a surrogate pair reads as one code point, so only a lone surrogate is in Cs.
const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATES = /\p{Cs}/gu;

const at = (path: string) => (path ? `${path}: ` : '');

function refuse(path: string, what: string): never {
  throw new AppError('invalid_request', `Invalid input: ${at(path)}${what}`, path ? { param: path } : undefined);
}

function checkText(s: string, path: string, what: 'text' | 'field name'): void {
  // PostgreSQL refuses NUL in text and jsonb: refused here, it is reported as the caller's mistake, not a server error.
  if (s.includes('\u0000')) refuse(path, `${what} must not contain the NUL character (\\u0000)`);
  // A lone UTF-16 surrogate has no UTF-8 form: PostgreSQL would store U+FFFD in text (the value
  // would not round-trip) and refuses it in jsonb.
  if (LONE_SURROGATE.test(s)) refuse(path, `${what} is not valid Unicode (it holds a lone UTF-16 surrogate)`);
}

/**
 * Checks a call's raw arguments before the operation's schema sees them, for what no schema states
 * field by field: no string or field name holds NUL or a lone surrogate, nothing is nested deeper
 * than MAX_INPUT_DEPTH, and no field is named `__proto__` (zod drops it silently, so it would not be
 * stored as sent). Throws `invalid_request` naming the field.
 */
export function checkInputValues(value: unknown, path = '', depth = 0): void {
  if (typeof value === 'string') {
    checkText(value, path, 'text');
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (depth >= MAX_INPUT_DEPTH) refuse(path, `nested deeper than ${MAX_INPUT_DEPTH} levels`);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkInputValues(value[i], path ? `${path}.${i}` : String(i), depth + 1);
    return;
  }
  for (const key of Object.keys(value)) {
    // The name as it can be shown back in a message: NUL spelt out, a lone surrogate replaced.
    const shown = key.replaceAll('\u0000', '\\u0000').replace(LONE_SURROGATES, '\uFFFD');
    const child = path ? `${path}.${shown}` : shown;
    checkText(key, child, 'field name');
    if (key === '__proto__') refuse(child, 'a field may not be named __proto__');
    checkInputValues((value as Record<string, unknown>)[key], child, depth + 1);
  }
}

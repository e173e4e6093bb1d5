import { createHash } from 'node:crypto';
import { type SelectQueryBuilder, sql } from 'kysely';
import { AppError } from './errors.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** A page is cut short (`truncated`) once its items pass this many bytes of JSON, so one result never floods a model's context. */
export const MAX_PAGE_BYTES = 64 * 1024;

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
  has_more: boolean;
  truncated: boolean;
}

type CursorValue = string | number | null;

/**
 * Cursors are opaque to callers: the sort key of the last item plus a fingerprint of the filters,
 * so a cursor replayed with other filters is rejected instead of silently skipping rows.
 */
function encodeCursor(values: CursorValue[], filters: unknown): string {
  return Buffer.from(JSON.stringify({ v: values, f: fingerprint(filters) })).toString('base64url');
}

function decodeCursor(cursor: string, filters: unknown, arity: number): CursorValue[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const p = parsed as { v?: unknown; f?: unknown } | undefined;
  if (!p || !Array.isArray(p.v) || p.v.length !== arity || !p.v.every(isCursorValue)) {
    throw new AppError(
      'invalid_request',
      'cursor is not valid: pass next_cursor exactly as a previous page returned it',
      { param: 'cursor' },
    );
  }
  if (p.f !== fingerprint(filters)) {
    throw new AppError(
      'invalid_request',
      'cursor was issued for different filters: repeat the same filters, or start again without a cursor',
      { param: 'cursor' },
    );
  }
  return p.v as CursorValue[];
}

// A string PostgreSQL can take as text (no NUL, no lone surrogate), or a finite number: a forged
// position must fail here as invalid_request, not in the database as a server error.
const isCursorValue = (x: unknown) =>
  x === null ||
  (typeof x === 'number' && Number.isFinite(x)) ||
  (typeof x === 'string' && !x.includes('\u0000') && !/\p{Cs}/u.test(x));

function fingerprint(filters: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(filters ?? null))
    .digest('base64url')
    .slice(0, 12);
}

/**
 * An upper bound of `JSON.stringify(value).length`: strings count as if every character needed a
 * six-character escape, numbers as their longest form.
 */
export function jsonLengthBound(value: unknown): number {
  if (typeof value === 'string') return 2 + 6 * value.length;
  if (typeof value !== 'object' || value === null) return 24;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function')
    return jsonLengthBound((value as { toJSON(): unknown }).toJSON());
  let n = 2;
  if (Array.isArray(value)) {
    for (const item of value) n += jsonLengthBound(item) + 1;
    return n;
  }
  for (const key in value) n += 8 + 6 * key.length + jsonLengthBound((value as Record<string, unknown>)[key]);
  return n;
}

/**
 * Turns `limit + 1` fetched rows into a page: the extra row only says more exist. Items are kept
 * while they fit in MAX_PAGE_BYTES (always at least one), and the cursor continues after the last kept.
 */
export function buildPage<R, T>(
  rows: R[],
  limit: number,
  toItem: (row: R) => T,
  cursorOf: (row: R) => CursorValue[],
  filters: unknown,
): Page<T> {
  const kept = rows.slice(0, limit);
  const all = kept.map(toItem);
  let items = all;
  let truncated = false;
  // Serialising the page to measure it is the costly part; a bound computed without serialising
  // settles the usual case, and the exact measure, item by item, runs only when it might be too large.
  if (jsonLengthBound(all) > MAX_PAGE_BYTES && JSON.stringify(all).length > MAX_PAGE_BYTES) {
    let bytes = 0;
    items = [];
    for (const item of all) {
      bytes += JSON.stringify(item).length;
      if (items.length > 0 && bytes > MAX_PAGE_BYTES) break;
      items.push(item);
    }
    truncated = items.length < all.length;
  }
  const last = kept[items.length - 1];
  const has_more = truncated || rows.length > limit;
  return { items, has_more, truncated, next_cursor: has_more && last ? encodeCursor(cursorOf(last), filters) : null };
}

export interface PageRequest {
  cursor?: string | undefined;
  limit?: number | undefined;
}

/** An order that pages can continue from: the sort columns (unique together) and how a row's position is written in a cursor. */
export interface Keyset<R> {
  columns: readonly string[];
  direction: 'asc' | 'desc';
  position(row: R): CursorValue[];
  /** The SQL values of a decoded position; throws `invalid_request` on a position no row could have. */
  parse(position: CursorValue[]): unknown[];
}

const badPosition = () =>
  new AppError('invalid_request', 'cursor is not valid: pass next_cursor exactly as a previous page returned it', {
    param: 'cursor',
  });

const byCreation = (direction: 'asc' | 'desc'): Keyset<{ created_at: Date; id: string }> => ({
  columns: ['created_at', 'id'],
  direction,
  position: (r) => [r.created_at.toISOString(), r.id],
  parse: ([createdAt, id]) => {
    const at = typeof createdAt === 'string' ? new Date(createdAt) : undefined;
    // Years outside 1-9999 are valid JS dates that PostgreSQL refuses, or no row's creation time.
    const year = at?.getUTCFullYear() ?? Number.NaN;
    if (!at || !(year >= 1 && year <= 9999) || typeof id !== 'string') throw badPosition();
    return [at, id];
  },
});

export const newestFirst = byCreation('desc');
export const oldestFirst = byCreation('asc');
export const byKey: Keyset<{ key: string }> = {
  columns: ['key'],
  direction: 'asc',
  position: (r) => [r.key],
  parse: ([key]) => {
    if (typeof key !== 'string') throw badPosition();
    return [key];
  },
};

/**
 * One page of `q` in keyset order: continues after the cursor's position, fetches one row more than
 * the page to learn whether more exist, and ties the cursor to `filters` so it cannot be replayed
 * with other ones. `q` holds the filters; the caller never orders or limits it.
 */
export async function keysetPage<R, T>(
  // biome-ignore lint/suspicious/noExplicitAny: any table of any database: only the selected row type matters here
  q: SelectQueryBuilder<any, any, R>,
  keyset: Keyset<R>,
  page: PageRequest,
  filters: unknown,
  toItem: (row: R) => T,
): Promise<Page<T>> {
  const limit = page.limit ?? DEFAULT_PAGE_SIZE;
  let query = q;
  if (page.cursor) {
    const after = keyset.parse(decodeCursor(page.cursor, filters, keyset.columns.length));
    const columns = sql.join(keyset.columns.map((c) => sql.ref(c)));
    const values = sql.join(after.map((v) => sql`${v}`));
    query = query.where(sql<boolean>`(${columns}) ${sql.raw(keyset.direction === 'desc' ? '<' : '>')} (${values})`);
  }
  for (const column of keyset.columns) query = query.orderBy(sql.ref(column), keyset.direction);
  const rows = await query.limit(limit + 1).execute();
  return buildPage(rows, limit, toItem, keyset.position, filters);
}

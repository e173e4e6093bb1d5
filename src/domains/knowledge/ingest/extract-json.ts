import { AppError } from '../../../kernel/errors.js';
import type { Block } from './block.js';
import { cleanInline, cleanLines, decodeText } from './extract-text.js';

// JSON is rendered for a model to read: small objects as `key: value` lines (nested keys dotted),
// arrays of flat objects as tables, large values split along their structure. Each block carries
// the JSON path of its value so citations can point into the document.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Up to this many characters, an object or array item stays one paragraph. */
const RECORD_LIMIT = 1500;
/** Arrays of objects become tables only when every cell is short and the columns few. */
const CELL_LIMIT = 200;
const MAX_COLUMNS = 20;
const MAX_DEPTH = 200;

const isObject = (v: Json): v is { [key: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPrimitive = (v: Json): v is null | boolean | number | string => v === null || typeof v !== 'object';
const show = (v: null | boolean | number | string): string => (typeof v === 'string' ? cleanInline(v) : String(v));

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * Appends `[key, value]` pairs for every leaf of `value` (keys dotted from `prefix`). Returns false
 * as soon as the running size exceeds `budget.left`, so sizing a huge value costs only the budget.
 */
function flatten(value: Json, prefix: string, out: [string, string][], budget: { left: number }, depth = 0): boolean {
  if (depth > MAX_DEPTH)
    throw new AppError(
      'invalid_request',
      `The JSON file is nested more than ${MAX_DEPTH} levels deep; flatten it before adding it`,
    );
  if (isPrimitive(value) || (Array.isArray(value) && value.every(isPrimitive))) {
    const text = isPrimitive(value)
      ? show(value)
      : (value as (null | boolean | number | string)[]).map(show).join(', ');
    out.push([prefix, text]);
    budget.left -= prefix.length + text.length + 3;
    return budget.left >= 0;
  }
  const entries: [string, Json][] = Array.isArray(value)
    ? value.map((v, i) => [`${prefix}[${i}]`, v])
    : Object.entries(value).map(([k, v]) => [prefix ? `${prefix}.${k}` : k, v]);
  for (const [key, child] of entries) if (!flatten(child, key, out, budget, depth + 1)) return false;
  return true;
}

const record = (pairs: [string, string][]): string => pairs.map(([k, v]) => (k ? `${k}: ${v}` : v)).join('\n');
/** Flattened keys of a field, re-rooted under the field's own name. */
const under = (key: string, pairs: [string, string][]): [string, string][] =>
  key ? pairs.map(([sub, text]) => [sub.startsWith('[') || !sub ? `${key}${sub}` : `${key}.${sub}`, text]) : pairs;

function fitsRecord(value: Json, limit: number, depth: number): [string, string][] | null {
  const out: [string, string][] = [];
  return flatten(value, '', out, { left: limit }, depth) ? out : null;
}

/** An array of objects whose flattened fields are few and short, as one table. */
function asTable(items: Json[], path: string, depth: number): Block | null {
  if (items.length === 0 || !items.every(isObject)) return null;
  const columns = new Map<string, number>();
  const records: Map<string, string>[] = [];
  for (const item of items) {
    const pairs = fitsRecord(item, CELL_LIMIT * MAX_COLUMNS, depth);
    if (!pairs || pairs.some(([, v]) => v.length > CELL_LIMIT)) return null;
    for (const [k] of pairs) if (!columns.has(k)) columns.set(k, columns.size);
    if (columns.size > MAX_COLUMNS) return null;
    records.push(new Map(pairs));
  }
  const header = [...columns.keys()];
  return {
    kind: 'table',
    header,
    rows: records.map((r) => header.map((h) => r.get(h) ?? '')),
    firstRow: 1,
    jsonPath: path,
  };
}

function emitString(text: string, key: string, path: string, blocks: Block[]): void {
  const paras =
    text.length > RECORD_LIMIT
      ? text
          .replace(/\r\n?/g, '\n')
          .split(/\n\s*\n/)
          .map(cleanLines)
      : [cleanInline(text)];
  for (const [i, p] of paras.filter((p) => p !== '').entries()) {
    blocks.push({ kind: 'paragraph', text: i === 0 && key ? `${key}: ${p}` : p, jsonPath: path });
  }
}

function emit(value: Json, path: string, key: string, blocks: Block[], depth: number): void {
  if (typeof value === 'string') {
    emitString(value, key, path, blocks);
    return;
  }
  const small = fitsRecord(value, RECORD_LIMIT, depth);
  if (small) {
    const text = record(under(key, small));
    if (text !== '') blocks.push({ kind: 'paragraph', text, jsonPath: path });
    return;
  }
  if (Array.isArray(value)) {
    const table = asTable(value, path, depth);
    if (table) blocks.push(table);
    else
      for (const [i, item] of value.entries())
        emit(item, isPrimitive(item) ? path : childPath(path, i), '', blocks, depth + 1);
    return;
  }
  // A large object: its small fields together first, then each large field along its own path.
  const own: [string, string][] = [];
  const large: [string, Json][] = [];
  for (const [k, v] of Object.entries(value as { [key: string]: Json })) {
    const pairs = fitsRecord(v, 300, depth + 1);
    if (pairs) own.push(...under(k, pairs));
    else large.push([k, v]);
  }
  if (own.length) blocks.push({ kind: 'paragraph', text: record(own), jsonPath: path });
  for (const [k, v] of large) emit(v, childPath(path, k), k, blocks, depth + 1);
}

function parseJson(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    // JSON Lines (one value per line) is common for exports; read it as an array.
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    if (lines.length > 1) {
      try {
        return lines.map((l) => JSON.parse(l) as Json);
      } catch {
        // fall through to the original error, which points at the real problem
      }
    }
    const reason = err instanceof SyntaxError ? `: ${err.message}` : '';
    throw new AppError('invalid_request', `The JSON file is not valid JSON${reason}`, undefined, { cause: err });
  }
}

/** JSON (or JSON Lines): readable paragraphs and tables, each with its `jsonPath`. */
export function extractJson(bytes: Uint8Array): Block[] {
  const blocks: Block[] = [];
  emit(parseJson(decodeText(bytes, 'JSON file')), '$', '', blocks, 0);
  return blocks;
}

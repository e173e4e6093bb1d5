import { CsvError } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import { AppError } from '../../../kernel/errors.js';
import type { Block } from './block.js';
import { cleanInline, decodeText } from './extract-text.js';

/** The delimiter used most often outside quotes on the first line: spreadsheets export `;` and tabs too. */
function detectDelimiter(text: string): string {
  const counts = new Map<string, number>([
    [',', 0],
    [';', 0],
    ['\t', 0],
    ['|', 0],
  ]);
  let quoted = false;
  for (const ch of text.slice(0, 65536)) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '\n') break;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  return [...counts].reduce((best, c) => (c[1] > best[1] ? c : best))[0];
}

/** CSV: the first record is the header, every other record a table row; `firstRow` is 1. */
export function extractCsv(bytes: Uint8Array): Block[] {
  const text = decodeText(bytes, 'CSV file');
  let records: string[][];
  try {
    records = parse(text, {
      delimiter: detectDelimiter(text),
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
    });
  } catch (err) {
    // csv-parse reports an unclosed quote at the end of input, not where it opened: say what it means.
    const reason = !(err instanceof CsvError)
      ? 'it is not valid CSV'
      : err.code === 'CSV_QUOTE_NOT_CLOSED'
        ? 'a quoted value is never closed (look for a stray " character)'
        : err.message;
    throw new AppError('invalid_request', `The CSV file could not be parsed: ${reason}`, undefined, { cause: err });
  }
  const [head, ...rows] = records.map((r) => r.map((cell) => cleanInline(cell.replace(/\n/g, ' '))));
  if (!head) return [];
  const header = head.map((name, i) => name || `column ${i + 1}`);
  return [{ kind: 'table', header, rows, firstRow: 1 }];
}

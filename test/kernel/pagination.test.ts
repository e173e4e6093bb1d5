import { describe, expect, it } from 'vitest';
import { MAX_PAGE_BYTES, buildPage, jsonLengthBound } from '../../src/kernel/pagination.js';

describe('pages', () => {
  it('bounds the JSON length of any value from above', () => {
    const samples: unknown[] = [
      '',
      'plain',
      'quotes " and \\ backslashes',
      '\u0000\u001f control characters',
      'émoji 😀 and accents',
      -1.2345678901234567e-308,
      Number.MAX_SAFE_INTEGER,
      true,
      null,
      [],
      [1, 'two', null, [3], { four: 4 }],
      { nested: { deeper: { list: ['a', 'b'], n: 0.1 } }, 'key "quoted"': 'v', empty: {} },
      { when: new Date('2026-11-22T10:00:00Z'), skipped: undefined },
    ];
    for (const value of samples) expect(jsonLengthBound(value)).toBeGreaterThanOrEqual(JSON.stringify(value).length);
  });

  it('keeps a page under MAX_PAGE_BYTES, cutting it short with a cursor after the last item kept', () => {
    const rows = Array.from({ length: 11 }, (_, i) => ({ id: `r${i}`, blob: 'x'.repeat(MAX_PAGE_BYTES / 4) }));
    const page = buildPage(
      rows,
      10,
      (r) => r,
      (r) => [r.id],
      {},
    );
    expect(page.items.map((r) => r.id)).toEqual(['r0', 'r1', 'r2']);
    expect(page).toMatchObject({ truncated: true, has_more: true });
    expect(JSON.stringify(page.items).length).toBeLessThanOrEqual(MAX_PAGE_BYTES);

    const small = buildPage(
      rows.slice(0, 3).map((r) => ({ ...r, blob: 'y' })),
      10,
      (r) => r,
      (r) => [r.id],
      {},
    );
    expect(small).toMatchObject({ truncated: false, has_more: false, next_cursor: null });
    expect(small.items).toHaveLength(3);
  });
});

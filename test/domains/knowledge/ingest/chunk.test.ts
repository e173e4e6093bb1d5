import { describe, expect, it } from 'vitest';
import { AppError } from '../../../../src/kernel/errors.js';
import { chunkBlocks } from '../../../../src/domains/knowledge/ingest/chunk.js';
import type { Block } from '../../../../src/domains/knowledge/ingest/block.js';
import { extractBlocks } from '../../../../src/domains/knowledge/ingest/extract.js';

const h = (level: number, text: string, page?: number): Block => ({
  kind: 'heading',
  level,
  text,
  ...(page ? { page } : {}),
});
const p = (text: string, page?: number): Block => ({ kind: 'paragraph', text, ...(page ? { page } : {}) });
const sentences = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `Sentence number ${from + i} is here.`).join(' ');

describe('chunkBlocks: sections', () => {
  it('starts each section with its heading, tracks the heading path and never merges sections', () => {
    const chunks = chunkBlocks(
      [
        p('Preamble.'),
        h(1, 'Install'),
        p('Intro text.'),
        h(2, 'Linux'),
        p('Use apt.'),
        p('Or snap.'),
        h(2, 'Mac'),
        p('Use brew.'),
        h(1, 'Usage'),
        p('Run it.'),
      ],
      { chunkSize: 500, overlap: 50 },
    );
    expect(chunks.map((c) => [c.content, c.headingPath, c.location])).toEqual([
      ['Preamble.', [], {}],
      ['Install\n\nIntro text.', ['Install'], { heading_path: ['Install'], section_ordinal: 1 }],
      [
        'Linux\n\nUse apt.\n\nOr snap.',
        ['Install', 'Linux'],
        { heading_path: ['Install', 'Linux'], section_ordinal: 2 },
      ],
      ['Mac\n\nUse brew.', ['Install', 'Mac'], { heading_path: ['Install', 'Mac'], section_ordinal: 3 }],
      ['Usage\n\nRun it.', ['Usage'], { heading_path: ['Usage'], section_ordinal: 4 }],
    ]);
    expect(chunks.every((c) => c.page === null)).toBe(true);
  });

  it('shows an empty parent heading with its first child, and indexes headings of empty sections', () => {
    const chunks = chunkBlocks([h(1, 'Guide'), h(2, 'Setup'), p('Body.'), h(2, 'Empty'), h(1, 'Last')], {
      chunkSize: 500,
      overlap: 0,
    });
    expect(chunks.map((c) => [c.content, c.headingPath])).toEqual([
      ['Guide\nSetup\n\nBody.', ['Guide', 'Setup']],
      ['Empty', ['Guide', 'Empty']],
      ['Last', ['Last']],
    ]);
  });

  it('joins consecutive list items with single line breaks', () => {
    const [chunk] = chunkBlocks([p('Steps:'), p('- one'), p('- two'), p('1. three')], { chunkSize: 500, overlap: 0 });
    expect(chunk!.content).toBe('Steps:\n\n- one\n- two\n1. three');
  });

  it('carries the page where each chunk starts', () => {
    const chunks = chunkBlocks(
      [h(1, 'Title', 1), p('Page one text.', 1), p(sentences(8), 2), h(2, 'Next', 3), p('Page three.', 3)],
      { chunkSize: 120, overlap: 20 },
    );
    expect(chunks.map((c) => [c.page, c.location.page])).toEqual([
      [1, 1],
      [2, 2],
      [2, 2],
      [2, 2],
      [3, 3],
    ]);
    // A new page starts a new chunk: the page-1 chunk holds no page-2 text.
    expect(chunks[0]!.content).toBe('Title\n\nPage one text.');
    expect(chunks[1]!.content).toMatch(/^Page one text\.\n\nSentence number 0 is here\./);
  });

  it('is deterministic', () => {
    const blocks = [h(1, 'A'), p(sentences(40)), { kind: 'table', header: ['x'], rows: [['1'], ['2']] } as Block];
    expect(chunkBlocks(blocks, { chunkSize: 200, overlap: 40 })).toEqual(
      chunkBlocks(blocks, { chunkSize: 200, overlap: 40 }),
    );
  });

  it('rejects unusable options', () => {
    expect(() => chunkBlocks([], { chunkSize: 5, overlap: 0 })).toThrow(AppError);
    expect(() => chunkBlocks([], { chunkSize: 100, overlap: 100 })).toThrow(/chunk_overlap/);
    expect(() => chunkBlocks([], { chunkSize: 100, overlap: -1 })).toThrow(/chunk_overlap/);
  });
});

describe('chunkBlocks: packing and splitting', () => {
  it('packs paragraphs up to the size and moves a paragraph that does not fit to the next chunk whole', () => {
    const paras = Array.from({ length: 10 }, (_, i) => `Paragraph ${i} ${'x'.repeat(40)}.`); // 55 chars each
    const chunks = chunkBlocks(
      paras.map((t) => p(t)),
      { chunkSize: 120, overlap: 0 },
    );
    expect(chunks.map((c) => c.content)).toEqual([0, 2, 4, 6, 8].map((i) => `${paras[i]}\n\n${paras[i + 1]}`));
  });

  it('splits an over-long paragraph at sentence boundaries', () => {
    const text = sentences(30);
    const chunks = chunkBlocks([p(text)], { chunkSize: 200, overlap: 0 });
    expect(chunks.length).toBeGreaterThan(4);
    for (const c of chunks) {
      expect(c.content.length).toBeLessThanOrEqual(200);
      expect(c.content).toMatch(/^Sentence number \d+ is here\.( Sentence number \d+ is here\.)*$/);
    }
    expect(chunks.map((c) => c.content).join(' ')).toBe(text);
  });

  it('falls back to word boundaries, then to hard cuts for a single huge token', () => {
    const words = Array.from({ length: 200 }, (_, i) => `word${i}`);
    const chunks = chunkBlocks([p(words.join(' '))], { chunkSize: 100, overlap: 0 });
    expect(chunks.flatMap((c) => c.content.split(' '))).toEqual(words);
    expect(Math.max(...chunks.map((c) => c.content.length))).toBeLessThanOrEqual(100);

    const token = 'z'.repeat(250);
    const cut = chunkBlocks([p(`before ${token} after`)], { chunkSize: 100, overlap: 30 });
    expect(cut.map((c) => c.content)).toEqual(['before', 'z'.repeat(100), 'z'.repeat(100), `${'z'.repeat(50)} after`]);
  });

  it('prepends whole sentences from the previous chunk within a section, up to the overlap', () => {
    const chunks = chunkBlocks([h(1, 'Alpha'), p(sentences(20))], { chunkSize: 200, overlap: 60 });
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks[0]!.content.startsWith('Alpha\n\nSentence number 0 is here.')).toBe(true);
    for (let i = 1; i < chunks.length; i++) {
      const prev = chunks[i - 1]!.content;
      const cur = chunks[i]!.content;
      const next = Number(/(\d+) is here\.$/.exec(prev)![1]) + 1;
      const carried = cur.slice(0, cur.indexOf(`Sentence number ${next} is`)).trim();
      expect(carried).toMatch(/^Sentence number \d+ is here\.(?: Sentence number \d+ is here\.)*$/);
      expect(carried.length).toBeLessThanOrEqual(60);
      expect(prev.endsWith(carried)).toBe(true);
    }
  });

  it('uses no overlap when it is 0, and never across a heading', () => {
    const none = chunkBlocks([p(sentences(12))], { chunkSize: 200, overlap: 0 });
    expect(none.map((c) => c.content).join(' ')).toBe(sentences(12));
    const sections = chunkBlocks([h(1, 'A'), p(sentences(3)), h(1, 'B'), p(sentences(3, 10))], {
      chunkSize: 500,
      overlap: 100,
    });
    expect(sections.map((c) => c.content)).toEqual([`A\n\n${sentences(3)}`, `B\n\n${sentences(3, 10)}`]);
  });

  it('keeps chunks of a section within the size even with the heading and the overlap', () => {
    const blocks = [
      h(1, 'A fairly long heading for this section'),
      ...Array.from({ length: 30 }, (_, i) => p(sentences(1 + (i % 7), i * 10))),
    ];
    const chunks = chunkBlocks(blocks, { chunkSize: 300, overlap: 80 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(c.content.length).toBeLessThanOrEqual(300);
  });
});

describe('chunkBlocks: tables and JSON', () => {
  it('splits tables by rows, repeating the header and citing data rows', () => {
    const rows = Array.from({ length: 25 }, (_, i) => [`name ${i + 1}`, `${i + 1}`]);
    const chunks = chunkBlocks([h(1, 'Prices'), { kind: 'table', header: ['Name', 'Qty'], rows, firstRow: 1 }], {
      chunkSize: 200,
      overlap: 50,
    });
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks[0]!.content.startsWith('Prices\n\n| Name | Qty |\n| --- | --- |\n| name 1 | 1 |')).toBe(true);
    let next = 1;
    for (const c of chunks) {
      expect(c.content.length).toBeLessThanOrEqual(200);
      expect(c.content).toContain('| Name | Qty |\n| --- | --- |\n');
      const [from, to] = c.location.rows as [number, number];
      expect(from).toBe(next);
      expect(c.content).toContain(`| name ${from} | ${from} |`);
      expect(c.content).toContain(`| name ${to} | ${to} |`);
      expect(c.content).not.toContain(`| name ${to + 1} |`);
      expect(c.location.heading_path).toEqual(['Prices']);
      next = to + 1;
    }
    expect(next).toBe(26);
  });

  it('cites CSV rows from the first data row and splits a huge row into column: value lines', async () => {
    const csv = `id,text\n1,short\n2,${'long words here '.repeat(30).trim()}\n3,end\n`;
    const chunks = chunkBlocks(await extractBlocks(new TextEncoder().encode(csv), 'text/csv'), {
      chunkSize: 200,
      overlap: 0,
    });
    expect(chunks.map((c) => c.location.rows)).toEqual([
      [1, 1],
      [2, 2],
      [2, 2],
      [2, 3],
    ]);
    const text = chunks
      .slice(1)
      .map((c) => c.content.replace('| id | text |\n| --- | --- |\n', '').replace('\n| 3 | end |', ''))
      .join(' ');
    expect(text).toBe(`id: 2\ntext: ${'long words here '.repeat(30).trim()}`);
    expect(chunks[1]!.content.startsWith('| id | text |\n| --- | --- |\nid: 2\ntext: long words here')).toBe(true);
    expect(chunks.at(-1)!.content.endsWith('| 3 | end |')).toBe(true);
  });

  it('keeps JSON values apart and reports their paths', () => {
    const chunks = chunkBlocks(
      [
        { kind: 'paragraph', text: 'name: A', jsonPath: '$[0]' },
        { kind: 'paragraph', text: 'name: B', jsonPath: '$[1]' },
        { kind: 'table', header: ['id'], rows: [['1'], ['2']], firstRow: 1, jsonPath: '$.items' },
      ],
      { chunkSize: 500, overlap: 100 },
    );
    expect(chunks.map((c) => [c.content, c.location])).toEqual([
      ['name: A', { json_path: '$[0]' }],
      ['name: B', { json_path: '$[1]' }],
      ['| id |\n| --- |\n| 1 |\n| 2 |', { json_path: '$.items', rows: [1, 2] }],
    ]);
  });
});

describe('extract and chunk a large Markdown document', () => {
  it('handles ~2 MB with sane chunk sizes and every section accounted for', async () => {
    const parts: string[] = [];
    let size = 0;
    let sections = 0;
    while (size < 2_000_000) {
      const n = sections++;
      const s = `## Section ${n}\n\nParagraph ${n} has *emphasis* and a [link](https://example.com/${n}). ${sentences(n % 40)}\n\n- item ${n}\n- more\n\n| a | b |\n|---|---|\n| ${n} | x |\n\n`;
      parts.push(s);
      size += s.length;
    }
    const blocks = await extractBlocks(new TextEncoder().encode(`# Big\n\n${parts.join('')}`), 'text/markdown');
    const chunks = chunkBlocks(blocks, { chunkSize: 1200, overlap: 150 });
    expect(chunks.length).toBeGreaterThanOrEqual(sections * 2);
    expect(Math.max(...chunks.map((c) => c.content.length))).toBeLessThanOrEqual(1200);
    expect(chunks.filter((c) => c.content.length < 10)).toEqual([]);
    const seen = new Set(chunks.map((c) => c.headingPath.join(' > ')));
    expect(seen.size).toBe(sections);
    expect(seen.has(`Big > Section ${sections - 1}`)).toBe(true);
    const last = chunks.filter((c) => c.headingPath[1] === `Section ${sections - 1}`);
    expect(last.map((c) => c.location.rows ?? null)).toEqual([null, [1, 1]]);
  });
});

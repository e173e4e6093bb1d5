import { Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow, TextRun } from 'docx';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../../src/kernel/errors.js';
import type { ContentType } from '../../../../src/domains/knowledge/ingest/content-types.js';
import { chunkBlocks } from '../../../../src/domains/knowledge/ingest/chunk.js';
import { extractBlocks } from '../../../../src/domains/knowledge/ingest/extract.js';

const DOCX: ContentType = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

async function expectInvalid(bytes: Uint8Array, type: ContentType, message: RegExp) {
  const err = await extractBlocks(bytes, type).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe('invalid_request');
  expect((err as AppError).message).toMatch(message);
}

type Line = { text: string; y: number; size?: number };

/** A PDF with the given lines of Helvetica text on each page (y from the bottom of a 600×800 page). */
async function makePdf(pages: Line[][]): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const lines of pages) {
    const page = doc.addPage([600, 800]);
    for (const l of lines) page.drawText(l.text, { x: 50, y: l.y, size: l.size ?? 12, font });
  }
  return doc.save();
}

const cell = (text: string) => new TableCell({ children: [new Paragraph(text)] });

describe('pdf', () => {
  it('rebuilds headings and paragraphs with page numbers, dropping page-number lines', async () => {
    const bytes = await makePdf([
      [
        { text: 'Getting Started', y: 740, size: 20 },
        { text: 'The first paragraph spans two lines and a hyphen-', y: 700 },
        { text: 'ated word that must be rejoined.', y: 686 },
        { text: 'A second paragraph after a gap.', y: 640 },
        { text: '1', y: 30, size: 10 },
      ],
      [
        { text: 'Configuration', y: 740, size: 16 },
        { text: 'The zebra setting lives on page two.', y: 700 },
        { text: '2', y: 30, size: 10 },
      ],
    ]);
    const blocks = await extractBlocks(bytes, 'application/pdf');
    expect(blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Getting Started', page: 1 },
      {
        kind: 'paragraph',
        text: 'The first paragraph spans two lines and a hyphenated word that must be rejoined.',
        page: 1,
      },
      { kind: 'paragraph', text: 'A second paragraph after a gap.', page: 1 },
      { kind: 'heading', level: 2, text: 'Configuration', page: 2 },
      { kind: 'paragraph', text: 'The zebra setting lives on page two.', page: 2 },
    ]);
    expect(bytes.length).toBeGreaterThan(0); // pdf.js must not detach the caller's buffer
    expect(bytes[0]).toBe(0x25); // '%'

    const chunks = chunkBlocks(blocks, { chunkSize: 1200, overlap: 100 });
    const zebra = chunks.find((c) => c.content.includes('zebra'))!;
    expect(zebra.page).toBe(2);
    expect(zebra.location).toEqual({ page: 2, heading_path: ['Getting Started', 'Configuration'], section_ordinal: 2 });
    expect(chunks[0]!.page).toBe(1);
  });

  it('drops a running header repeated at the top of most pages', async () => {
    const pages = [1, 2, 3, 4].map((n) => [
      { text: 'ACME Handbook', y: 770, size: 9 },
      { text: `Body text of page ${n}.`, y: 700 },
    ]);
    const blocks = await extractBlocks(await makePdf(pages), 'application/pdf');
    expect(blocks).toEqual([1, 2, 3, 4].map((n) => ({ kind: 'paragraph', text: `Body text of page ${n}.`, page: n })));
  });

  it('rejects random bytes, a truncated file and a PDF without text', async () => {
    const random = new Uint8Array(5000).map((_, i) => (i * 2654435761) >>> 24);
    await expectInvalid(random, 'application/pdf', /^The PDF could not be read: it is damaged or not a PDF$/);
    const good = await makePdf([[{ text: 'Hello there', y: 700 }]]);
    await expectInvalid(good.slice(0, Math.floor(good.length / 2)), 'application/pdf', /^The PDF could not be read/);
    await expectInvalid(await makePdf([[]]), 'application/pdf', /^The PDF contains no text \(a scanned PDF needs OCR/);
  });
});

describe('docx', () => {
  it('keeps headings, paragraphs, lists and tables', async () => {
    const doc = new Document({
      sections: [
        {
          children: [
            new Paragraph({ text: 'Install Guide', heading: HeadingLevel.HEADING_1 }),
            new Paragraph({
              children: [
                new TextRun('Run the '),
                new TextRun({ text: 'installer', bold: true }),
                new TextRun(' & wait.'),
              ],
            }),
            new Paragraph({ text: 'Linux', heading: HeadingLevel.HEADING_2 }),
            new Table({
              rows: [
                new TableRow({ tableHeader: true, children: [cell('Service'), cell('Port')] }),
                new TableRow({ children: [cell('api'), cell('8080')] }),
              ],
            }),
            new Paragraph({ text: 'check the firewall', bullet: { level: 0 } }),
          ],
        },
      ],
    });
    const blocks = await extractBlocks(new Uint8Array(await Packer.toBuffer(doc)), DOCX);
    expect(blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Install Guide' },
      { kind: 'paragraph', text: 'Run the installer & wait.' },
      { kind: 'heading', level: 2, text: 'Linux' },
      { kind: 'table', header: ['Service', 'Port'], rows: [['api', '8080']] },
      { kind: 'paragraph', text: '- check the firewall' },
    ]);
  });

  it('rejects a file that is not a zip, a truncated document and an empty one', async () => {
    await expectInvalid(
      new TextEncoder().encode('just some text, not a zip'),
      DOCX,
      /^The Word document \(DOCX\) could not be read: it is damaged or not a \.docx file/,
    );
    const good = new Uint8Array(
      await Packer.toBuffer(new Document({ sections: [{ children: [new Paragraph('Hi')] }] })),
    );
    await expectInvalid(good.slice(0, good.length - 200), DOCX, /DOCX\) could not be read/);
    const empty = new Uint8Array(await Packer.toBuffer(new Document({ sections: [{ children: [] }] })));
    await expectInvalid(empty, DOCX, /^The Word document \(DOCX\) contains no text$/);
  });
});

import { describe, expect, it } from 'vitest';
import { AppError } from '../../../../src/kernel/errors.js';
import { extractBlocks } from '../../../../src/domains/knowledge/ingest/extract.js';
import { ExtractionStopped, extractChunks } from '../../../../src/domains/knowledge/ingest/extract-isolated.js';
import { INGEST_LIMITS } from '../../../../src/domains/knowledge/ingest/limits.js';
import { makeDocx, makePdf } from '../../../helpers/documents.js';
import { docxBomb, manyEntriesZip, pdfBomb } from './bombs.js';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const chunking = { chunkSize: 500, overlap: 50 };

async function refusal(run: () => Promise<unknown>): Promise<AppError> {
  const err = await run().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe('invalid_request');
  return err as AppError;
}

describe('extraction bounds', () => {
  it('refuses a DOCX whose ZIP directory declares more than the bound, before inflating it', async () => {
    const bomb = await docxBomb(300);
    const started = performance.now();
    const err = await refusal(() => extractBlocks(bomb, DOCX));
    expect(err.message).toMatch(/^The Word document \(DOCX\) expands to more than 100 MB/);
    // Nothing was inflated: 300 MB of XML take seconds to inflate and parse.
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses a DOCX whose directory understates a file, stopping the inflation at the declared size', async () => {
    const err = await refusal(async () => extractBlocks(await docxBomb(300, { lie: true }), DOCX));
    expect(err.message).toMatch(/forged: a file inside expands past the size its ZIP directory declares/);
  });

  it('refuses a ZIP with too many entries, and reads a DOCX within the bounds', async () => {
    expect((await refusal(() => extractBlocks(manyEntriesZip(INGEST_LIMITS.maxZipEntries + 1), DOCX))).message).toMatch(
      /holds more than 5000 files/,
    );
    const small = await docxBomb(1);
    expect((await extractBlocks(small, DOCX))[0]).toMatchObject({ kind: 'paragraph' });
    const tight = { ...INGEST_LIMITS, maxZipExpandedBytes: 1024 * 1024 };
    expect((await refusal(() => extractBlocks(small, DOCX, tight))).message).toMatch(/expands to more than 1 MB/);
    expect(
      await extractBlocks(await makeDocx([{ heading: 'Plan', paragraphs: ['Ship on Monday.'] }]), DOCX, tight),
    ).toHaveLength(2);
  });

  it('refuses a PDF whose content stream expands past the bound, before pdf.js parses it', async () => {
    const err = await refusal(async () => extractBlocks(await pdfBomb(240), 'application/pdf'));
    expect(err.message).toMatch(/^The PDF expands to more than 64 MB of page content/);
    expect((await extractBlocks(await pdfBomb(1), 'application/pdf'))[0]).toMatchObject({ kind: 'paragraph', page: 1 });
  });

  it('bounds PDF pages and extracted characters', async () => {
    const pdf = await makePdf([['First page text.'], ['Second page text.'], ['Third page text.']]);
    expect(
      (await refusal(() => extractBlocks(pdf, 'application/pdf', { ...INGEST_LIMITS, maxPdfPages: 2 }))).message,
    ).toBe('The PDF has 3 pages; the limit is 2. Split it into smaller files');
    expect(
      (await refusal(() => extractBlocks(pdf, 'application/pdf', { ...INGEST_LIMITS, maxTextChars: 20 }))).message,
    ).toBe('The PDF holds more than 20 characters of text; split it into smaller documents');
    const md = new TextEncoder().encode('# Notes\n\nA paragraph of forty characters, more or less.');
    expect(
      (await refusal(() => extractBlocks(md, 'text/markdown', { ...INGEST_LIMITS, maxTextChars: 30 }))).message,
    ).toMatch(/^The Markdown file holds more than/);
  });

  it('extracts in a separate process, stopped at the time limit or when it runs out of memory', async () => {
    const md = new TextEncoder().encode(
      Array.from({ length: 200_000 }, (_, i) => `## Part ${i}\n\nParagraph ${i} of the long document.\n`).join('\n'),
    );
    const oom = await extractChunks(md, 'text/markdown', chunking, { ...INGEST_LIMITS, workerHeapMb: 24 }).catch(
      (e: unknown) => e,
    );
    expect(oom).toBeInstanceOf(ExtractionStopped);
    expect(oom).toMatchObject({
      retryOnce: false,
      message: 'Reading the Markdown file needs more than 24 MB of memory, the limit for one document; it was stopped',
    });

    const slow = await extractChunks(md, 'text/markdown', chunking, { ...INGEST_LIMITS, maxWallMs: 5 }).catch(
      (e: unknown) => e,
    );
    expect(slow).toBeInstanceOf(ExtractionStopped);
    expect(slow).toMatchObject({
      retryOnce: true,
      message: 'Reading the Markdown file took longer than 0.005 s, the limit for one document; it was stopped',
    });

    // The extractor is usable again afterwards, and bounds errors come back as the uploader's errors.
    expect(await extractChunks(new TextEncoder().encode('# Hi\n\nThere.'), 'text/markdown', chunking)).toMatchObject([
      { content: 'Hi\n\nThere.' },
    ]);
    await expect(extractChunks(manyEntriesZip(6000), DOCX, chunking)).rejects.toMatchObject({
      code: 'invalid_request',
      message: /more than 5000 files/,
    });
  });
});

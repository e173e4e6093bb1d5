import { describe, expect, it } from 'vitest';
import { CONTENT_TYPES, resolveContentType } from '../../../../src/domains/knowledge/ingest/content-types.js';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

describe('resolveContentType', () => {
  it('takes a supported declared type, ignoring parameters and case', () => {
    expect(resolveContentType('notes.bin', 'text/markdown; charset=utf-8')).toBe('text/markdown');
    expect(resolveContentType('x', 'Application/PDF')).toBe('application/pdf');
    expect(resolveContentType('report', DOCX)).toBe(DOCX);
  });

  it('accepts common aliases', () => {
    expect(resolveContentType('a', 'text/x-markdown')).toBe('text/markdown');
    expect(resolveContentType('a', 'application/x-pdf')).toBe('application/pdf');
    expect(resolveContentType('a', 'application/xhtml+xml')).toBe('text/html');
    expect(resolveContentType('a', 'application/csv')).toBe('text/csv');
    expect(resolveContentType('a', 'application/ld+json')).toBe('application/json');
  });

  it('falls back to the extension when the declared type is empty or generic', () => {
    expect(resolveContentType('Guide.PDF')).toBe('application/pdf');
    expect(resolveContentType('guide.markdown', null)).toBe('text/markdown');
    expect(resolveContentType('page.htm', '')).toBe('text/html');
    expect(resolveContentType('dir.v2/report.docx', 'application/octet-stream')).toBe(DOCX);
    expect(resolveContentType('report.docx', 'application/zip')).toBe(DOCX);
    expect(resolveContentType('data.csv', 'application/vnd.ms-excel')).toBe('text/csv');
  });

  it('refines a declared text/plain by a text format extension, and only then', () => {
    expect(resolveContentType('README.md', 'text/plain')).toBe('text/markdown');
    expect(resolveContentType('data.json', 'text/plain')).toBe('application/json');
    expect(resolveContentType('notes.txt', 'text/plain')).toBe('text/plain');
    expect(resolveContentType('scan.pdf', 'text/plain')).toBe('text/plain');
  });

  it('returns null for unsupported types and unknown extensions', () => {
    expect(resolveContentType('photo.png', 'image/png')).toBeNull();
    expect(resolveContentType('notes.txt', 'image/png')).toBeNull();
    expect(resolveContentType('archive.tar.gz')).toBeNull();
    expect(resolveContentType('Makefile', 'application/octet-stream')).toBeNull();
    expect(resolveContentType('sheet.xls', 'application/vnd.ms-excel')).toBeNull();
  });

  it('maps every listed extension back to its type', () => {
    for (const [type, exts] of Object.entries(CONTENT_TYPES)) {
      for (const ext of exts) expect(resolveContentType(`file${ext}`)).toBe(type);
    }
  });
});

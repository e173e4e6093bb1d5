import { AlignmentType, Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow, TextRun } from 'docx';
import { PDFDocument, StandardFonts } from 'pdf-lib';

/** A PDF with one block of lines per page, made in the test so no binary fixture is committed. */
export async function makePdf(pages: string[][]): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (const lines of pages) {
    const page = pdf.addPage([595, 842]);
    for (const [i, line] of lines.entries()) page.drawText(line, { x: 50, y: 780 - i * 18, size: 12, font });
  }
  return pdf.save();
}

/** A DOCX with headings, paragraphs and a table. */
export async function makeDocx(
  sections: { heading: string; paragraphs: string[]; table?: string[][] }[],
): Promise<Uint8Array> {
  const children: (Paragraph | Table)[] = [];
  for (const s of sections) {
    children.push(new Paragraph({ text: s.heading, heading: HeadingLevel.HEADING_1 }));
    for (const p of s.paragraphs)
      children.push(new Paragraph({ children: [new TextRun(p)], alignment: AlignmentType.LEFT }));
    if (s.table) {
      children.push(
        new Table({
          rows: s.table.map(
            (row) => new TableRow({ children: row.map((cell) => new TableCell({ children: [new Paragraph(cell)] })) }),
          ),
        }),
      );
    }
  }
  return new Uint8Array(await Packer.toBuffer(new Document({ sections: [{ children }] })));
}

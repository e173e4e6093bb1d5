// Decompression bombs, built at test time (nothing binary is committed): a DOCX whose XML expands
// a thousandfold, and a PDF whose page content stream does.
import { once } from 'node:events';
import { type Deflate, type DeflateRaw, crc32, createDeflate, createDeflateRaw } from 'node:zlib';
import { PDFDict, PDFDocument, PDFName, StandardFonts } from 'pdf-lib';

const MB = 1024 * 1024;

/** Deflates head + `fill` repeated to `bytes` + tail, streaming, so the expanded text never sits in memory. */
async function deflateRun(
  z: Deflate | DeflateRaw,
  head: string,
  fill: string,
  bytes: number,
  tail: string,
): Promise<{ data: Buffer; size: number; crc: number }> {
  const out: Buffer[] = [];
  z.on('data', (d: Buffer) => out.push(d));
  const ended = once(z, 'end');
  const block = Buffer.alloc(MB, fill);
  let crc = 0;
  let size = 0;
  const write = async (b: Buffer) => {
    crc = crc32(b, crc);
    size += b.length;
    if (!z.write(b)) await once(z, 'drain');
  };
  await write(Buffer.from(head));
  for (let n = 0; n < bytes; n += block.length)
    await write(n + block.length <= bytes ? block : block.subarray(0, bytes - n));
  await write(Buffer.from(tail));
  z.end();
  await ended;
  return { data: Buffer.concat(out), size, crc };
}

interface ZipEntry {
  name: string;
  data: Buffer;
  method: 0 | 8;
  crc: number;
  size: number;
}

/** A ZIP archive; `declare` overrides the uncompressed size written in the headers (a forged one lies). */
export function zipArchive(entries: (ZipEntry & { declare?: number })[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const size = e.declare ?? e.size;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.method, 8);
    local.writeUInt32LE(e.crc >>> 0, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(e.method, 10);
    dir.writeUInt32LE(e.crc >>> 0, 16);
    dir.writeUInt32LE(e.data.length, 20);
    dir.writeUInt32LE(size, 24);
    dir.writeUInt16LE(name.length, 28);
    dir.writeUInt32LE(offset, 42);
    locals.push(local, name, e.data);
    central.push(dir, name);
    offset += 30 + name.length + e.data.length;
  }
  const dirBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dirBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dirBytes, end]);
}

const stored = (name: string, text: string): ZipEntry => {
  const data = Buffer.from(text);
  return { name, data, method: 0, crc: crc32(data), size: data.length };
};

/**
 * A well-formed DOCX whose word/document.xml holds one paragraph of `expandMb` MB of text: a few
 * hundred kB on the wire. With `lie`, the ZIP headers declare the XML to be 2 kB.
 */
export async function docxBomb(expandMb: number, opts: { lie?: boolean } = {}): Promise<Uint8Array> {
  const w = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';
  const xml = await deflateRun(
    createDeflateRaw({ level: 9 }),
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="${w}"><w:body><w:p><w:r><w:t>`,
    'a',
    expandMb * MB,
    '</w:t></w:r></w:p></w:body></w:document>',
  );
  return zipArchive([
    stored(
      '[Content_Types].xml',
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    ),
    stored(
      '_rels/.rels',
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    ),
    {
      name: 'word/document.xml',
      data: xml.data,
      method: 8,
      crc: xml.crc,
      size: xml.size,
      ...(opts.lie ? { declare: 2048 } : {}),
    },
  ]);
}

/** A ZIP with `count` tiny entries: a directory bomb. */
export const manyEntriesZip = (count: number): Buffer =>
  zipArchive(Array.from({ length: count }, (_, i) => stored(`word/part${i}.xml`, '<x/>')));

/** A one-page PDF whose content stream, a few hundred kB deflated, draws `expandMb` MB of text operators. */
export async function pdfBomb(expandMb: number): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const page = pdf.addPage([595, 842]);
  page.drawText('Quarterly report', { x: 50, y: 780, size: 12, font });
  const fontName = page.node.Resources()!.lookup(PDFName.of('Font'), PDFDict).keys()[0]!.decodeText();
  const content = await deflateRun(
    createDeflate({ level: 9 }),
    `BT /${fontName} 12 Tf 50 700 Td `,
    '(x) Tj ',
    expandMb * MB,
    ' ET',
  );
  const stream = pdf.context.stream(content.data, { Filter: 'FlateDecode' });
  page.node.set(PDFName.of('Contents'), pdf.context.register(stream));
  return pdf.save();
}

import { describe, expect, it } from 'vitest';
import { AppError } from '../../../../src/kernel/errors.js';
import type { ContentType } from '../../../../src/domains/knowledge/ingest/content-types.js';
import { extractBlocks } from '../../../../src/domains/knowledge/ingest/extract.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

async function expectInvalid(bytes: Uint8Array, type: ContentType, message: RegExp) {
  const err = await extractBlocks(bytes, type).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe('invalid_request');
  expect((err as AppError).message).toMatch(message);
}

describe('plain text', () => {
  it('splits paragraphs on blank lines and normalises the text', async () => {
    const text = '\ufeffFirst   line\u00a0here\ncontinued\t\there\n\n  \n\nCafe\u0301 na\u0000me\r\n\r\nlast';
    expect(await extractBlocks(utf8(text), 'text/plain')).toEqual([
      { kind: 'paragraph', text: 'First line here\ncontinued here' },
      { kind: 'paragraph', text: 'Café name' },
      { kind: 'paragraph', text: 'last' },
    ]);
    const [para] = await extractBlocks(utf8('Cafe\u0301'), 'text/plain');
    expect(para).toEqual({ kind: 'paragraph', text: 'Caf\u00e9' }); // NFC: one code point
  });

  it('decodes UTF-16 with a BOM and falls back to windows-1252 for invalid UTF-8', async () => {
    const utf16 = new Uint8Array([0xff, 0xfe, ...Array.from('héllo').flatMap((c) => [c.charCodeAt(0), 0])]);
    expect(await extractBlocks(utf16, 'text/plain')).toEqual([{ kind: 'paragraph', text: 'héllo' }]);
    const cp1252 = new Uint8Array([0x93, 0x63, 0x61, 0x66, 0xe9, 0x94, 0x20, 0x80, 0x35]);
    expect(await extractBlocks(cp1252, 'text/plain')).toEqual([{ kind: 'paragraph', text: '“café” €5' }]);
  });

  it('rejects binary data and empty input', async () => {
    const binary = new Uint8Array(4096).map((_, i) => (i * 7919) % 256);
    await expectInvalid(binary, 'text/plain', /text file could not be read: it is not text/);
    await expectInvalid(new Uint8Array(0), 'text/plain', /text file is empty: it contains no text/);
    await expectInvalid(utf8(' \n\n\t \n'), 'text/plain', /text file contains no text/);
  });
});

describe('markdown', () => {
  it('reads headings, paragraphs, list items, code and tables, stripping inline markup', async () => {
    const md = [
      '---',
      'title: Guide',
      '---',
      '# Install *the* tool #',
      '',
      'Use [npm](https://npmjs.com) or [the docs](./docs.md), then run `a*b*c`.',
      'Soft break, **bold** and snake_case_name.',
      '',
      '- one',
      '- two',
      '  continued',
      '1. first',
      '',
      'Setext',
      '------',
      '',
      '```bash',
      '  apt install x',
      '    --yes',
      '```',
      '',
      '| Name | Port |',
      '| :--- | ---: |',
      '| api | 8080 |',
      '| db \\| pg | 5432 | extra |',
      '',
      '> quoted line',
      '',
      '***',
      '<!-- hidden',
      'comment -->',
      '###### Deep',
    ].join('\n');
    expect(await extractBlocks(utf8(md), 'text/markdown')).toEqual([
      { kind: 'paragraph', text: 'title: Guide' },
      { kind: 'heading', level: 1, text: 'Install the tool' },
      {
        kind: 'paragraph',
        text: 'Use npm (https://npmjs.com) or the docs, then run a*b*c. Soft break, bold and snake_case_name.',
      },
      { kind: 'paragraph', text: '- one' },
      { kind: 'paragraph', text: '- two continued' },
      { kind: 'paragraph', text: '1. first' },
      { kind: 'heading', level: 2, text: 'Setext' },
      { kind: 'paragraph', text: 'apt install x\n  --yes' },
      {
        kind: 'table',
        header: ['Name', 'Port'],
        rows: [
          ['api', '8080'],
          ['db | pg', '5432'],
        ],
      },
      { kind: 'paragraph', text: 'quoted line' },
      { kind: 'heading', level: 6, text: 'Deep' },
    ]);
  });

  it('does not treat #hashtags or pipes without a delimiter row as structure', async () => {
    expect(await extractBlocks(utf8('#hashtag here\n\na | b\nc | d'), 'text/markdown')).toEqual([
      { kind: 'paragraph', text: '#hashtag here' },
      { kind: 'paragraph', text: 'a | b c | d' },
    ]);
  });

  it('rejects a document of only markup', async () => {
    await expectInvalid(utf8('---\n\n***\n'), 'text/markdown', /Markdown file contains no text/);
  });
});

describe('html', () => {
  it('reads structure, decodes entities and skips scripts, styles and navigation', async () => {
    const html = `<!doctype html><html><head><title>Ignored &amp; kept</title><style>p{}</style>
      <script>var s = "<p>no</p>";</script></head><body>
      <nav><a href="/">Home</a></nav>
      <h1>Caf&eacute; guide</h1><p>Hello   <b>world</b> &lt;3<br>next line</p>
      <div>loose <p>inner</p> tail</div>
      <ul><li>one</li><li>two<ul><li>nested</li></ul></li></ul><ol start="3"><li>three</ol>
      <pre>  code {
    x = 1;
  }</pre>
      <table><thead><tr><th>Name</th><th>Port</th></tr></thead>
        <tr><td><p>api</p></td><td>8080</td></tr><tr><td></td><td></td></tr></table>
      <table><tr><td>a</td><td>b</td></tr></table>
      <p hidden>secret</p><div aria-hidden="true">hidden too</div><noscript>enable js</noscript>
      </body></html>`;
    expect(await extractBlocks(utf8(html), 'text/html')).toEqual([
      { kind: 'heading', level: 1, text: 'Café guide' },
      { kind: 'paragraph', text: 'Hello world <3\nnext line' },
      { kind: 'paragraph', text: 'loose' },
      { kind: 'paragraph', text: 'inner' },
      { kind: 'paragraph', text: 'tail' },
      { kind: 'paragraph', text: '- one' },
      { kind: 'paragraph', text: '- two' },
      { kind: 'paragraph', text: '  - nested' },
      { kind: 'paragraph', text: '3. three' },
      { kind: 'paragraph', text: 'code {\n  x = 1;\n}' },
      { kind: 'table', header: ['Name', 'Port'], rows: [['api', '8080']] },
      { kind: 'table', header: null, rows: [['a', 'b']] },
    ]);
  });

  it('uses the title as the top heading when the page has no h1', async () => {
    const blocks = await extractBlocks(utf8('<title>Price list</title><h2>Plans</h2><p>Basic</p>'), 'text/html');
    expect(blocks.slice(0, 2)).toEqual([
      { kind: 'heading', level: 1, text: 'Price list' },
      { kind: 'heading', level: 2, text: 'Plans' },
    ]);
  });

  it('rejects a page with no visible text', async () => {
    await expectInvalid(
      utf8('<html><script>alert(1)</script><nav>menu</nav></html>'),
      'text/html',
      /HTML file contains no text/,
    );
  });
});

describe('csv', () => {
  it('takes the first record as header and handles BOM, quotes, embedded newlines and blank lines', async () => {
    const csv = '\ufeffname,note,qty\r\n"Smith, J","two\nlines",3\r\n\r\n"say ""hi""",,\r\nshort\r\n';
    expect(await extractBlocks(utf8(csv), 'text/csv')).toEqual([
      {
        kind: 'table',
        header: ['name', 'note', 'qty'],
        firstRow: 1,
        rows: [['Smith, J', 'two lines', '3'], ['say "hi"', '', ''], ['short']],
      },
    ]);
  });

  it('detects semicolon and tab delimiters and names blank header cells', async () => {
    expect(await extractBlocks(utf8('a;b;\n1,5;2;3\n'), 'text/csv')).toEqual([
      { kind: 'table', header: ['a', 'b', 'column 3'], firstRow: 1, rows: [['1,5', '2', '3']] },
    ]);
    expect(await extractBlocks(utf8('a\tb\n1\t2\n'), 'text/csv')).toEqual([
      { kind: 'table', header: ['a', 'b'], firstRow: 1, rows: [['1', '2']] },
    ]);
  });

  it('rejects malformed quoting with a clear reason', async () => {
    await expectInvalid(
      utf8('a,b\n1,"open\n2,3\n'),
      'text/csv',
      /^The CSV file could not be parsed: a quoted value is never closed/,
    );
    await expectInvalid(utf8('\n\n'), 'text/csv', /CSV file contains no text/);
  });
});

describe('json', () => {
  it('renders small objects as key: value lines with dotted nested keys', async () => {
    const json = { title: 'Doc', meta: { version: 2, tags: ['a', 'b'] }, draft: false, owner: null };
    expect(await extractBlocks(utf8(JSON.stringify(json)), 'application/json')).toEqual([
      {
        kind: 'paragraph',
        text: 'title: Doc\nmeta.version: 2\nmeta.tags: a, b\ndraft: false\nowner: null',
        jsonPath: '$',
      },
    ]);
  });

  it('turns a large array of flat objects into a table and splits large values along their paths', async () => {
    const products = Array.from({ length: 60 }, (_, i) => ({
      id: i + 1,
      name: `Product ${i + 1}`,
      price: { amount: i * 10, currency: 'EUR' },
    }));
    const body = `${'word '.repeat(400)}\n\nSecond paragraph.`;
    const blocks = await extractBlocks(
      utf8(JSON.stringify({ name: 'Catalog', products, notes: { 'a key': body } })),
      'application/json',
    );
    expect(blocks.map((b) => [b.kind, b.kind === 'heading' ? null : b.jsonPath])).toEqual([
      ['paragraph', '$'],
      ['table', '$.products'],
      ['paragraph', '$.notes["a key"]'],
      ['paragraph', '$.notes["a key"]'],
    ]);
    expect(blocks[0]).toMatchObject({ text: 'name: Catalog' });
    expect(blocks[1]).toMatchObject({ header: ['id', 'name', 'price.amount', 'price.currency'], firstRow: 1 });
    expect((blocks[1] as { rows: string[][] }).rows[59]).toEqual(['60', 'Product 60', '590', 'EUR']);
    expect(blocks[2]).toMatchObject({ text: expect.stringMatching(/^a key: word word/) });
    expect(blocks[3]).toMatchObject({ text: 'Second paragraph.' });
  });

  it('gives each large heterogeneous array item its own path', async () => {
    const items = [
      { kind: 'a', text: 'x'.repeat(900) },
      { kind: 'b', nested: [{ deep: 'y'.repeat(900) }] },
    ];
    const blocks = await extractBlocks(utf8(JSON.stringify(items)), 'application/json');
    expect(blocks).toEqual([
      { kind: 'paragraph', text: `kind: a\ntext: ${'x'.repeat(900)}`, jsonPath: '$[0]' },
      { kind: 'paragraph', text: `kind: b\nnested[0].deep: ${'y'.repeat(900)}`, jsonPath: '$[1]' },
    ]);
  });

  it('reads JSON Lines as an array', async () => {
    expect(await extractBlocks(utf8('{"a":1}\n{"a":2}\n'), 'application/json')).toEqual([
      { kind: 'paragraph', text: '[0].a: 1\n[1].a: 2', jsonPath: '$' },
    ]);
  });

  it('rejects invalid and empty JSON', async () => {
    await expectInvalid(utf8('{"a": 1,}'), 'application/json', /The JSON file is not valid JSON: .+/);
    await expectInvalid(utf8('{"a": '), 'application/json', /not valid JSON/);
    await expectInvalid(utf8('{}'), 'application/json', /JSON file contains no text/);
    await expectInvalid(
      utf8(`${'['.repeat(300)}1${']'.repeat(300)}`),
      'application/json',
      /nested more than 200 levels/,
    );
  });
});

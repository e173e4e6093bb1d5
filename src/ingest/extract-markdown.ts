import type { Block } from './extract.js';
import { cleanInline, cleanLines, decodeText } from './extract-text.js';

// A line-based reader of the CommonMark/GFM block structure we index (headings, paragraphs, list
// items, code, tables, quotes). It is linear in the input: 10 MB of Markdown is one pass.

const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const FENCE = /^( {0,3})(`{3,}|~{3,})/;
const LIST_ITEM = /^([ \t]*)([-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$/;
const DELIMITER_ROW = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
const LINK_DEFINITION = /^ {0,3}\[[^\]]+\]:[ \t]+\S+/;

/** Strips inline Markdown (emphasis, links, images, code spans, tags) to the text a reader sees. */
export function stripInline(source: string): string {
  let out = '';
  let last = 0;
  // Code spans are taken verbatim; everything between them gets the other rules.
  for (const m of source.matchAll(/(`+)([\s\S]+?)\1(?!`)/g)) {
    out += stripSpans(source.slice(last, m.index)) + m[2]!.trim();
    last = m.index + m[0].length;
  }
  return cleanInline(out + stripSpans(source.slice(last)));
}

function stripSpans(s: string): string {
  if (!/[\\[*_~<!]/.test(s)) return s;
  return s
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\(\s*<?([^)\s>]*)>?(?:\s+["'(][^)]*)?\)/g, (_, text: string, url: string) =>
      /^https?:\/\//i.test(url) && url !== text ? `${text} (${url})` : text)
    .replace(/\[([^\]]+)\]\[[^\]]*\]/g, '$1')
    .replace(/<((?:https?|mailto):[^>\s]+)>/gi, '$1')
    .replace(/<\/?[a-zA-Z][\w-]*(?:\s[^<>]*)?\/?>/g, ' ')
    .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, '$2')
    .replace(/~~(?=\S)([\s\S]*?\S)~~/g, '$1')
    .replace(/\*(?=[^\s*])([^*]*?[^\s*])\*/g, '$1')
    .replace(/(^|[^\w\\])_(?=[^\s_])([^_]*?[^\s_])_(?!\w)/g, '$1$2')
    .replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

function splitRow(line: string): string[] {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  return s.split(/(?<!\\)\|/).map((cell) => stripInline(cell.replace(/\\\|/g, '|')));
}

/** Code keeps its line breaks and indentation, minus the indentation common to all lines. */
function codeText(lines: string[]): string {
  const kept = lines.map((l) => l.replace(/\t/g, '    ').replace(/\s+$/, ''));
  while (kept.length && kept[0] === '') kept.shift();
  while (kept.length && kept[kept.length - 1] === '') kept.pop();
  let indent = Infinity;
  for (const l of kept) if (l !== '') indent = Math.min(indent, l.length - l.trimStart().length);
  return kept.map((l) => l.slice(indent)).join('\n');
}

/** Markdown: ATX and setext headings, paragraphs, list items, fenced/indented code, GFM tables. */
export function extractMarkdown(bytes: Uint8Array): Block[] {
  const lines = decodeText(bytes, 'Markdown file').split('\n');
  const blocks: Block[] = [];
  let para: string[] = [];
  let marker = '';
  let inList = false;
  const flush = () => {
    const text = para.length ? stripInline(para.join(' ')) : '';
    if (text !== '') blocks.push({ kind: 'paragraph', text: marker + text });
    para = [];
    marker = '';
  };

  let i = 0;
  if (/^---[ \t]*$/.test(lines[0] ?? '')) {
    // YAML front matter: kept as one paragraph of `key: value` lines, not misread as a setext heading.
    const end = lines.findIndex((l, n) => n > 0 && /^(?:---|\.\.\.)[ \t]*$/.test(l));
    if (end > 0) {
      const text = cleanLines(lines.slice(1, end).join('\n'));
      if (text !== '') blocks.push({ kind: 'paragraph', text });
      i = end + 1;
    }
  }

  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '') {
      flush();
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      flush();
      const close = new RegExp(`^ {0,3}${fence[2]![0] === '`' ? '`' : '~'}{${fence[2]!.length},}[ \\t]*$`);
      let end = i + 1;
      while (end < lines.length && !close.test(lines[end]!)) end++;
      const code = codeText(lines.slice(i + 1, end));
      if (code !== '') blocks.push({ kind: 'paragraph', text: code });
      i = end + 1;
      continue;
    }
    if (para.length === 0 && !inList && /^(?: {4}|\t)/.test(line)) {
      let end = i;
      while (end < lines.length && (/^(?: {4}|\t)/.test(lines[end]!) || lines[end]!.trim() === '')) end++;
      const code = codeText(lines.slice(i, end));
      if (code !== '') blocks.push({ kind: 'paragraph', text: code });
      i = end;
      continue;
    }
    const atx = ATX.exec(line);
    if (atx) {
      flush();
      inList = false;
      const text = stripInline(atx[2] ?? '');
      if (text !== '') blocks.push({ kind: 'heading', level: atx[1]!.length, text });
      i++;
      continue;
    }
    if (para.length && marker === '' && SETEXT.test(line)) {
      const text = stripInline(para.join(' '));
      para = [];
      if (text !== '') blocks.push({ kind: 'heading', level: line.trim()[0] === '=' ? 1 : 2, text });
      i++;
      continue;
    }
    if (RULE.test(line)) {
      flush();
      inList = false;
      i++;
      continue;
    }
    if (line.includes('|') && DELIMITER_ROW.test(lines[i + 1] ?? '') && lines[i + 1]!.includes('|')) {
      const header = splitRow(line);
      if (splitRow(lines[i + 1]!).length === header.length) {
        flush();
        const rows: string[][] = [];
        i += 2;
        while (i < lines.length && lines[i]!.trim() !== '' && lines[i]!.includes('|')) {
          const cells = splitRow(lines[i]!);
          rows.push(header.map((_, n) => cells[n] ?? ''));
          i++;
        }
        blocks.push({ kind: 'table', header, rows });
        continue;
      }
    }
    if (line.startsWith('<!--')) {
      flush();
      while (i < lines.length && !lines[i]!.includes('-->')) i++;
      i++;
      continue;
    }
    if (LINK_DEFINITION.test(line)) {
      i++;
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item && (para.length === 0 || marker !== '' || inList || item[1] === '')) {
      flush();
      inList = true;
      const depth = Math.min(Math.floor(item[1]!.replace(/\t/g, '    ').length / 2), 6);
      const bullet = /\d/.test(item[2]!) ? `${item[2]!.slice(0, -1)}.` : '-';
      marker = `${'  '.repeat(depth)}${bullet} `;
      para = [item[3] ?? ''];
      i++;
      continue;
    }
    const quote = /^ {0,3}>/.test(line) ? line.replace(/^(?: {0,3}> ?)+/, '') : line;
    if (para.length === 0 && !/^\s/.test(line)) inList = false;
    para.push(quote);
    i++;
  }
  flush();
  return blocks;
}

export const CONTENT_TYPES = {
  'text/plain': ['.txt'],
  'text/markdown': ['.md', '.markdown'],
  'text/html': ['.html', '.htm'],
  'application/pdf': ['.pdf'],
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': ['.docx'],
  'text/csv': ['.csv'],
  'application/json': ['.json'],
} as const;

export type ContentType = keyof typeof CONTENT_TYPES;

/**
 * How error messages name each format to the person who uploaded it. Here, not beside the extractors:
 * the parent of the extraction process needs the names without loading the extractors' libraries.
 */
export const FORMAT_LABELS: Record<ContentType, string> = {
  'text/plain': 'text file',
  'text/markdown': 'Markdown file',
  'text/html': 'HTML file',
  'application/pdf': 'PDF',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'Word document (DOCX)',
  'text/csv': 'CSV file',
  'application/json': 'JSON file',
};

const ALIASES: Record<string, ContentType> = {
  'text/x-markdown': 'text/markdown',
  'text/md': 'text/markdown',
  'text/x-web-markdown': 'text/markdown',
  'application/xhtml+xml': 'text/html',
  'application/x-pdf': 'application/pdf',
  'application/acrobat': 'application/pdf',
  'text/x-csv': 'text/csv',
  'text/comma-separated-values': 'text/csv',
  'text/x-comma-separated-values': 'text/csv',
  'application/csv': 'text/csv',
  'text/json': 'application/json',
  'application/x-json': 'application/json',
};

/**
 * Declared types that say nothing reliable about the format: clients send them for any file, so
 * the extension decides. Zip labels cover DOCX files sent by browsers that sniff the container.
 */
const UNINFORMATIVE = new Set([
  'application/octet-stream',
  'binary/octet-stream',
  'application/binary',
  'application/unknown',
  'application/zip',
  'application/x-zip-compressed',
  'application/vnd.ms-excel',
]);

/** Formats that are text, so a declared `text/plain` is refined by a more specific extension (README.md sent as text/plain). */
const TEXT_BASED = new Set<ContentType>(['text/markdown', 'text/html', 'text/csv', 'application/json']);

const BY_EXTENSION = new Map<string, ContentType>(
  Object.entries(CONTENT_TYPES).flatMap(([type, exts]) => exts.map((ext) => [ext, type as ContentType] as const)),
);

function fromExtension(name: string): ContentType | null {
  const base = name.split(/[/\\]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  if (dot < 0) return null;
  return BY_EXTENSION.get(base.slice(dot).toLowerCase()) ?? null;
}

/**
 * The supported format of an upload: from its declared MIME type (parameters ignored, common
 * aliases and `+json` accepted), else from the file name's extension; null when unsupported.
 */
export function resolveContentType(name: string, declared?: string | null): ContentType | null {
  const mime = (declared ?? '').split(';')[0]!.trim().toLowerCase();
  const byName = fromExtension(name);
  if (mime === '' || UNINFORMATIVE.has(mime)) return byName;
  if (mime === 'text/plain') return byName && TEXT_BASED.has(byName) ? byName : 'text/plain';
  if (Object.hasOwn(CONTENT_TYPES, mime)) return mime as ContentType;
  if (Object.hasOwn(ALIASES, mime)) return ALIASES[mime]!;
  if (/^application\/[\w.-]+\+json$/.test(mime)) return 'application/json';
  return null;
}

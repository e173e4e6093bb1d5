import { AppError } from '../../kernel/errors.js';

/**
 * The `{{variable}}` language of templates, kept small on purpose so a model and a human read it
 * the same way:
 *
 *   {{ prospect.first_name }}        a value, by dotted path into the variables
 *   {{ company | "your team" }}      with a default (double or single quotes, `\` escapes)
 *   \{{                              a literal `{{`
 *
 * There is no logic (no conditions, loops or filters): anything conditional belongs in the caller,
 * which passes the value to show.
 */

/** A parsed template: literal text, and placeholders with an optional default. */
export type Segment = { text: string } | { name: string; default: string | null };

export interface TemplateSource {
  subject?: string | null | undefined;
  body: string;
}

export interface RenderedTemplate {
  subject: string | null;
  body: string;
  /** The placeholder names of the template (subject, then body), each once, in order of appearance. */
  variables_used: string[];
}

// Path parts are identifiers, or digits to index into an array (`items.0.name`).
const NAME = /^[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*$/;
const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);

function syntaxError(source: string, field: string, offset: number, problem: string): AppError {
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return new AppError(
    'invalid_request',
    `${field} has a template syntax error at line ${line}, column ${column}: ${problem}`,
    { param: field, line, column },
  );
}

/** Parses a template; throws invalid_request naming the field, line and column of the first error. */
export function parseTemplate(source: string, field = 'body'): Segment[] {
  const segments: Segment[] = [];
  let text = '';
  let i = 0;
  while (i < source.length) {
    if (source.startsWith('\\{{', i)) {
      text += '{{';
      i += 3;
    } else if (source.startsWith('{{', i)) {
      if (text) segments.push({ text });
      text = '';
      const placeholder = parsePlaceholder(source, field, i);
      segments.push(placeholder.segment);
      i = placeholder.end;
    } else {
      text += source[i];
      i++;
    }
  }
  if (text) segments.push({ text });
  return segments;
}

/** Reads `{{ name | "default" }}` starting at `start` (the first brace); returns it and the offset after `}}`. */
function parsePlaceholder(source: string, field: string, start: number): { segment: Segment; end: number } {
  const fail = (offset: number, problem: string) => syntaxError(source, field, offset, problem);
  if (source.indexOf('}}', start + 2) < 0) throw fail(start, '"{{" is never closed: end the placeholder with "}}"');
  let i = start + 2;
  const skipSpace = () => {
    while (isSpace(source[i])) i++;
  };
  skipSpace();
  const nameStart = i;
  while (i < source.length && !isSpace(source[i]) && source[i] !== '|' && source[i] !== '}') i++;
  const name = source.slice(nameStart, i);
  if (!name) throw fail(start, 'empty variable name: write {{name}} or {{name | "default"}}');
  if (!NAME.test(name)) {
    throw fail(
      nameStart,
      `"${name}" is not a variable name: use letters, digits, _ and -, with dots between parts, as in {{prospect.first_name}}`,
    );
  }
  skipSpace();
  let fallback: string | null = null;
  if (source[i] === '|') {
    i++;
    skipSpace();
    const quote = source[i];
    if (quote !== '"' && quote !== "'")
      throw fail(i, `the default of {{${name}}} must be a quoted string, as in {{${name} | "your team"}}`);
    const open = i++;
    fallback = '';
    for (;;) {
      if (i >= source.length) throw fail(open, `the default of {{${name}}} has no closing ${quote}`);
      const c = source[i]!;
      if (c === quote) break;
      if (c === '\\' && i + 1 < source.length) {
        fallback += source[i + 1];
        i += 2;
      } else {
        fallback += c;
        i++;
      }
    }
    i++;
    skipSpace();
  }
  if (!source.startsWith('}}', i)) {
    const found = i < source.length ? `"${source[i]}"` : 'the end';
    throw fail(i, `expected "}}"${fallback === null ? ' or | "default"' : ''} after {{${name}, found ${found}`);
  }
  return { segment: { name, default: fallback }, end: i + 2 };
}

/** Placeholder names in order of first appearance. */
export function placeholderNames(...parsed: Segment[][]): string[] {
  const names = parsed.flat().flatMap((s) => ('name' in s ? [s.name] : []));
  return [...new Set(names)];
}

/** The value at a dotted path; own properties only, so `{{constructor}}` finds nothing. */
function lookup(variables: Record<string, unknown>, name: string): unknown {
  let value: unknown = variables;
  for (const part of name.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

interface Problems {
  missing: string[];
  invalid: string[];
}

function fill(segments: Segment[], variables: Record<string, unknown>, problems: Problems): string {
  let out = '';
  for (const s of segments) {
    if ('text' in s) {
      out += s.text;
      continue;
    }
    const value = lookup(variables, s.name);
    if (value === null || value === undefined) {
      if (s.default !== null) out += s.default;
      else if (!problems.missing.includes(s.name)) problems.missing.push(s.name);
    } else if (
      typeof value === 'string' ||
      typeof value === 'number' ||
      typeof value === 'boolean' ||
      typeof value === 'bigint'
    ) {
      out += String(value);
    } else if (!problems.invalid.includes(s.name)) {
      problems.invalid.push(s.name);
    }
  }
  return out;
}

/**
 * Renders a template with the given variables. Strings, numbers and booleans print as they are;
 * a null or absent value takes the placeholder's default. Fails with invalid_request listing every
 * missing variable (details.missing) and every value that is an object or array (details.invalid).
 */
export function renderTemplate(
  template: { subject: string; body: string },
  variables: Record<string, unknown>,
): RenderedTemplate & { subject: string };
export function renderTemplate(template: TemplateSource, variables: Record<string, unknown>): RenderedTemplate;
export function renderTemplate(template: TemplateSource, variables: Record<string, unknown>): RenderedTemplate {
  const subject =
    template.subject === null || template.subject === undefined ? null : parseTemplate(template.subject, 'subject');
  const body = parseTemplate(template.body, 'body');
  const problems: Problems = { missing: [], invalid: [] };
  const rendered = { subject: subject && fill(subject, variables, problems), body: fill(body, variables, problems) };
  if (problems.missing.length || problems.invalid.length) {
    const parts: string[] = [];
    if (problems.missing.length) {
      parts.push(
        `Missing template variables: ${problems.missing.join(', ')}. Pass them in variables, or give the placeholders defaults, as in {{company | "your team"}}.`,
      );
    }
    if (problems.invalid.length) {
      parts.push(
        `Template variables must be strings, numbers or booleans, but ${problems.invalid.join(', ')} ${problems.invalid.length > 1 ? 'are objects or arrays' : 'is an object or array'}: refer to one of its fields, as in {{prospect.first_name}}.`,
      );
    }
    throw new AppError('invalid_request', parts.join(' '), {
      param: 'variables',
      missing: problems.missing,
      invalid: problems.invalid,
    });
  }
  return { ...rendered, variables_used: placeholderNames(subject ?? [], body) };
}

import { z } from 'zod';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../kernel/pagination.js';

export const WorkspaceIdInput = z
  .string()
  .min(1)
  .max(64)
  .optional()
  .describe('Workspace id (ws_...) or slug. May be omitted when the API key is granted exactly one workspace.');

export const MAX_IDEMPOTENCY_KEY_CHARS = 255;

export const IdempotencyKeyInput = z
  .string()
  .min(1)
  .max(MAX_IDEMPOTENCY_KEY_CHARS)
  .optional()
  .describe(
    'Optional. Repeating a call with the same key and the same input returns the first result without writing again.',
  );

export const CursorInput = z
  .string()
  .min(1)
  .max(1000)
  .optional()
  .describe('Opaque cursor: next_cursor from the previous page. Omit for the first page.');

export const LimitInput = z
  .number()
  .int()
  .min(1)
  .max(MAX_PAGE_SIZE)
  .optional()
  .describe(`Page size, 1-${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}).`);

/**
 * Text that can reach an email header (a name in a subject, a From name): a line break there would end
 * the header and start another one, so it is refused where the text comes in rather than at send time.
 */
export const oneLine = <T extends z.ZodString>(s: T) =>
  s.regex(/^[^\r\n\u0085\u2028\u2029]*$/, 'must be one line: line breaks are not allowed');

/** Template variables are bounded as a whole: a draft stores them as sent. */
export const MAX_FREE_FORM_JSON_CHARS = 32 * 1024;

export const Timestamp = z.string().describe('ISO 8601 timestamp (UTC)');

export const ActorOutput = z
  .object({
    type: z
      .enum(['key', 'person', 'agent', 'system'])
      .describe(
        'key: an API key; person: a console user; agent: an agent run; system: tracking, provider webhooks, jobs',
      ),
    id: z
      .string()
      .describe(
        'The key id, person id or agent id; for the system, the part that acted (e.g. tracking, resend-webhook, job:outreach.send)',
      ),
  })
  .describe('Who did it');

export const pageOutput = <K extends string, T extends z.ZodType>(key: K, item: T) =>
  z.object({
    [key]: z.array(item),
    next_cursor: z.string().nullable().describe('Pass as cursor to get the next page; null on the last page.'),
    has_more: z.boolean().describe('Whether another page exists.'),
    truncated: z
      .boolean()
      .describe(
        'True when this page was cut short to keep the result small; next_cursor continues after the last item.',
      ),
  } as { [P in K]: z.ZodArray<T> } & {
    next_cursor: z.ZodNullable<z.ZodString>;
    has_more: z.ZodBoolean;
    truncated: z.ZodBoolean;
  });

/** Renames a service page's `items` to the operation's plural noun. */
export const toPageOutput = <K extends string, T>(
  key: K,
  page: { items: T[]; next_cursor: string | null; has_more: boolean; truncated: boolean },
) =>
  ({ [key]: page.items, next_cursor: page.next_cursor, has_more: page.has_more, truncated: page.truncated }) as {
    [P in K]: T[];
  } & {
    next_cursor: string | null;
    has_more: boolean;
    truncated: boolean;
  };

const FieldValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

// `out["__proto__"]` is Object.prototype: a pair named `__proto__.x` would set `x` on every object
// in the process. The record form's keys are refused by the input guard; pair names are values, so here.
const PairName = z
  .string()
  .min(1)
  .max(100)
  .refine((name) => !name.split('.').includes('__proto__'), 'a name may not be __proto__, alone or between dots');

/**
 * A free-form map as an input. Published as a list of `{name, value}` pairs: an open object has no
 * strict form (OpenAI strict mode) and no form at all in Gemini's Schema, while a list of pairs
 * converts in every client. A JSON object is still accepted from callers that already send one.
 * `dotted` nests `a.b` names into `{a: {b}}`, for template variables.
 */
export const freeFormInput = <V extends z.ZodType>(value: V, { max = 200, dotted = false } = {}) =>
  z
    .union([
      z
        .array(
          z.object({
            name: PairName.describe('The name'),
            value: value.describe('Its value: text, a number, a boolean or null'),
          }),
        )
        .max(max),
      // Template variables may nest ({prospect: {first_name}}); the renderer checks their values.
      z
        .record(z.string().min(1).max(100), dotted ? z.unknown() : value)
        .refine((r) => Object.keys(r).length <= max, `at most ${max} entries`),
    ])
    // Nested values of any size would otherwise be stored as sent; flat ones are bounded by `value`.
    .refine(
      (v) => !dotted || JSON.stringify(v).length <= MAX_FREE_FORM_JSON_CHARS,
      `must be at most ${MAX_FREE_FORM_JSON_CHARS} characters as JSON`,
    )
    .transform((v): Record<string, unknown> => {
      if (!Array.isArray(v)) return v;
      const out: Record<string, unknown> = {};
      for (const pair of v as { name: string; value: unknown }[]) {
        const path = dotted ? pair.name.split('.') : [pair.name];
        let at = out;
        for (const key of path.slice(0, -1)) {
          const inner = Object.hasOwn(at, key) ? at[key] : undefined;
          if (!inner || typeof inner !== 'object') at[key] = {};
          at = at[key] as Record<string, unknown>;
        }
        at[path[path.length - 1]!] = pair.value;
      }
      return out;
    });

/** The values a free-form input takes from every client. */
export const FreeFormValue = FieldValue;

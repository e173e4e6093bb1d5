import type { Context, Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { App } from '../../app.js';
import type { Principal } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { MAX_DOCUMENT_BYTES } from '../../domains/knowledge/index.js';
import type { CompiledOperation } from '../../operations/catalog.js';
import { MAX_IDEMPOTENCY_KEY_CHARS } from '../../operations/inputs.js';
import type { HttpEnv } from './env.js';

export const REST_PREFIX = '/api/v1';

const honoPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');
export const pathParams = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);

/** Query strings carry text; turn each value into the type the operation's schema declares. */
function coerceQuery(c: Context, compiled: CompiledOperation): Record<string, unknown> {
  const props = (compiled.inputJsonSchema.properties ?? {}) as Record<string, { type?: string }>;
  const out: Record<string, unknown> = {};
  for (const [name, values] of Object.entries(c.req.queries())) {
    const type = props[name]?.type;
    const value = values[values.length - 1]!;
    if (type === 'array') out[name] = values.flatMap((v) => v.split(',')).filter(Boolean);
    else if ((type === 'integer' || type === 'number') && value.trim() !== '' && !Number.isNaN(Number(value)))
      out[name] = Number(value);
    else if (type === 'boolean' && ['true', 'false', '1', '0'].includes(value))
      out[name] = value === 'true' || value === '1';
    else out[name] = value;
  }
  return out;
}

/** Multipart bodies carry the file plus a little form overhead. */
const MAX_UPLOAD_BODY_BYTES = MAX_DOCUMENT_BYTES + 1024 * 1024;

/** A multipart upload as operation input: the `file` field becomes name, content_type and content_base64. */
async function readUpload(c: Context): Promise<Record<string, unknown>> {
  const form = await c.req.formData().catch((err: unknown) => {
    if (c.req.raw.signal.aborted) throw unreadBody(c, err);
    throw new AppError('invalid_request', 'The multipart body could not be read');
  });
  const args: Record<string, unknown> = {};
  for (const [key, value] of form) if (typeof value === 'string' && key !== 'file') args[key] = value;
  const file = form.get('file');
  if (!(file instanceof File))
    throw new AppError('invalid_request', 'Send the document in the multipart field "file"', { param: 'file' });
  if (file.size > MAX_DOCUMENT_BYTES)
    throw new AppError('file_too_large', `The file is larger than ${MAX_DOCUMENT_BYTES} bytes (50 MB)`, {
      param: 'file',
    });
  args.name ??= file.name;
  if (file.type) args.content_type ??= file.type;
  args.content_base64 = Buffer.from(await file.arrayBuffer()).toString('base64');
  return args;
}

const isMultipart = (c: Context) =>
  (c.req.header('content-type') ?? '').toLowerCase().startsWith('multipart/form-data');

const isJson = (contentType: string) => /^application\/([\w.+-]*\+)?json\s*(;|$)/i.test(contentType);

/**
 * A body that stops before its end (the client went away, or sent malformed chunks) is the client's
 * doing: a 400, logged at debug level, not an unhandled error. AppErrors (too large) pass through.
 */
function unreadBody(c: Context, err: unknown): AppError {
  if (err instanceof AppError) return err;
  c.get('log').debug({ reason: err instanceof Error ? err.message : String(err) }, 'request body not received in full');
  return new AppError(
    'invalid_request',
    'The request body could not be read in full: the connection closed before it ended',
  );
}

/** The JSON object body of a request; `upload` names multipart in the error for other types. */
export async function readJsonObject(c: Context, upload: boolean): Promise<Record<string, unknown>> {
  const text = await c.req.text().catch((err: unknown) => {
    throw unreadBody(c, err);
  });
  if (!text.trim()) return {};
  // A form-encoded or text body would otherwise be parsed as JSON by luck or rejected as "not JSON".
  const contentType = c.req.header('content-type') ?? '';
  if (!isJson(contentType)) {
    throw new AppError(
      'unsupported_media_type',
      `Send the body as application/json${upload ? ' or multipart/form-data' : ''}, not ${contentType || 'without a Content-Type'}`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new AppError('invalid_request', 'The request body is not valid JSON');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new AppError('invalid_request', 'The request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** The `Idempotency-Key` header, held to the same bounds as the `idempotency_key` argument. */
function idempotencyKeyHeader(c: Context): string | undefined {
  const key = c.req.header('idempotency-key');
  if (!key) return undefined;
  if (key.length > MAX_IDEMPOTENCY_KEY_CHARS) {
    throw new AppError(
      'invalid_request',
      `The Idempotency-Key header is ${key.length} characters long; at most ${MAX_IDEMPOTENCY_KEY_CHARS} are accepted`,
      {
        param: 'Idempotency-Key',
      },
    );
  }
  return key;
}

/** Mounts every operation that declares an HTTP route, generated from the registry. */
export function mountRest(api: Hono<HttpEnv>, app: App): void {
  for (const compiled of app.registry.operations) {
    const route = compiled.op.http;
    if (!route) continue;
    const limit = bodyLimit({
      maxSize: route.upload ? MAX_UPLOAD_BODY_BYTES : app.config.maxBodyBytes,
      onError: () => {
        throw route.upload
          ? new AppError('file_too_large', `The upload is larger than ${MAX_DOCUMENT_BYTES} bytes (50 MB)`, {
              param: 'file',
            })
          : new AppError('payload_too_large', `The request body is larger than ${app.config.maxBodyBytes} bytes`);
      },
    });
    // bodyLimit reads a body sent without Content-Length itself, before the handler: a body cut short fails there.
    const limited: MiddlewareHandler<HttpEnv> = async (c, next) => {
      let reading = true;
      try {
        return await limit(c, async () => {
          reading = false;
          await next();
        });
      } catch (err) {
        throw reading ? unreadBody(c, err) : err;
      }
    };
    api.on(route.method, honoPath(route.path), limited, async (c) => {
      const args: Record<string, unknown> = coerceQuery(c, compiled);
      if (route.upload && isMultipart(c)) Object.assign(args, await readUpload(c));
      else if (route.method !== 'GET' && route.method !== 'DELETE')
        Object.assign(args, await readJsonObject(c, route.upload === true));
      for (const name of pathParams(route.path)) args[name] = c.req.param(name);
      const principal = c.get('principal') as Principal;
      const { output, replayed } = await app.registry.invoke(compiled, principal, args, {
        requestId: c.get('requestId'),
        log: c.get('log'),
        idempotencyKey: idempotencyKeyHeader(c),
        // Aborted when the client disconnects before the answer: a long operation (an agent run)
        // stops and records itself cancelled, as an MCP cancellation does.
        signal: c.req.raw.signal,
      });
      if (replayed) c.header('Idempotent-Replayed', 'true');
      const created =
        route.status === 201 || (route.status === 'created' && (output as { created?: boolean }).created === true);
      return c.json(output as object, created ? 201 : 200);
    });
  }
  // Registered after every route, so it only answers a known path asked with a method it lacks.
  const allowed = new Map<string, string[]>();
  for (const { op } of app.registry.operations)
    if (op.http) allowed.set(op.http.path, [...(allowed.get(op.http.path) ?? []), op.http.method]);
  for (const [path, methods] of allowed) {
    api.all(honoPath(path), (c) => {
      c.header('Allow', methods.join(', '));
      throw new AppError(
        'method_not_allowed',
        `${c.req.method} is not allowed on ${REST_PREFIX}${path}; use ${methods.join(' or ')}`,
      );
    });
  }
}

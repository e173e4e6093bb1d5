import { VERSION } from '../../app.js';
import { ERROR_CODES, type ErrorCode } from '../../kernel/errors.js';
import type { Catalog, CompiledOperation } from '../../operations/catalog.js';
import { HTTP_STATUS } from '../errors.js';
import { type HttpRoute, TOOLSETS } from '../../operations/define.js';
import { REST_PREFIX, pathParams } from './rest.js';
import { chatStreamOpenApi } from './chat-stream.js';

const successStatuses = (status: HttpRoute['status']) => (status === 'created' ? [200, 201] : [status ?? 200]);

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const ERROR_DESCRIPTIONS: Partial<Record<ErrorCode, string>> = {
  invalid_request: 'invalid_request: the input is not valid; `param` names the field',
  unauthorized: 'unauthorized: no API key, or one that is unknown, revoked or expired',
  forbidden: "forbidden: the key lacks the operation's scope, or the Host or Origin is not allowed",
  not_found: 'not_found: no such record in a workspace this key can reach',
  conflict:
    'conflict: the record is in a state that does not allow this, or the idempotency key was used for another request',
  payload_too_large: 'payload_too_large: the body is larger than the server accepts',
  file_too_large: 'file_too_large: the document is larger than 50 MB',
  unsupported_media_type: 'unsupported_media_type: the body is not JSON',
  suppressed: 'suppressed: the address is on the suppression list',
  rate_limited:
    "rate_limited: over the key's rate limit (per minute, hour or day, or in flight); retry after Retry-After seconds",
  upstream_error: 'upstream_error: a provider (Claude, the mail service) failed',
  not_configured: 'not_configured: this server lacks what the operation needs (e.g. a model: ANTHROPIC_API_KEY)',
};

/** The error statuses an operation can answer, each with the codes that produce it. */
function errorResponses(c: CompiledOperation, hasBody: boolean): Record<string, unknown> {
  const { op } = c;
  // Every authenticated request counts against its key's rate limits.
  const codes = new Set<ErrorCode>([
    'invalid_request',
    'unauthorized',
    'forbidden',
    'rate_limited',
    ...(op.errors ?? []),
  ]);
  if (op.tenancy === 'workspace' || pathParams(op.http!.path).length) codes.add('not_found');
  if (c.acceptsIdempotencyKey) codes.add('conflict');
  if (hasBody) {
    codes.add('payload_too_large');
    codes.add('unsupported_media_type');
  }
  const byStatus = new Map<number, string[]>();
  for (const code of codes)
    byStatus.set(HTTP_STATUS[code], [...(byStatus.get(HTTP_STATUS[code]) ?? []), ERROR_DESCRIPTIONS[code] ?? code]);
  return Object.fromEntries(
    [...byStatus].sort(([a], [b]) => a - b).map(([status, lines]) => [status, errorResponse(lines.join('; '))]),
  );
}

/**
 * The multipart form of an upload route: the file in `file` (its part gives the default name and
 * content type), every other field as in the JSON form.
 */
function uploadSchema(props: Record<string, unknown>, required: string[]): Record<string, unknown> {
  const content = new Set(['content_base64', 'content']);
  const fromFile = new Set([...content, 'name', 'content_type']);
  const fields = Object.fromEntries(Object.entries(props).filter(([name]) => !content.has(name)));
  return {
    type: 'object',
    properties: {
      file: {
        type: 'string',
        contentMediaType: 'application/octet-stream',
        description: 'The document; its file name and type name it',
      },
      ...fields,
    },
    required: ['file', ...required.filter((r) => !fromFile.has(r))],
  };
}

/** The OpenAPI 3.1 document, generated from the same declarations as the MCP tools. */
export function buildOpenApi(registry: Catalog): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {
    [`${REST_PREFIX}/health`]: {
      get: {
        operationId: 'health',
        summary: 'Health check',
        security: [],
        responses: {
          200: { description: 'The server and its database answer' },
          403: errorResponse(ERROR_DESCRIPTIONS.forbidden!),
          503: errorResponse('The database does not answer'),
        },
      },
    },
    ...chatStreamOpenApi(),
  };
  for (const c of registry.operations) {
    const { op } = c;
    if (!op.http) continue;
    const inPath = pathParams(op.http.path);
    const props = { ...((c.inputJsonSchema.properties ?? {}) as Record<string, unknown>) };
    const required = ((c.inputJsonSchema.required ?? []) as string[]).filter((r) => !inPath.includes(r));
    delete props.idempotency_key;
    for (const p of inPath) delete props[p];

    const parameters: unknown[] = inPath.map((name) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const hasBody = op.http.method !== 'GET' && op.http.method !== 'DELETE';
    const operation: Record<string, unknown> = {
      operationId: op.name,
      summary: op.title,
      description: op.description,
      tags: [op.toolset],
      'x-required-scope': op.scope,
      'x-mcp-tool': op.mcp === false ? false : op.name,
      parameters,
      responses: {
        ...Object.fromEntries(
          successStatuses(op.http.status).map((s) => [
            s,
            {
              description: s === 201 ? 'Created' : 'Success',
              content: { 'application/json': { schema: c.outputJsonSchema } },
            },
          ]),
        ),
        ...errorResponses(c, hasBody),
        default: errorResponse('Any other error (internal)'),
      },
    };
    if (!hasBody) {
      for (const [name, schema] of Object.entries(props))
        parameters.push({ name, in: 'query', required: required.includes(name), schema });
    } else {
      const content: Record<string, unknown> = {
        'application/json': { schema: { type: 'object', properties: props, required, additionalProperties: false } },
      };
      if (op.http.upload) content['multipart/form-data'] = { schema: uploadSchema(props, required) };
      operation.requestBody = { required: required.length > 0, content };
    }
    if (c.acceptsIdempotencyKey) {
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        schema: { type: 'string', maxLength: 255 },
        description: 'Replays the first result for a repeated request',
      });
    }
    const path = REST_PREFIX + op.http.path;
    paths[path] = { ...paths[path], [op.http.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchboard REST API',
      version: VERSION,
      license: { name: 'MIT', identifier: 'MIT' },
      description:
        'Every operation here is also an MCP tool at /mcp, named by x-mcp-tool; x-mcp-tool: false marks the REST-only ones.',
    },
    servers: [{ url: '/' }],
    tags: Object.entries(TOOLSETS).map(([name, description]) => ({ name, description })),
    security: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message', 'type'],
              properties: {
                code: { type: 'string', enum: [...ERROR_CODES] },
                message: { type: 'string' },
                param: { type: 'string' },
                type: { type: 'string' },
              },
            },
          },
        },
      },
    },
  };
}
